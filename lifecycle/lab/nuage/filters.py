"""VSD's ``X-Nuage-Filter`` expressions.

Predicates: ``==`` (also ``=``), ``!=``, ``IS``, ``IS NOT``, ``CONTAINS``, ``BEGINSWITH``,
``ENDSWITH``, ``IN {"a", "b"}``, ``<``, ``<=``, ``>``, ``>=``; ``and``/``or``/``not`` and
parentheses; keywords in any case (the Nuage plugin writes ``type IS VM or type is HOST``);
values single- or double-quoted, or bare (``true``, ``null``, numbers, ids). Field names are the
attributes' remote names, matched case-insensitively (``id IS '...'``). A filter that is not a
predicate is a plain-text search (any string attribute contains it, ignoring case) unless
``X-Nuage-FilterType: predicate`` says it must be one.

>>> f = parse("externalID ENDSWITH '@cms-1' and (name == \\"a\\" or name BEGINSWITH 'web')")
>>> f({"externalID": "x@cms-1", "name": "web01"}), f({"externalID": "x@cms-2", "name": "a"})
(True, False)
>>> parse("web")({"name": "Web01", "description": None})
True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lifecycle.lab.base.predicates import BoolParser, FilterError, Predicate

FieldResolver = Callable[[str], str | None]

_TOKEN = re.compile(r"""\s*(?:
    (?P<paren>[(){},])
  | (?P<op>==|!=|<=|>=|=|<|>)
  | (?P<squote>'(?:[^'\\]|\\.)*')
  | (?P<dquote>"(?:[^"\\]|\\.)*")
  | (?P<word>[^\s'"(){},=<>!]+)
)""", re.VERBOSE)
_WORD_OPS = {"IS", "CONTAINS", "BEGINSWITH", "ENDSWITH", "IN", "LIKE"}
_BOOL_OPS = {"AND", "OR", "NOT"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos, text = 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FilterError(f"unexpected character at {pos}: {text[pos:pos + 10]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind in ("squote", "dquote"):
            out.append(("str", re.sub(r"\\(.)", r"\1", value[1:-1])))
        elif kind == "word" and value.upper() in _BOOL_OPS:
            out.append(("kw", value.upper()))
        elif kind == "word" and value.upper() in _WORD_OPS:
            out.append(("op", value.upper()))
        else:
            out.append((kind, value))
    return out


def _scalar(actual: Any, expected: str) -> tuple[Any, Any]:
    """Both sides in one comparable type: bools and numbers as such, everything else as text."""
    if isinstance(actual, bool):
        return actual, expected.lower() == "true"
    if isinstance(actual, int | float):
        try:
            return float(actual), float(expected)
        except ValueError:
            return str(actual), expected
    return actual, expected


def _compare(actual: Any, op: str, expected: str, literal: bool) -> bool:
    if not literal and expected.lower() == "null":
        return (actual is None) == (op in ("==", "=", "IS"))
    if actual is None:
        return op in ("!=", "IS NOT")
    if isinstance(actual, list):  # e.g. a VM's domainIDs: any element may match
        hits = [_compare(v, op if op not in ("!=", "IS NOT") else "==", expected, literal) for v in actual]
        return not any(hits) if op in ("!=", "IS NOT") else any(hits)
    if op in ("CONTAINS", "BEGINSWITH", "ENDSWITH", "LIKE"):
        text = str(actual)
        if op == "LIKE":
            rx = "^" + ".*".join(re.escape(p) for p in expected.split("%")) + "$"
            return re.match(rx, text, re.DOTALL) is not None
        return {"CONTAINS": expected in text, "BEGINSWITH": text.startswith(expected),
                "ENDSWITH": text.endswith(expected)}[op]
    a, e = _scalar(actual, expected)
    if isinstance(a, str) and not isinstance(e, str):
        e = str(e)
    try:
        return {"==": a == e, "=": a == e, "IS": a == e, "!=": a != e, "IS NOT": a != e,
                "<": a < e, "<=": a <= e, ">": a > e, ">=": a >= e}[op]
    except TypeError:
        return False


class _Parser(BoolParser):
    """``field op value`` comparisons of the VSD's language (boolean skeleton shared)."""

    def __init__(self, tokens: list[tuple[str, str]], resolve: FieldResolver):
        super().__init__(tokens)
        self.resolve = resolve

    def comparison(self, tok: tuple[str, str]) -> Predicate:
        if tok[0] not in ("word", "str"):
            raise FilterError(f"expected an attribute name, got {tok[1]!r}")
        field = self.resolve(tok[1])
        if field is None:
            raise FilterError(f"unknown attribute {tok[1]!r}")
        kind, op = self.take()
        if kind != "op":
            raise FilterError(f"expected an operator after {tok[1]!r}, got {op!r}")
        if op == "IS" and self.peek() == ("kw", "NOT"):
            self.take()
            op = "IS NOT"
        if op == "IN":
            values = self._set()
            return lambda d: any(_compare(d.get(field), "==", v, lit) for v, lit in values)
        vkind, value = self.take()
        if vkind not in ("word", "str"):
            raise FilterError(f"expected a value after {tok[1]} {op}")
        literal = vkind == "str"
        return lambda d: _compare(d.get(field), op, value, literal)

    def _set(self) -> list[tuple[str, bool]]:
        if self.take() != ("paren", "{"):
            raise FilterError("IN takes a set: {\"a\", \"b\"}")
        values: list[tuple[str, bool]] = []
        while True:
            kind, value = self.take()
            if kind not in ("word", "str"):
                raise FilterError(f"unexpected {value!r} in a set")
            values.append((value, kind == "str"))
            sep = self.take()
            if sep == ("paren", "}"):
                return values
            if sep != ("paren", ","):
                raise FilterError("a set's values are separated by commas")


def _predicate(text: str, resolve: FieldResolver) -> Predicate:
    return _Parser(_tokens(text), resolve).parse()


def _text_search(text: str) -> Predicate:
    needle = text.strip().strip("'\"").lower()
    return lambda d: any(isinstance(v, str) and needle in v.lower() for v in d.values())


def parse(text: str, resolve: FieldResolver | None = None, *, predicate_only: bool = False) -> Predicate:
    """A predicate over wire documents. ``resolve`` maps a filter's field name to a remote name
    (None: unknown). Raises FilterError when a predicate was required and this is not one."""
    resolve = resolve or (lambda name: name)
    if not text.strip():
        return lambda d: True
    try:
        return _predicate(text, resolve)
    except FilterError:
        if predicate_only or _looks_like_predicate(text):
            raise
        return _text_search(text)


def _looks_like_predicate(text: str) -> bool:
    """A comparison operator somewhere: a malformed predicate, not a text search."""
    try:
        return any(kind == "op" for kind, _ in _tokens(text))
    except FilterError:
        return False
