"""Hazard 2: the runbooks declare what their runs act on, so overlapping runs are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle.engine import Plan, ResourcesLocked, Store
from lifecycle.model import load_site
from lifecycle.runbooks import overcloud, rack
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.upgrade import build_plan, build_rollback_plan
from tests.runbooks.test_step_models import Offline
from tests.runbooks.twin import SITE

C02 = [f"server:c02-s{i:02d}" for i in range(1, 9)]


@pytest.fixture
def svc() -> Services:
    return Offline(site_dir=SITE, endpoints_file="endpoints.yaml")


def scale(svc: Services, count: int = 3) -> Plan:
    render = overcloud.render_params("ie1-new", work=Path("/tmp/w"), counts={"ComputeNuage": count})
    return overcloud.build_plan(svc, "ie1-new", mode="scale", render=render, delete=False)


def test_rack_and_overcloud_runs_declare_servers_switches_stack_and_undercloud(svc: Services) -> None:
    assert rack.build_plan(svc, "c02").resources == [
        *C02, "stack:ie1-new", "switch:c02-leaf1", "switch:c02-leaf2", "undercloud:uc-new"]
    assert scale(svc).resources == ["stack:ie1-new", "undercloud:uc-new"]


def test_upgrade_runs_declare_apps_projects_and_vsd_zones() -> None:
    svc = Services(site_dir=SITE, endpoints_file=Path("none.yaml"), site=load_site(SITE))
    back = build_rollback_plan(svc, "orders").resources
    assert back == ["app:orders", "project:commerce-prd", "project:commerce-qa",
                    "vsd-zone:ie1-prd/orders", "vsd-zone:ie1-qa/orders"]
    # the upgrade moving orders overlaps its rollback, whatever their targets
    assert set(back) <= set(build_plan(svc, recommission=False).resources)


def test_a_scale_is_refused_while_a_rack_run_of_its_cloud_is_open(svc: Services, tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path}/i2.db") as store:
        run = store.create_run(rack.build_plan(svc, "c02"))
        with pytest.raises(ResourcesLocked, match=f"run {run} \\(pending\\), the rack run on rack:c02, "
                                                  "holds stack:ie1-new, undercloud:uc-new: "):
            store.create_run(scale(svc))
        store.abort_run(run)
        assert store.create_run(scale(svc))
