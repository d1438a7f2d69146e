"""The ``show`` command registry: :class:`Ctx`, the ``command``/``text_only`` decorators, how a
command line finds its handler, output filters (``| include``, ``| section``) and text helpers."""


from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from lifecycle.lab.eos.config import CliError, invalid
from lifecycle.lab.eos.tokens import Template, tokenize

if TYPE_CHECKING:
    from lifecycle.lab.eos.cli import CliSession
    from lifecycle.lab.eos.state import FabricOper, SwitchOper
    from lifecycle.lab.eos.switch import Switch
    from lifecycle.lab.eos.view import SwitchView

JsonFn = Callable[["Ctx", dict[str, str]], dict[str, Any]]
TextFn = Callable[["Ctx", dict[str, str], Any], str]


@dataclass
class Ctx:
    session: CliSession

    @property
    def switch(self) -> Switch:
        return self.session.switch

    @cached_property
    def fabric(self) -> FabricOper:
        return self.switch.fabric.oper()

    @cached_property
    def oper(self) -> SwitchOper:
        return self.fabric[self.switch.name]

    @property
    def view(self) -> SwitchView:
        return self.oper.view


@dataclass
class ShowCmd:
    template: Template
    json: JsonFn | None
    text: TextFn | None


REGISTRY: list[ShowCmd] = []


def command(spec: str, *, text: TextFn | None = None) -> Callable[[JsonFn], JsonFn]:
    """Register a JSON model for ``spec`` (``show ...`` template) with an optional text renderer."""

    def deco(fn: JsonFn) -> JsonFn:
        REGISTRY.append(ShowCmd(Template(spec), fn, text))
        return fn

    return deco


def text_only(spec: str) -> Callable[[TextFn], TextFn]:
    """Register a command that has no JSON model on EOS."""

    def deco(fn: TextFn) -> TextFn:
        REGISTRY.append(ShowCmd(Template(spec), None, fn))
        return fn

    return deco


def _find(line: str, abbrev: bool) -> tuple[ShowCmd, dict[str, str]]:
    toks = tokenize(line)
    for cmd in REGISTRY:
        m = cmd.template.match(toks, abbrev=abbrev)
        if m is not None:
            return cmd, m.values
    # Report the first token no command accepts, as the EOS parser does.
    at = 1
    for cmd in REGISTRY:
        for n in range(len(toks), 0, -1):
            if cmd.template.match(toks[:n], abbrev=abbrev, partial=True) is not None:
                at = max(at, n)
                break
    raise invalid(line, min(at, len(toks) - 1))


def run(session: CliSession, line: str, pipe: str | None, fmt: str) -> Any:
    cmd, values = _find(line, session.abbrev)
    ctx = Ctx(session)
    filters = [p.strip() for p in (pipe or "").split("|") if p.strip()]
    if fmt == "json":
        if cmd.json is None or any(not re.match(r"^(json|no-more)$", f) for f in filters):
            from lifecycle.lab.eos.cli import Unconverted

            raise Unconverted
        return cmd.json(ctx, values)
    data = cmd.json(ctx, values) if cmd.json else None
    out = cmd.text(ctx, values, data) if cmd.text else generic_text(data)
    for f in filters:
        out = _filter(out, f, data)
    return out


def _filter(text: str, spec: str, data: Any) -> str:
    word, _, arg = spec.partition(" ")
    word = word.lower()
    lines = text.splitlines()
    if word in ("include", "grep", "i"):
        rx = re.compile(arg.strip())
        lines = [x for x in lines if rx.search(x)]
    elif word in ("exclude", "e"):
        rx = re.compile(arg.strip())
        lines = [x for x in lines if not rx.search(x)]
    elif word in ("begin", "b"):
        rx = re.compile(arg.strip())
        idx = next((i for i, x in enumerate(lines) if rx.search(x)), len(lines))
        lines = lines[idx:]
    elif word in ("section", "s"):
        lines = _section(lines, re.compile(arg.strip()))
    elif word == "json":
        return json.dumps(data, indent=2) + "\n" if data is not None else text
    elif word == "no-more":
        return text
    elif word in ("tail", "head"):
        n = int(re.sub(r"\D", "", arg) or 10)
        lines = lines[-n:] if word == "tail" else lines[:n]
    else:
        raise CliError(f"Invalid input (at token 1: '{word}')")
    return "\n".join(lines) + ("\n" if lines else "")


def _section(lines: list[str], rx: re.Pattern[str]) -> list[str]:
    out: list[str] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if line and line[0] == " ":
            block.append(line)
            continue
        if block and any(rx.search(x) for x in block):
            out += block
        block = [line] if line and line != "!" else []
    return out


def generic_text(data: Any, indent: int = 0) -> str:
    """A readable dump for commands without a hand-written text form."""
    pad = "  " * indent
    if isinstance(data, dict):
        out = []
        for k, v in data.items():
            if isinstance(v, dict | list):
                out.append(f"{pad}{k}:\n{generic_text(v, indent + 1)}")
            else:
                out.append(f"{pad}{k}: {v}\n")
        return "".join(out)
    if isinstance(data, list):
        return "".join(
            generic_text(v, indent) if isinstance(v, dict | list) else f"{pad}- {v}\n" for v in data
        )
    return f"{pad}{data}\n"


def table(headers: list[str], rows: list[list[Any]], widths: list[int] | None = None) -> str:
    """A fixed-width table with a dashed rule, like EOS prints."""
    cols = list(zip(headers, *rows, strict=False)) if rows else [(h,) for h in headers]
    widths = widths or [max(len(str(x)) for x in col) for col in cols]
    fmt = " ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*headers).rstrip(), " ".join("-" * w for w in widths)]
    lines += [fmt.format(*[str(x) for x in row]).rstrip() for row in rows]
    return "\n".join(lines) + "\n"


def duration(seconds: float) -> str:
    """``1:02:03`` or ``3 days, 4:05:06`` as EOS prints uptimes."""
    s = int(seconds)
    days, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    core = f"{h}:{m:02d}:{s:02d}"
    return f"{days} days, {core}" if days else core
