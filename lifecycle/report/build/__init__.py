"""Report builders, one per runbook: a run of the run store (and the site model, when it can be
read) as a :class:`~lifecycle.report.document.Report`. Nothing here contacts a live system.

``build_report(store, run_id, site=None)`` picks the builder by the run's kind; the document is
redacted (the store's redactor: secret-looking keys and every registered secret value) before it
is returned, so no renderer can print a secret that slipped into a step's error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lifecycle.report.build import buildout, generic, rack, upgrade
from lifecycle.report.document import Report

BUILDERS: dict[str, Callable[[Any, Any, list[Any], Any], Report]] = {
    "rack": rack.build, "upgrade": upgrade.build, "upgrade-rollback": upgrade.build,
    "buildout": buildout.build,
}


def load_site_for(run: Any, site_dir: Path | str | None = None) -> Any:
    """The site the run was planned on: ``site_dir`` if given, else the run's own ``site_dir``
    param; None when it cannot be read (the report then has no pictures of the site)."""
    from lifecycle.model import SiteInvalid, load_site

    path = site_dir or (run.params or {}).get("site_dir")
    if not path or not Path(path).is_dir():
        return None
    try:
        return load_site(Path(path))
    except (SiteInvalid, OSError):
        return None


def build_report(store: Any, run_id: str, site: Any = None, *, site_dir: Path | str | None = None,
                 redactor: Any = None) -> Report:
    """The report of run ``run_id`` (an id or a unique prefix)."""
    run = store.get_run(run_id)
    if site is None:
        site = load_site_for(run, site_dir)
    steps = store.get_steps(run.id)
    doc = BUILDERS.get(run.kind, generic.build)(store, run, steps, site)
    if site is not None and run.site_digest and site.digest != run.site_digest:
        doc.next.notes.append(f"the site read for this report ({site.digest[:19]}) is not the one the run "
                              f"was planned on ({run.site_digest[:19]}): racks and cables are today's")
    red = redactor if redactor is not None else getattr(store, "redactor", None)
    if red is None:
        from lifecycle.redact import default_redactor as red
    return Report.model_validate(red.redact(doc.model_dump(mode="json", by_alias=True)))


__all__ = ["BUILDERS", "build_report", "load_site_for"]
