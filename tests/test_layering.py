"""The architecture's layering rules, checked on the source: data flows down, never back up.

The product (everything in ``lifecycle/`` outside ``lifecycle/lab``) never loads the twin, by
any route, and never needs what only the twin needs: ``pip install i2-lifecycle`` without the
``[lab]`` extra is a whole product. The one door to the twin is ``i2 lab`` in
``lifecycle/cli/main.py``, and it says how to install the twin when it is missing.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata

import pytest
from click.testing import CliRunner

from tests.source import ROOT, TWIN, Module, enclosing_functions, imports, in_twin, modules, product, strings

VENDOR_SDKS = {"hpOneView", "pyeapi", "vspk", "bambou", "openstack", "ironicclient", "paramiko",
               "anta", "ztpserver", "jsonrpclib", "openstackclient"}
# The one string in product code that names the twin: cli/main.py's lazy ``i2 lab`` group.
TWIN_NAMED_AT = {("lifecycle.cli.main", "LAB_GROUP")}
# Loading modules by name at run time is confined to these functions (module -> function).
DYNAMIC_IMPORTS = {
    "lifecycle.cli.main": "load_lab",  # i2 lab, guarded by the missing-extra handler (below)
    "lifecycle.engine.actions": "load_runbook",  # a stored run's "module:factory"
}
DYNAMIC_CALLS = {"import_module", "__import__", "spec_from_file_location", "run_module", "run_path",
                 "SourceFileLoader"}
# Executed by the .venv-heat interpreter (scripts/lib/tht.sh), whose own pins cover their imports.
HEAT_VENV = {"lifecycle.tripleo.heat_runner", "lifecycle.tripleo.heat_offline",
             "lifecycle.tripleo.heat_static"}


def pkg(under: str) -> list[Module]:
    return [m for m in modules().values() if m.name == f"lifecycle.{under}"
            or m.name.startswith(f"lifecycle.{under}.")]


def import_targets(m: Module) -> set[str]:
    return {i.target for i in imports(m) if i.target}


# -- the twin stays out of the product -------------------------------------------------------------

def test_product_never_imports_the_twin():
    """``import``, ``from``, relative (``from ..lab import x``), in functions or at load time."""
    offenders = [f"{i.importer.rel}:{i.line} imports {i.target}"
                 for m in product() for i in imports(m)
                 if in_twin(i.target) or any(in_twin(f"{i.target}.{n}") for n in i.names)]
    assert offenders == []


# The product's own code the twin must not use (issue 15): it builds its estate, validates
# uploads and answers from the site model and its own code, so it cannot agree with i2 by
# construction (`i2 lab` may use the CLI's plumbing). No allowance is left.
PRODUCT_CODE = ("fabric", "oneview", "baremetal", "nuage", "clouds", "tripleo", "runbooks",
                "loadbalancer", "vmaccess", "probes", "report", "engine")


def product_code(target: str) -> bool:
    return any(target == f"lifecycle.{p}" or target.startswith(f"lifecycle.{p}.") for p in PRODUCT_CODE)


def test_the_twin_never_imports_the_product_s_code():
    """The twin uses the site model and its own code: imports, and module names in strings."""
    twin = [m for m in modules().values() if m.in_twin]
    found = {(m.name, i.target) for m in twin for i in imports(m) if i.target and product_code(i.target)}
    named = {(m.name, node.value.split(":")[0]) for m in twin for node, _ in strings(m)
             if re.fullmatch(r"lifecycle(\.\w+)+(:\w+)?", node.value)}
    found |= {(m, t) for m, t in named if product_code(t)}
    assert found == set(), sorted(found)


def test_relative_imports_are_resolved():
    """The rule above sees through relative imports (checked on a synthetic module)."""
    from tests.source import resolve

    mod = Module("lifecycle.cli.rack", ROOT / "lifecycle/cli/rack.py", is_package=False)
    pkg_init = Module("lifecycle.cli", ROOT / "lifecycle/cli/__init__.py", is_package=True)
    stmt = ast.parse("from ..lab import cli\nfrom .. import lab\nfrom . import output").body
    assert [resolve(mod, s) for s in stmt] == ["lifecycle.lab", "lifecycle", "lifecycle.cli"]  # type: ignore[arg-type]
    assert resolve(pkg_init, stmt[2]) == "lifecycle.cli"  # type: ignore[arg-type]


def test_product_names_the_twin_in_one_place():
    """No string that loads the twin (``"lifecycle.lab..."``, ``"lifecycle.lab.x:obj"``) but one."""
    named = []
    for m in product():
        for const, stmt in strings(m):
            text = const.value.strip()
            if text.startswith(TWIN) or f"{TWIN}:" in text or re.search(rf"{re.escape(TWIN)}\.\w+:", text):
                target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else None
                named.append((m.name, target.id if isinstance(target, ast.Name) else f"line {const.lineno}"))
    assert set(named) == TWIN_NAMED_AT and len(named) == len(TWIN_NAMED_AT)


def test_modules_are_loaded_by_name_only_in_named_places():
    """``importlib.import_module`` & co. in product code: only where DYNAMIC_IMPORTS says."""
    found = set()
    for m in product():
        tree = m.tree()
        where = enclosing_functions(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
                if name in DYNAMIC_CALLS:
                    found.add((m.name, where.get(id(node), "<module>")))
    assert found == set(DYNAMIC_IMPORTS.items())


def test_the_twin_loader_is_guarded():
    """``load_lab``'s import sits in a ``try`` whose handler turns ImportError into the hint."""
    tree = modules()["lifecycle.cli.main"].tree()
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "load_lab")
    guarded = [t for t in ast.walk(fn) if isinstance(t, ast.Try)
               and any(isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                       for h in t.handlers)
               and any(isinstance(c, ast.Call) and getattr(c.func, "attr", "") == "import_module"
                       for s in t.body for c in ast.walk(s))]
    assert guarded, "load_lab must import the twin inside try/except ImportError"


HINT = "the twin is not installed: pip install 'i2-lifecycle[lab]'"


def test_i2_lab_without_the_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch):
    from lifecycle.cli import main

    monkeypatch.setattr(main, "lab_missing", lambda: ["jsonrpclib", "anta"])
    runner = CliRunner()
    for args in (["lab", "up", "--help"], ["lab"], ["lab", "status", "--dir", "/nowhere"]):
        result = runner.invoke(main.cli, args)
        assert result.exit_code == 1, (args, result.output)
        assert f"{HINT} (missing: jsonrpclib, anta)" in result.output
    listing = runner.invoke(main.cli, ["--help"])
    assert listing.exit_code == 0 and "lab" in listing.output and "i2-lifecycle[lab]" in listing.output


def test_a_missing_twin_dependency_on_import_gives_the_hint(monkeypatch: pytest.MonkeyPatch):
    from lifecycle.cli import main

    def no_module(name: str) -> None:
        raise ModuleNotFoundError(f"No module named {name!r}", name="jsonrpclib")

    monkeypatch.setattr(main, "lab_missing", lambda: [])
    monkeypatch.setattr(main.importlib, "import_module", no_module)
    result = CliRunner().invoke(main.cli, ["lab", "up", "--help"])
    assert result.exit_code == 1 and f"{HINT} (missing: jsonrpclib)" in result.output


def test_a_broken_twin_module_is_not_mistaken_for_a_missing_extra(monkeypatch: pytest.MonkeyPatch):
    from lifecycle.cli import main

    def broken(name: str) -> None:
        raise ImportError("cannot import name 'gone'", name="lifecycle.lab.estate")

    monkeypatch.setattr(main, "lab_missing", lambda: [])
    monkeypatch.setattr(main.importlib, "import_module", broken)
    with pytest.raises(ImportError, match="gone"):
        main.load_lab()


def test_lab_missing_reads_the_lab_extra(monkeypatch: pytest.MonkeyPatch):
    from lifecycle.cli import main

    requires = ["click>=8.1", 'jsonrpclib==0.2.1; extra == "lab"', "anta<1.11,>=1.0; extra == 'lab'",
                'pytest>=8; extra == "dev"', 'python-openstackclient<10.6,>=7; extra == "lab"']
    installed = {"click", "anta", "pytest"}

    def version(name: str) -> str:
        if name not in installed:
            raise metadata.PackageNotFoundError(name)
        return "1"

    monkeypatch.setattr(main.metadata, "requires", lambda dist: requires)
    monkeypatch.setattr(main.metadata, "version", version)
    assert main.lab_missing() == ["jsonrpclib", "python-openstackclient"]


def test_i2_lab_loads_the_twin_when_installed():
    from lifecycle.cli import main

    result = CliRunner().invoke(main.cli, ["lab", "--help"])
    assert result.exit_code == 0 and "digital twin" in result.output


# -- what the product needs is what `pip install i2-lifecycle` installs -----------------------------

def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(req: str) -> str:
    return canonical(re.split(r"[\s\[<>=!~;(]", req.strip(), maxsplit=1)[0])


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def closure(names: set[str]) -> set[str]:
    """``names`` and everything they require (no extras), as installed here."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            reqs = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [requirement_name(r) for r in reqs if "extra" not in r.partition(";")[2]]
    return seen


def module_distributions() -> dict[str, set[str]]:
    return {mod: {canonical(d) for d in dists} for mod, dists in metadata.packages_distributions().items()}


def third_party(m: Module) -> set[str]:
    return {t.split(".")[0] for t in import_targets(m)} - set(sys.stdlib_module_names) - {
        "lifecycle", "__future__"}


def test_product_imports_only_what_a_plain_install_brings():
    """Every third-party module product code imports comes with the core dependencies."""
    core = closure({requirement_name(r) for r in project()["dependencies"]})
    dists = module_distributions()
    offenders = [f"{m.rel} imports {top} ({', '.join(sorted(dists.get(top, ['not installed'])))})"
                 for m in product() if m.name not in HEAT_VENV
                 for top in sorted(third_party(m)) if not dists.get(top, set()) & core]
    assert offenders == []


def test_product_never_imports_twin_only_dependencies():
    """What the ``[lab]`` extra lists (ztpserver's EOS-side client deps, stock clients) stays out."""
    lab = {requirement_name(r) for r in project()["optional-dependencies"]["lab"]}
    assert {"jsonrpclib", "six", "python-openstackclient"} <= lab
    by_dist: dict[str, set[str]] = {}
    for mod, dists in module_distributions().items():
        for d in dists:
            by_dist.setdefault(d, set()).add(mod)
    lab_modules = {mod for d in lab for mod in by_dist.get(d, {d.removeprefix("python-").replace("-", "_")})}
    offenders = [f"{m.rel} imports {top}" for m in product() for top in sorted(third_party(m) & lab_modules)]
    assert offenders == []


def test_constraints_pin_every_requirement_within_its_range():
    """constraints.txt (what CI installs) sits inside pyproject.toml's tested ranges."""
    from packaging import requirements  # pytest depends on packaging
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonical(name)] = version.strip()
    reqs = [*project()["dependencies"], *(r for extra in project()["optional-dependencies"].values()
                                            for r in extra)]
    wrong = []
    for text in reqs:
        req = requirements.Requirement(text)
        name = canonical(req.name)
        if name == "i2-lifecycle":
            continue
        if name not in pins:
            wrong.append(f"{name}: not pinned")
        elif not req.specifier.contains(pins[name], prereleases=True):
            wrong.append(f"{name}=={pins[name]} outside {req.specifier}")
        elif not any(s.operator in ("<", "<=", "==", "~=") for s in req.specifier):
            wrong.append(f"{name}: no upper bound ({req.specifier or 'any'})")
    assert wrong == []


def test_dev_includes_the_twin():
    extras = project()["optional-dependencies"]
    assert any(requirement_name(r) == "i2-lifecycle" and "lab" in r for r in extras["dev"])


# -- layers inside the product --------------------------------------------------------------------

def test_engine_knows_no_vendor_and_no_adapter():
    assert pkg("engine"), "the engine package must exist"
    offenders = [
        f"{m.rel} imports {t}"
        for m in pkg("engine") for t in import_targets(m)
        if t.split(".")[0] in VENDOR_SDKS
        or (t.startswith("lifecycle.") and not t.startswith(("lifecycle.engine", "lifecycle.redact")))
    ]
    assert offenders == []


def test_model_is_pure_intent():
    offenders = [
        f"{m.rel} imports {t}"
        for m in pkg("model") for t in import_targets(m)
        if t.split(".")[0] in VENDOR_SDKS or t.startswith(("lifecycle.engine", "lifecycle.cli"))
    ]
    assert offenders == []
