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
from collections.abc import Callable
from typing import Any

from lifecycle.lab.oneview.errors import bad_request

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(r"""\s*(?:
    (?P<paren>[()])
  | (?P<op>==|<>|!=|<=|>=|=|<|>)
  | (?P<squote>'(?:[^']|'')*')
  | (?P<dquote>"[^"]*")
  | (?P<word>[^\s'"()=<>!]+)
)""", re.VERBOSE)

_MISSING = object()


class FilterError(ValueError):
    pass


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


def _compare(actual: Any, op: str, expected: str, literal: bool) -> bool:
    if actual is _MISSING:
        actual = None
    if not literal and expected.lower() == "null":
        return (actual is None) == (op in ("=", "=="))
    if op == "matches":
        rx = "^" + ".*".join(re.escape(p) for p in expected.split("%")) + "$"
        return actual is not None and re.match(rx, str(actual), re.IGNORECASE | re.DOTALL) is not None
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


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.toks, self.i = tokens, 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise FilterError("unexpected end of filter")
        self.i += 1
        return tok

    def expr(self) -> Predicate:
        left = self.term()
        while self.peek() == ("kw", "OR"):
            self.take()
            right, prev = self.term(), left
            left = lambda d, a=prev, b=right: a(d) or b(d)  # noqa: E731
        return left

    def term(self) -> Predicate:
        left = self.factor()
        while self.peek() == ("kw", "AND"):
            self.take()
            right, prev = self.factor(), left
            left = lambda d, a=prev, b=right: a(d) and b(d)  # noqa: E731
        return left

    def factor(self) -> Predicate:
        tok = self.take()
        if tok == ("kw", "NOT"):
            inner = self.factor()
            return lambda d: not inner(d)
        if tok == ("paren", "("):
            inner = self.expr()
            if self.take() != ("paren", ")"):
                raise FilterError("missing ')'")
            return inner
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
    parser = _Parser(_tokens(text))
    pred = parser.expr()
    if parser.peek() is not None:
        raise FilterError(f"unexpected {parser.peek()[1]!r} after a complete expression")  # type: ignore[index]
    return pred


def parse_filters(texts: list[str]) -> Predicate:
    """Several ``filter`` parameters, ANDed; a malformed one is a 400 like the appliance's."""
    try:
        preds = [parse_filter(t) for t in texts]
    except FilterError as exc:
        raise bad_request("INVALID_FILTER", "The filter expression is not valid.", str(exc)) from None
    return lambda doc: all(p(doc) for p in preds)
