"""The runbooks' ``replan`` (``i2 runs resume --replan``, issue 12 hazard 5): planned again on an
unchanged site, a stored run's steps come back the same (work dirs included), so only what the
site changed shows as affected."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from lifecycle.runbooks import overcloud
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.overcloud.plan import keep_work_dirs, replan
from tests.runbooks.twin import SITE


def _stored(plan):  # what the store hands back: rows with key, target, params
    return [SimpleNamespace(key=s.key, target=s.target, params=dict(s.params)) for s in plan.steps]


def test_hazard5_overcloud_replan_reads_the_change_back_from_the_run(tmp_path: Path) -> None:
    svc = Services(site_dir=SITE, endpoints_file=tmp_path / "endpoints.yaml")
    for mode, delete, change in (("scale", False, {"counts": {"ComputeNuage": 6}}),
                                 ("remove", True, {"remove": ["c02-s02"]})):
        spec = overcloud.render_params("ie1-new", work=tmp_path / mode, env_files=[tmp_path / "t.yaml"],
                                       **change)
        plan = overcloud.build_plan(svc, "ie1-new", mode=mode, render=spec, delete=delete)
        again = replan(svc, plan.params, _stored(plan))
        assert [s.model_dump() for s in again.steps] == [s.model_dump() for s in plan.steps]
        assert again.params == plan.params and again.site_digest == plan.site_digest


def test_a_replan_keeps_the_work_dirs_of_the_steps_the_run_has(tmp_path: Path) -> None:
    svc = Services(site_dir=SITE, endpoints_file=tmp_path / "endpoints.yaml")
    old = overcloud.build_plan(svc, "ie1-new", mode="deploy", delete=False,
                               render=overcloud.render_params("ie1-new", work=overcloud.work_dir("a")))
    new = overcloud.build_plan(svc, "ie1-new", mode="deploy", delete=False,
                               render=overcloud.render_params("ie1-new", work=overcloud.work_dir("b")))
    assert new.steps[0].params["work_dir"] != old.steps[0].params["work_dir"]
    kept = keep_work_dirs(new, _stored(old))
    assert [s.params for s in kept.steps] == [s.params for s in old.steps]
