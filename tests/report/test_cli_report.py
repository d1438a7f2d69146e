"""``i2 runs report ID [--md FILE] [--html FILE] [-o json]`` on a stored twin run, the reports every
apply writes next to the run store, and the schema as docs/reports.md documents it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from lifecycle.cli.execute import write_reports
from lifecycle.cli.main import cli
from lifecycle.report import document
from lifecycle.report.document import Report
from tests.report.stored import DEMO, ROOT, SITE, copy, open_store, run_of


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, str]:
    path = copy(tmp_path, DEMO)
    with open_store(path) as st:
        return f"sqlite:///{path}", run_of(st, "rack")


def i2(db: str, *args: str) -> object:
    return CliRunner().invoke(cli, ["--db", db, "--site", str(SITE), *args], env={"COLUMNS": "200"})


def test_json_is_the_document(db: tuple[str, str]):
    url, run_id = db
    res = i2(url, "-o", "json", "runs", "report", run_id[:6])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["schema"] == "i2.report/1"
    assert set(data) == {f.alias or n for n, f in Report.model_fields.items()}
    doc = Report.model_validate(data)
    assert doc.run.id == run_id and doc.run.kind == "rack"
    assert [r.name for r in doc.racks] == ["c02"] and len(doc.fabric.cables) == 22
    assert {o.name for o in doc.outcomes if o.kind == "server"} == {f"c02-s0{i}" for i in range(1, 9)}


def test_without_files_it_prints_the_markdown(db: tuple[str, str]):
    url, run_id = db
    res = i2(url, "runs", "report", run_id)
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith(f"# i2 rack run {run_id}: rack:c02 — succeeded\n")
    assert "## Quarantines" in res.stdout and "## Next" in res.stdout


def test_files(db: tuple[str, str], tmp_path: Path):
    url, run_id = db
    md, html = tmp_path / "out" / "r.md", tmp_path / "out" / "r.html"
    res = i2(url, "runs", "report", run_id, "--md", str(md), "--html", str(html))
    assert res.exit_code == 0, res.output
    assert res.stdout == ""  # the paths go to stderr
    assert md.read_text().startswith(f"# i2 rack run {run_id}")
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and "c02-s08" in page
    assert md.stat().st_mode & 0o077 == 0  # a report names the estate's hosts: private


def test_an_unknown_run_is_a_clear_error(db: tuple[str, str]):
    res = i2(db[0], "runs", "report", "ffffffffffff")
    assert res.exit_code == 1 and "ffffffffffff" in res.output


def test_every_apply_writes_its_reports_next_to_the_run_store(db: tuple[str, str], monkeypatch):
    monkeypatch.delenv("I2_REPORTS_DIR", raising=False)
    url, run_id = db
    with open_store(Path(url.removeprefix("sqlite:///"))) as st:
        paths = write_reports(st, run_id, site_dir=SITE)
    where = Path(url.removeprefix("sqlite:///")).parent / "reports"
    assert paths == [where / f"{run_id}.md", where / f"{run_id}.html"]
    assert "### Rack c02" in paths[0].read_text()


def test_docs_describe_every_field_of_the_schema():
    text = (ROOT / "docs" / "reports.md").read_text()
    models = [m for m in vars(document).values()
              if isinstance(m, type) and issubclass(m, BaseModel) and m.__module__ == document.__name__]
    missing = [f"{m.__name__}.{f.alias or n}" for m in models for n, f in m.model_fields.items()
               if not re.search(rf"`{re.escape(f.alias or n)}(\[\])?`", text)]
    assert missing == []
    assert "i2 runs report" in (ROOT / "docs" / "cli.md").read_text()


def test_an_apply_ends_by_writing_its_reports(tmp_path: Path, monkeypatch):
    """``run_plan`` (what every apply goes through) writes the run's reports, failed steps included."""
    from lifecycle.cli.context import Ctx
    from lifecycle.cli.execute import run_plan
    from lifecycle.engine import load_runbook
    from tests.engine.plans import plan, step
    from tests.engine.toy import RUNBOOK

    monkeypatch.delenv("I2_REPORTS_DIR", raising=False)
    monkeypatch.setenv("I2_EVENTS_DIR", str(tmp_path / "events"))
    ctx = Ctx(site_dir=None, endpoints_file=None, db_url=f"sqlite:///{tmp_path / 'i2.db'}", output="json")
    toy = plan([step("s1/a"), step("s2/a", params={"permanent": True})], str(tmp_path / "effects"))
    run_id, result = run_plan(ctx, toy, load_runbook(RUNBOOK), None, limits={}, what="toy")
    md = (tmp_path / "reports" / f"{run_id}.md").read_text()
    assert (tmp_path / "reports" / f"{run_id}.html").is_file()
    assert f"# i2 toy run {run_id}: rack:t1 — {result.status}" in md
    assert "- **server:s2**: a failed:" in md and f"`i2 runs resume {run_id}`" in md
