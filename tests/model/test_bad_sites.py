"""The corpus of broken sites: each case is tests/data/good-site with exactly one defect.

``bad-sites/<case>/`` is the site, ``bad-sites/<case>.expect.yaml`` lists every problem the defect
must cause: ``file``, ``line`` and ``field`` exactly as reported, and a substring of the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lifecycle.model import Problem, validate_site

DATA = Path(__file__).resolve().parents[1] / "data"
GOOD = DATA / "good-site"
BAD = DATA / "bad-sites"
CASES = sorted(p for p in BAD.iterdir() if p.is_dir())


def expected(case: Path) -> list[dict[str, Any]]:
    return yaml.safe_load((BAD / f"{case.name}.expect.yaml").read_text(encoding="utf-8"))


def matches(problem: Problem, want: dict[str, Any]) -> bool:
    return ((problem.file, problem.line, problem.field) == (want["file"], want["line"], want["field"])
            and want["contains"] in problem.message)


def listing(problems: list[Problem]) -> str:
    return "\n".join(f"  {p}" for p in problems)


def site_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_corpus_has_enough_cases():
    assert len(CASES) >= 28


def test_every_case_has_a_well_formed_expect_file():
    expects = {p.name.removesuffix(".expect.yaml") for p in BAD.glob("*.expect.yaml")}
    assert expects == {c.name for c in CASES}, "an expect file without a case, or the reverse"
    for case in CASES:
        items = expected(case)
        assert items, case.name
        for item in items:
            assert set(item) == {"file", "line", "field", "contains"}, (case.name, item)
            assert (case / item["file"]).is_file(), (case.name, item)
            assert isinstance(item["line"], int) and item["line"] >= 1, (case.name, item)
            assert item["contains"], (case.name, item)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_case_differs_from_the_good_site_in_one_file(case: Path):
    good, bad = site_files(GOOD), site_files(case)
    assert set(bad) == set(good), "a case holds the good site's files, and only those"
    changed = [name for name in good if good[name] != bad[name]]
    assert len(changed) == 1, changed


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_bad_site_reports_its_problems(case: Path):
    site, problems = validate_site(case)
    assert site is None
    assert problems
    for p in problems:
        assert p.file and p.message, p
    for want in expected(case):
        assert any(matches(p, want) for p in problems), (
            f"{case.name}: not reported: {want}\nreported:\n{listing(problems)}")


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_bad_site_reports_nothing_else(case: Path):
    """One defect, no cascade of problems about things that are fine (or merely depend on it)."""
    _, problems = validate_site(case)
    wanted = expected(case)
    extra = [p for p in problems if not any(matches(p, want) for want in wanted)]
    assert not extra, f"{case.name}: unexpected:\n{listing(extra)}"
