"""The upgrade's typed step params and outputs: what the previous version stored still fits
(runs it left resume), old action names resolve, and a misspelt param fails the plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lifecycle.engine import PlanError, StepSpec, StepView
from lifecycle.model import load_site
from lifecycle.model.endpoints import parse_endpoints
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.upgrade import build_plan, build_rollback_plan, registry
from lifecycle.runbooks.upgrade.actions import Detach, Manage

ROOT = Path(__file__).resolve().parents[2]
AT = 1733312345.123

# Params as the previous version stored them (its plan builders wrote plain dicts).
OLD_PARAMS: list[tuple[str, dict[str, Any]]] = [
    ("upgrade.net_partition", {}),
    ("upgrade.vsd_subnet", {"app": "billing", "env": "prd"}),
    ("upgrade.acl_mirror", {"app": "billing", "env": "prd", "subnet_step": "billing/prd/vsd-subnet"}),
    ("upgrade.network", {"app": "billing", "env": "prd", "subnet_step": "billing/prd/vsd-subnet",
                         "np_step": "net-partition"}),
    ("upgrade.boot", {"app": "billing", "env": "prd", "network_step": "billing/prd/network"}),
    ("upgrade.freeze", {"app": "billing", "env": "prd"}),
    ("upgrade.detach", {"app": "billing", "env": "prd", "volume": "billing-prd-ledger"}),
    ("upgrade.unmanage", {"app": "orders", "env": "prd", "reverse": True, "volume": "orders-prd-db"}),
    ("upgrade.manage", {"app": "billing", "env": "prd", "volume": "billing-prd-ledger",
                        "detach_step": "billing/prd/volume/billing-prd-ledger/detach"}),
    ("upgrade.attach", {"app": "billing", "env": "prd"}),
    ("upgrade.healthy", {"app": "orders", "env": "qa", "reverse": True}),
    ("upgrade.in_service", {"app": "billing", "env": "prd"}),
    ("upgrade.soak", {"app": "billing", "env": "prd", "in_service_step": "billing/prd/in-service",
                      "soak_seconds": 8}),
    ("upgrade.retire", {"app": "billing", "env": "prd"}),
    ("upgrade.delete_a_vms", {"app": "billing", "env": "prd"}),
    ("upgrade.delete_a_network", {"app": "orders", "env": "prd", "reverse": True}),
    ("upgrade.delete_vsd_a", {"app": "billing", "env": "prd"}),
    ("upgrade.evidence", {"app": "billing", "env": "prd", "start_step": "billing/prd/vsd-subnet"}),
    ("upgrade.rollback_check", {"app": "orders", "env": "prd", "reverse": True}),
    ("upgrade.endpoint", {"project": "finance-prd", "apps": ["billing", "reporting"]}),
    ("upgrade.endpoint", {"project": "finance-prd", "reverse": True, "app": "billing"}),
]

# Every shape the previous version's observe/apply returned.
OLD_OUTPUTS: list[tuple[str, dict[str, Any]]] = [
    ("upgrade.net_partition", {"id": "np-1", "name": "IE1", "created": False}),
    ("upgrade.vsd_subnet", {"id": "s-1", "name": "billing-prd-b", "created": True, "at": AT}),
    ("upgrade.acl_mirror", {"mirrored": ["e-2", "e-3"]}),
    ("upgrade.acl_mirror", {"mirrored": [{"of": "e-1", "rule": "reporting-to-ledger", "id": "e-2"}]}),
    ("upgrade.acl_mirror", {"mirrored": []}),
    ("upgrade.network", {"network_id": "n-1", "subnet_id": "sn-1", "created": True}),
    ("upgrade.boot", {"servers": {"billing-prd-1": "vm-1"}, "created": ["billing-prd-1"]}),
    ("upgrade.boot", {"servers": {"billing-prd-1": "vm-1"}, "created": []}),
    ("upgrade.freeze", {"mode": "stop-vms", "vms": ["orders-prd-1"], "at": AT}),
    ("upgrade.rollback_check", {"a_vms": ["orders-prd-1"], "b_vms": ["orders-prd-1"]}),
    ("upgrade.detach", {"old_id": "v-1", "size": 20, "detached": True}),
    ("upgrade.detach", {"old_id": "", "detached": False}),
    ("upgrade.unmanage", {"unmanaged": True}),
    ("upgrade.manage", {"new_id": "v-2", "old_id": "v-1"}),
    ("upgrade.attach", {"attached": {"billing-prd-ledger": "billing-prd-1"}, "at": AT}),
    ("upgrade.healthy", {"vms": ["billing-prd-1"], "at": AT}),
    ("upgrade.in_service", {"vms": ["billing-prd-1"], "at": AT}),
    ("upgrade.endpoint", {"project": "finance-prd", "cloud": "ie1-new", "switched": False}),
    ("upgrade.endpoint", {"project": "finance-prd", "cloud": "ie1-old", "switched": False,
                          "kept": "billing/prd of finance-prd still run on ie1-old"}),
    ("upgrade.endpoint", {"project": "finance-prd", "cloud": "ie1-new", "before": "ie1-old",
                          "switched": True, "at": AT}),
    ("upgrade.soak", {"soaked_s": 0, "observed": True}),
    ("upgrade.soak", {"soaked_s": 8.1}),
    ("upgrade.retire", {"vms": [], "at": AT}),
    ("upgrade.delete_a_vms", {"deleted": ["billing-prd-1"]}),
    ("upgrade.delete_a_network", {"deleted": False}),
    ("upgrade.delete_a_network", {"deleted": True, "network_id": "n-0"}),
    ("upgrade.delete_vsd_a", {"deleted": False}),
    ("upgrade.delete_vsd_a", {"deleted": True, "entries": ["e-1"]}),
    ("upgrade.evidence", {"probes": False, "since": AT, "note": "no probe service in the endpoints file"}),
    ("upgrade.evidence", {"probes": True, "since": AT, "downtime_ms": 0, "write_freeze_ms": 1250,
                          "samples": 42, "windows": [{"start": AT, "end": AT + 1.25, "why": "frozen"}]}),
]


@pytest.fixture(scope="module")
def reg(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("ep")
    ep = tmp / "endpoints.yaml"
    ep.write_text("{}\n")
    svc = Services(site_dir=ROOT / "examples/ie1", endpoints_file=ep, site=load_site(ROOT / "examples/ie1"),
                   endpoints=parse_endpoints({}, str(ep), tmp))
    return registry(svc)


@pytest.mark.parametrize(("action", "params"), OLD_PARAMS)
def test_stored_params_of_the_previous_version_fit(reg: Any, action: str, params: dict[str, Any]) -> None:
    parsed = reg.get(action).parse_params(params, step="k")
    assert {k: v for k, v in parsed.model_dump().items() if k in params} == params


@pytest.mark.parametrize(("action", "outputs"), OLD_OUTPUTS)
def test_stored_outputs_of_the_previous_version_fit_and_store_the_same(reg: Any, action: str,
                                                                        outputs: dict[str, Any]) -> None:
    assert reg.get(action).store_outputs(outputs) == outputs


def test_a_rollback_deletes_b_with_actions_named_for_the_source(reg: Any) -> None:
    for old, new in (("upgrade.delete_a_vms", "upgrade.delete_source_vms"),
                     ("upgrade.delete_a_network", "upgrade.delete_source_network"),
                     ("upgrade.delete_vsd_a", "upgrade.delete_source_vsd")):
        assert old in reg and reg.get(old) is reg.get(new)
    assert not [n for n in reg if n.startswith("upgrade.") and ("_a_" in n or n.endswith("_a"))]


def test_every_upgrade_action_is_typed_and_every_planned_step_fits(reg: Any) -> None:
    for name in reg:
        if name.startswith("upgrade.") and not name.startswith("upgrade.rec_"):
            assert reg.get(name).Params is not None and reg.get(name).Outputs is not None, name
    svc = Services(site_dir=ROOT / "examples/ie1", endpoints_file=ROOT / "none.yaml",
                   site=load_site(ROOT / "examples/ie1"))
    for plan in (build_plan(svc, recommission=False), build_rollback_plan(svc, "orders")):
        reg.check(plan.steps)


def test_a_misspelt_param_fails_the_plan_naming_step_and_field(reg: Any) -> None:
    bad = StepSpec(key="billing/prd/boot", target="app:billing", action="upgrade.boot",
                   params={"app": "billing", "env": "prd", "network": "billing/prd/network"})
    with pytest.raises(PlanError, match=r"'billing/prd/boot' \(upgrade.boot\).*network"):
        reg.check([bad])


def test_a_step_reads_its_dependency_outputs_typed() -> None:
    detach = "billing/prd/volume/billing-prd-ledger/detach"
    params = Manage.Params(app="billing", env="prd", volume="billing-prd-ledger", detach_step=detach)
    view = StepView(key="billing/prd/volume/billing-prd-ledger/manage", target="app:billing",
                    action=Manage.name, params=params, attempt=1, run_id="r",
                    dep_outputs={detach: {"old_id": "v-1", "size": 20, "detached": True}})
    assert view.output(params.detach_step, Detach.Outputs).old_id == "v-1"
