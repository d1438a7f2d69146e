"""The ``lifecycle`` package's source as modules and resolved imports, for the structure tests.

Parsed, never imported: the tests judge what the code says, not what happens to be loaded.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "lifecycle"
TWIN = "lifecycle.lab"


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. lifecycle.engine.actions (a package is its __init__)
    path: Path
    is_package: bool

    @property
    def rel(self) -> str:
        return str(self.path.relative_to(ROOT)) if self.path.is_relative_to(ROOT) else str(self.path)

    @property
    def in_twin(self) -> bool:
        return in_twin(self.name)

    @property
    def package(self) -> str:
        """What ``from . import`` is relative to."""
        return self.name if self.is_package else self.name.rpartition(".")[0]

    def tree(self) -> ast.Module:
        return parse(self.path)


@dataclass(frozen=True)
class Import:
    importer: Module
    target: str  # absolute module name; for ``from X import y``, X (y defined in X) or X.y (a module)
    names: tuple[str, ...]  # what ``from X import`` takes from X's namespace (empty for ``import X``)
    line: int
    load_time: bool  # runs when the importer is loaded: not in a function, not for type checkers


def in_twin(name: str) -> bool:
    return name == TWIN or name.startswith(TWIN + ".")


@cache
def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


@cache
def modules() -> dict[str, Module]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        is_package = rel.name == "__init__"
        name = ".".join(rel.parts[:-1] if is_package else rel.parts)
        out[name] = Module(name, path, is_package)
    return out


def product() -> list[Module]:
    """Every module outside the twin."""
    return [m for m in modules().values() if not m.in_twin]


def resolve(mod: Module, node: ast.ImportFrom) -> str:
    """The absolute module a ``from`` import names (``from ..lab import x`` included)."""
    if node.level == 0:
        return node.module or ""
    parts = mod.package.split(".")
    base = ".".join(parts[: len(parts) - (node.level - 1)])
    return f"{base}.{node.module}" if node.module else base


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, load_time: bool) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        yield child, load_time
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _walk(child, False)  # runs when called, not when the module loads
        elif isinstance(child, ast.If) and _type_checking(child.test):
            for stmt in child.body:
                yield stmt, False
                yield from _walk(stmt, False)
            for stmt in child.orelse:
                yield stmt, load_time
                yield from _walk(stmt, load_time)
        else:
            yield from _walk(child, load_time)


def imports(mod: Module) -> list[Import]:
    """Every import statement of ``mod``, anywhere in it, resolved to absolute module names."""
    known = modules()
    out = []
    for node, load_time in _walk(mod.tree(), True):
        if isinstance(node, ast.Import):
            out += [Import(mod, a.name, (), node.lineno, load_time) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = resolve(mod, node)
            subs = [a.name for a in node.names if f"{base}.{a.name}" in known]
            names = tuple(a.name for a in node.names if a.name not in subs)
            # ``from pkg import sub`` needs only pkg to be in sys.modules (even half loaded), then
            # loads sub: it depends on pkg's code only when it also takes names defined there.
            if names or not subs:
                out.append(Import(mod, base, names, node.lineno, load_time))
            out += [Import(mod, f"{base}.{n}", (), node.lineno, load_time) for n in subs]
    return out


def module_bindings(mod: Module) -> dict[str, str]:
    """Local names ``mod`` binds to lifecycle modules by importing them (name -> module)."""
    known = modules()
    out = {}
    for node, _ in _walk(mod.tree(), True):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "lifecycle":
                    # ``import lifecycle.x`` binds ``lifecycle``; ``import lifecycle.x as y`` binds y
                    out[a.asname or "lifecycle"] = a.name if a.asname else "lifecycle"
        elif isinstance(node, ast.ImportFrom):
            base = resolve(mod, node)
            for a in node.names:
                if f"{base}.{a.name}" in known:
                    out[a.asname or a.name] = f"{base}.{a.name}"
    return out


def module_of(expr: ast.expr, bindings: dict[str, str]) -> str | None:
    """The lifecycle module ``expr`` (a name or a dotted chain of them) refers to, if any."""
    if isinstance(expr, ast.Name):
        return bindings.get(expr.id)
    if isinstance(expr, ast.Attribute):
        base = module_of(expr.value, bindings)
        if base and f"{base}.{expr.attr}" in modules():
            return f"{base}.{expr.attr}"
    return None


def strings(mod: Module) -> Iterator[tuple[ast.Constant, ast.AST | None]]:
    """Every string constant of ``mod`` with the statement that holds it at module level."""
    for stmt in mod.tree().body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield node, stmt


def enclosing_functions(tree: ast.Module) -> dict[int, str]:
    """id(node) -> the name of the innermost function holding it (module level: absent)."""
    out: dict[int, str] = {}

    def visit(node: ast.AST, fn: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else fn
            if inner is not None:
                out[id(child)] = inner
            visit(child, inner)

    visit(tree, None)
    return out
