"""The architecture's layering rules, checked on the source: data flows down, never back up."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "lifecycle"
VENDOR_SDKS = {"hpOneView", "pyeapi", "vspk", "bambou", "openstack", "ironicclient", "paramiko",
               "anta", "ztpserver"}


def imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def modules(under: str) -> list[Path]:
    return sorted((PKG / under).rglob("*.py")) if under else sorted(PKG.rglob("*.py"))


def test_product_never_imports_the_twin():
    offenders = [
        f"{p.relative_to(PKG.parent)} imports {m}"
        for p in modules("") if "lab" not in p.relative_to(PKG).parts[:1]
        for m in imports(p) if m == "lifecycle.lab" or m.startswith("lifecycle.lab.")
    ]
    assert offenders == []


def test_engine_knows_no_vendor_and_no_adapter():
    assert modules("engine"), "the engine package must exist"
    offenders = [
        f"{p.relative_to(PKG.parent)} imports {m}"
        for p in modules("engine") for m in imports(p)
        if m.split(".")[0] in VENDOR_SDKS
        or (m.startswith("lifecycle.") and not m.startswith(("lifecycle.engine", "lifecycle.redact")))
    ]
    assert offenders == []


def test_model_is_pure_intent():
    offenders = [
        f"{p.relative_to(PKG.parent)} imports {m}"
        for p in modules("model") for m in imports(p)
        if m.split(".")[0] in VENDOR_SDKS or m.startswith(("lifecycle.engine", "lifecycle.cli"))
    ]
    assert offenders == []
