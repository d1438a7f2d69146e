"""Every ``>>>`` example in ``lifecycle/`` runs: one test per module that has examples.

Examples that need a live system are written as plain code blocks (``Example::``), not as
skipped doctests, so what looks like a test is one.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "lifecycle"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.IGNORE_EXCEPTION_DETAIL


def _modules_with_examples() -> list[str]:
    out = []
    for path in sorted(PKG.rglob("*.py")):
        if ">>>" not in path.read_text():
            continue
        rel = path.relative_to(PKG.parent).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        out.append(".".join(parts))
    return out


MODULES = _modules_with_examples()


def test_no_example_pretends():
    """A skipped example is not a test: write it as a code block instead."""
    offenders = [str(p.relative_to(PKG.parent)) for p in sorted(PKG.rglob("*.py"))
                 if "doctest: +SKIP" in p.read_text()]
    assert offenders == []


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    tests = finder.find(module, name)
    examples = sum(len(t.examples) for t in tests)
    assert examples, f"{name} has '>>>' in its source but no example doctest can find"
    for t in tests:
        runner.run(t)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (above)"
