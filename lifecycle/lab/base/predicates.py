"""The boolean skeleton shared by the emulators' filter languages (OneView's ``filter=``, the
VSD's ``X-Nuage-Filter``): ``or`` binds looser than ``and``, ``not`` and parentheses tightest.
Each language tokenises its own text and parses its own comparisons.

>>> class Flags(BoolParser):
...     def comparison(self, tok):
...         return lambda doc: bool(doc.get(tok[1]))
>>> p = Flags([("word", "a"), ("kw", "AND"), ("kw", "NOT"), ("word", "b")]).parse()
>>> p({"a": True, "b": False}), p({"a": True, "b": True})
(True, False)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]
Token = tuple[str, str]  # (kind, text): kind is kw, op, paren, word or str


class FilterError(ValueError):
    """A malformed filter; the message says where."""


class BoolParser:
    """Recursive descent over ``(kind, text)`` tokens; ``kw`` tokens are AND, OR and NOT."""

    def __init__(self, tokens: list[Token]):
        self.toks, self.i = tokens, 0

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise FilterError("unexpected end of filter")
        self.i += 1
        return tok

    def parse(self) -> Predicate:
        """The whole token list as one expression."""
        pred = self.expr()
        extra = self.peek()
        if extra is not None:
            raise FilterError(f"unexpected {extra[1]!r} after a complete expression")
        return pred

    def expr(self) -> Predicate:
        return self._chain("OR", self.term)

    def term(self) -> Predicate:
        return self._chain("AND", self.factor)

    def _chain(self, kw: str, operand: Callable[[], Predicate]) -> Predicate:
        """``operand (kw operand)*``, left to right, short-circuiting as Python's or/and do."""
        left = operand()
        while self.peek() == ("kw", kw):
            self.take()
            right, prev = operand(), left
            if kw == "OR":
                left = lambda d, a=prev, b=right: a(d) or b(d)  # noqa: E731
            else:
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
        return self.comparison(tok)

    def comparison(self, tok: Token) -> Predicate:
        """One ``field op value`` starting at ``tok`` (already taken)."""
        raise NotImplementedError
