"""A small CLI grammar: command templates matched token by token, as the EOS parser does.

Templates are words separated by spaces: ``literal``, ``(a|b)`` choices, ``<kind:name>``
parameters and ``[ ... ]`` optional groups. Matching yields the values and the canonical text
(keywords in full, interface names spelled out), and can stop early: ``no neighbor 10.0.0.1``
is a valid *prefix* of ``neighbor <ip> remote-as <asn>``, which is how the ``no`` forms work.

>>> t = Template("neighbor <peer:n> remote-as <asn:asn>")
>>> m = t.match(tokenize("neighbor 10.0.0.1 remote-as 65000"))
>>> m.values, m.text
({'n': '10.0.0.1', 'asn': '65000'}, 'neighbor 10.0.0.1 remote-as 65000')
>>> t.match(tokenize("neighbor 10.0.0.1"), partial=True).text
'neighbor 10.0.0.1'
>>> Template("interface <intfs:names>").match(tokenize("int et1-2"), abbrev=True).values
{'names': 'Ethernet1,Ethernet2'}
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from lifecycle.lab.eos.names import BadName, canonical_interface, expand_interfaces, interface_type, vlan_set


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    line: str  # the whole command, for parameters that take the rest of it verbatim

    @property
    def rest(self) -> str:
        return self.line[self.start :].rstrip()


def tokenize(line: str) -> list[Token]:
    return [Token(m.group(0), m.start(), line) for m in re.finditer(r"\S+", line)]


@dataclass(frozen=True)
class Lit:
    words: tuple[str, ...]  # choices as printed (matched case-insensitively)
    name: str | None = None  # ``(in|out):dir`` records the choice as a value


@dataclass(frozen=True)
class Param:
    kind: str
    name: str
    lo: int | None = None
    hi: int | None = None


@dataclass(frozen=True)
class Opt:
    elems: tuple[Lit | Param | Opt, ...]


Elem = Lit | Param | Opt


@dataclass
class Match:
    values: dict[str, str]
    words: list[str]  # canonical tokens
    complete: bool = True  # False: a prefix of the template (only with partial=True)
    consumed: int = 0

    @property
    def text(self) -> str:
        return " ".join(self.words)


def _parse(spec: str) -> tuple[Elem, ...]:
    parts = re.findall(r"\[|\]|<[^>]+>|\([^)]+\)(?::\w+)?|[^\s\[\]]+", spec)
    stack: list[list[Elem]] = [[]]
    for part in parts:
        if part == "[":
            stack.append([])
        elif part == "]":
            group = stack.pop()
            stack[-1].append(Opt(tuple(group)))
        elif part.startswith("<"):
            body = part[1:-1]
            kind, _, name = body.partition(":")
            lo = hi = None
            if m := re.match(r"^int(\d+)-(\d+)$", kind):
                kind, lo, hi = "int", int(m.group(1)), int(m.group(2))
            stack[-1].append(Param(kind, name or kind, lo, hi))
        elif part.startswith("("):
            alts, _, name = part[1:].partition(")")
            stack[-1].append(Lit(tuple(alts.split("|")), name.lstrip(":") or None))
        else:
            stack[-1].append(Lit((part,)))
    if len(stack) != 1:
        raise ValueError(f"unbalanced template {spec!r}")
    return tuple(stack[0])


def _literal(tok: str, words: tuple[str, ...], abbrev: bool) -> str | None:
    low = tok.lower()
    for w in words:
        if w.lower() == low:
            return w
    if abbrev:
        hits = [w for w in words if w.lower().startswith(low)]
        if len(hits) == 1:
            return hits[0]
    return None


def _param(p: Param, toks: list[Token], i: int) -> tuple[str, int] | None:
    """(canonical value, tokens used) when ``toks[i:]`` starts with a valid ``p``."""
    tok = toks[i].text
    try:
        if p.kind == "word":
            return tok, 1
        if p.kind == "line":
            return toks[i].rest, len(toks) - i
        if p.kind == "int":
            if not tok.isdigit():
                return None
            val = int(tok)
            if (p.lo is not None and val < p.lo) or (p.hi is not None and val > p.hi):
                return None
            return str(val), 1
        if p.kind == "asn":
            return (tok, 1) if re.fullmatch(r"\d+(\.\d+)?", tok) else None
        if p.kind == "ip":
            return str(ipaddress.IPv4Address(tok)), 1
        if p.kind == "prefix":
            iface = ipaddress.IPv4Interface(tok)
            return (f"{iface.ip}/{iface.network.prefixlen}", 1) if "/" in tok else None
        if p.kind == "network":
            return str(ipaddress.IPv4Network(tok, strict=False)), 1
        if p.kind == "peer":  # a neighbor: an address or a peer-group name
            try:
                return str(ipaddress.ip_address(tok)), 1
            except ValueError:
                return (tok, 1) if re.fullmatch(r"[A-Za-z][\w.-]*", tok) else None
        if p.kind in ("intf", "intfs"):
            text, used = tok, 1
            if interface_type(tok) and i + 1 < len(toks) and toks[i + 1].text[:1].isdigit():
                text, used = tok + toks[i + 1].text, 2  # "Ethernet 1"
            if p.kind == "intf":
                return canonical_interface(text), used
            return ",".join(expand_interfaces(text)), used
        if p.kind == "vlans":
            vlan_set(tok)
            return tok, 1
        if p.kind == "mac":
            return (
                (tok.lower(), 1)
                if re.fullmatch(
                    r"([0-9a-fA-F]{2}[:.-]?){5}[0-9a-fA-F]{2}|"
                    r"[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}",
                    tok,
                )
                else None
            )
    except (ValueError, BadName):
        return None
    raise ValueError(f"unknown template parameter kind {p.kind!r}")


class Template:
    """One command shape. ``match`` returns the first way the tokens fit, or None."""

    def __init__(self, spec: str):
        self.spec = spec
        self.elems = _parse(spec)

    def __repr__(self) -> str:
        return f"Template({self.spec!r})"

    def match(self, toks: list[Token], *, partial: bool = False, abbrev: bool = False) -> Match | None:
        for m in self._walk(self.elems, toks, 0, partial, abbrev):
            if m.consumed == len(toks):
                return m
        return None

    def _walk(
        self, elems: tuple[Elem, ...], toks: list[Token], i: int, partial: bool, abbrev: bool
    ) -> list[Match]:
        if not elems:
            return [Match({}, [], True, i)]
        if i == len(toks):
            # Out of tokens: fine if the rest is optional; a prefix if partial matching is on.
            if all(isinstance(e, Opt) for e in elems):
                return [Match({}, [], True, i)]
            return [Match({}, [], False, i)] if partial and i > 0 else []
        head, rest = elems[0], elems[1:]
        out: list[Match] = []
        if isinstance(head, Opt):
            for inner in self._walk(head.elems, toks, i, partial, abbrev):
                if not inner.complete:
                    out.append(inner)
                    continue
                for tail in self._walk(rest, toks, inner.consumed, partial, abbrev):
                    out.append(_join(inner, tail))
            out += self._walk(rest, toks, i, partial, abbrev)
            return out
        if isinstance(head, Lit):
            word = _literal(toks[i].text, head.words, abbrev)
            if word is None:
                return []
            lit = Match({head.name: word} if head.name else {}, [word], True, i + 1)
            return [_join(lit, tail) for tail in self._walk(rest, toks, i + 1, partial, abbrev)]
        got = _param(head, toks, i)
        if got is None:
            return []
        value, used = got
        first = Match({head.name: value}, [value], True, i + used)
        return [_join(first, tail) for tail in self._walk(rest, toks, i + used, partial, abbrev)]


def _join(a: Match, b: Match) -> Match:
    return Match({**a.values, **b.values}, a.words + b.words, b.complete, b.consumed)
