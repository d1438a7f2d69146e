"""OneView collection filters: ``filter="name='X'"`` and friends.

hpOneView wraps each filter in literal double quotes (``"serialNumber='X'"``); hand-written
clients often do not. Supported: ``=``/``==``, ``<>``/``!=``, ``<``, ``<=``, ``>``, ``>=``,
``matches`` with ``%`` wildcards, ``AND``/``OR``/``NOT`` and parentheses; field names bare or
single-quoted (``'name' = 'X'``) and dotted for nested fields (``mpHostInfo.mpIpAddresses.address``,
any list element may match). String comparisons ignore case, as the appliance does. Several
``filter`` parameters are ANDed.

>>> f = parse_filter('"name=\\'Encl1, bay 1\\'"')
>>> f({"name": "encl1, BAY 1"}), f({"name": "x"})
(True, False)
>>> parse_filter("\\"'model' matches 'ProLiant DL3%'\\"")({"model": "ProLiant DL360 Gen9"})
True
"""

from __future__ import annotations

import re
from typing import Any

from lifecycle.lab.base.predicates import BoolParser, FilterError, Predicate
from lifecycle.lab.oneview.errors import bad_request

_TOKEN = re.compile(r"""\s*(?:
    (?P<paren>[()])
  | (?P<op>==|<>|!=|<=|>=|=|<|>)
  | (?P<squote>'(?:[^']|'')*')
  | (?P<dquote>"[^"]*")
  | (?P<word>[^\s'"()=<>!]+)
)""", re.VERBOSE)

_MISSING = object()


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FilterError(f"unexpected character at {pos}: {text[pos:pos + 10]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "squote":
            out.append(("str", value[1:-1].replace("''", "'")))
        elif kind == "dquote":
            out.append(("str", value[1:-1]))
        elif kind == "word" and value.upper() in ("AND", "OR", "NOT"):
            out.append(("kw", value.upper()))
        elif kind == "word" and value.lower() == "matches":
            out.append(("op", "matches"))
        else:
            out.append((kind, value))
    return out


def _lookup(doc: Any, path: str) -> list[Any]:
    """Values at a dotted path; lists fan out so any element can match."""
    values = [doc]
    for part in path.split("."):
        nxt: list[Any] = []
        for v in values:
            if isinstance(v, list):
                nxt.extend(x.get(part, _MISSING) for x in v if isinstance(x, dict))
            elif isinstance(v, dict):
                nxt.append(v.get(part, _MISSING))
        values = nxt
    flat: list[Any] = []
    for v in values:
        flat.extend(v if isinstance(v, list) else [v])
    return flat or [_MISSING]


def _like(pattern: str) -> str:
    """SQL LIKE, as ``matches`` is: ``%`` any run, ``_`` one character, ``\\`` escapes either
    (hpOneView's get_range sends ``'name' matches 'prefix\\_%'``)."""
    out, chars = [], iter(pattern)
    for c in chars:
        if c == "\\":
            out.append(re.escape(next(chars, "\\")))
        else:
            out.append({"%": ".*", "_": "."}.get(c, re.escape(c)))
    return "^" + "".join(out) + "$"


def _compare(actual: Any, op: str, expected: str, literal: bool) -> bool:
    if actual is _MISSING:
        actual = None
    if not literal and expected.lower() == "null":
        return (actual is None) == (op in ("=", "=="))
    if op == "matches":
        flags = re.IGNORECASE | re.DOTALL
        return actual is not None and re.match(_like(expected), str(actual), flags) is not None
    if isinstance(actual, bool):
        actual = "true" if actual else "false"
    if isinstance(actual, int | float):
        try:
            a: Any
            a, e = float(actual), float(expected)
        except ValueError:
            a, e = str(actual).lower(), expected.lower()
    else:
        a, e = ("" if actual is None else str(actual)).lower(), expected.lower()
        if actual is None and op in ("=", "=="):
            return False
    return {"=": a == e, "==": a == e, "<>": a != e, "!=": a != e,
            "<": a < e, "<=": a <= e, ">": a > e, ">=": a >= e}[op]


class _Parser(BoolParser):
    """``field op value`` comparisons of OneView's language (boolean skeleton shared)."""

    def comparison(self, tok: tuple[str, str]) -> Predicate:
        if tok[0] not in ("word", "str"):
            raise FilterError(f"expected a field name, got {tok[1]!r}")
        field = tok[1]
        kind, op = self.take()
        if kind != "op":
            raise FilterError(f"expected an operator after {field!r}, got {op!r}")
        vkind, value = self.take()
        if vkind not in ("word", "str"):
            raise FilterError(f"expected a value after {field} {op}")
        literal = vkind == "str"

        def pred(doc: dict[str, Any]) -> bool:
            values = _lookup(doc, field)
            if op in ("<>", "!="):
                return all(_compare(v, op, value, literal) for v in values)
            return any(_compare(v, op, value, literal) for v in values)

        return pred


def parse_filter(text: str) -> Predicate:
    """A predicate over resource documents; raises FilterError on a malformed filter."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]  # hpOneView's literal quotes around the whole expression
    if not text.strip():
        return lambda doc: True
    return _Parser(_tokens(text)).parse()


def parse_filters(texts: list[str]) -> Predicate:
    """Several ``filter`` parameters, ANDed; a malformed one is a 400 like the appliance's."""
    try:
        preds = [parse_filter(t) for t in texts]
    except FilterError as exc:
        raise bad_request("INVALID_FILTER", "The filter expression is not valid.", str(exc)) from None
    return lambda doc: all(p(doc) for p in preds)
