"""The package's shape: no import cycle, no reaching into another module's ``_private`` names,
and small modules (one concept each).

Checked on the source (``tests/source.py``), over every module of ``lifecycle/``, twin included.
"""

from __future__ import annotations

import ast
import tomllib

from tests.source import ROOT, Module, imports, module_bindings, module_of, modules

MAX_LINES = 450
# The twin's emulators may run longer: each mirrors a vendor's command or API surface in one
# place, so a wire contract reads as one table. Everything else stays under MAX_LINES.
LONG_EMULATORS = {
    "lifecycle/lab/eos/show/system.py",  # EOS `show` commands: version, LLDP, MLAG, BGP, CVX, ...
    "lifecycle/lab/eos/config.py",  # the EOS running-config parser and session semantics
    "lifecycle/lab/eos/show/interfaces.py",  # EOS `show interfaces*` and port-channel output
}


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def load_time_graph() -> dict[str, set[str]]:
    """lifecycle module -> the lifecycle modules it imports when loaded (edges of the cycle test).

    Imports inside functions run when called, after every module has loaded, so they create no
    load-time cycle; ``if TYPE_CHECKING:`` imports never run.
    """
    known = modules()
    return {name: {i.target for i in imports(m) if i.load_time and i.target in known and i.target != name}
            for name, m in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                out.append(sorted(scc))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycle():
    """Among lifecycle modules, counting what runs at load time (module level, class bodies)."""
    graph = load_time_graph()
    found = [" -> ".join(c) for c in cycles(graph)]
    assert found == []


def private_uses(m: Module) -> list[str]:
    out = []
    known = modules()
    for i in imports(m):
        if i.target in known and i.target != m.name:
            out += [f"{m.rel}:{i.line} imports {i.target}.{n}" for n in i.names
                    if private(n) and f"{i.target}.{n}" not in known]
    bindings = module_bindings(m)
    for node in ast.walk(m.tree()):
        if isinstance(node, ast.Attribute) and private(node.attr):
            owner = module_of(node.value, bindings)
            if owner is not None and owner != m.name:
                out.append(f"{m.rel}:{node.lineno} uses {owner}.{node.attr}")
    return out


def test_private_use_finder(tmp_path):
    """The finder sees ``from x import _y`` and ``x._y`` / ``lifecycle.x._y`` (a synthetic module)."""
    src = ("import lifecycle.engine.actions\nfrom lifecycle.engine import actions as a\n"
           "from lifecycle.engine.actions import _hidden, Action\n"
           "a._x\nlifecycle.engine.actions._y\na.__name__\n")
    fake = tmp_path / "fake.py"
    fake.write_text(src)
    m = Module("lifecycle.cli.fake", fake, is_package=False)
    assert [u.split(" ", 1)[1] for u in private_uses(m)] == [
        "imports lifecycle.engine.actions._hidden", "uses lifecycle.engine.actions._x",
        "uses lifecycle.engine.actions._y"]


def test_no_module_uses_another_modules_private_names():
    """``from lifecycle.x import _y`` and ``x._y`` across modules: make it public or move it."""
    offenders = [use for m in modules().values() for use in private_uses(m)]
    assert offenders == []


def line_count(path) -> int:
    return len(path.read_text().splitlines())


def test_modules_are_small():
    long = {m.rel: line_count(m.path) for m in modules().values() if line_count(m.path) > MAX_LINES}
    assert {k: v for k, v in long.items() if k not in LONG_EMULATORS} == {}


def test_long_module_allowance_is_current():
    """An allowed emulator that is gone or has shrunk under the limit leaves the list."""
    stale = [p for p in sorted(LONG_EMULATORS)
             if not (ROOT / p).is_file() or line_count(ROOT / p) <= MAX_LINES]
    assert stale == []
    assert all(p.startswith("lifecycle/lab/") for p in LONG_EMULATORS), "only the twin's emulators"


def test_package_data_is_shipped():
    """Every file of the package that is not Python is package data: an installed i2 has it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = {f for package, patterns in config.items() for pattern in patterns
               for f in (ROOT.joinpath(*package.split("."))).glob(pattern)}
    data = {f for f in (ROOT / "lifecycle").rglob("*")
            if f.is_file() and f.suffix not in (".py", ".pyc") and "__pycache__" not in f.parts}
    assert sorted(str(f.relative_to(ROOT)) for f in data - shipped) == []
