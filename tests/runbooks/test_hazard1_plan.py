"""Hazard 1 in the rack plan, offline: a server deployed in Ironic whose OneView profile would
change refuses the plan (naming it and why); the recommission's profile steps carry the step that
drained the server as a hard dependency."""

from __future__ import annotations

from types import SimpleNamespace as NS
from typing import Any

import pytest

from lifecycle.runbooks import rack, recommission
from lifecycle.runbooks.common import Services

SITE = "examples/ie1"


class Estate(Services):
    """The example site; c02-s02 is an active node (a hypervisor) whose profile is not compliant."""

    def baremetal(self, undercloud: str) -> Any:
        def node(name: str) -> Any:
            return NS(provision_state="active") if name == "c02-s02" else None
        return NS(used_indices=lambda prefix: {}, node=node)

    def oneview(self) -> Any:
        return NS(observe_template=lambda p: NS(action="unchanged", uri="/rest/spt/1"),
                  observe_server=lambda s, uri: "profile noncompliant")


def test_hazard1_rack_plan_refuses_a_serving_server_whose_profile_would_change() -> None:
    svc = Estate(site_dir=SITE, endpoints_file="endpoints.yaml")
    with pytest.raises(ValueError) as err:
        rack.build_plan(svc, "c02")
    msg = str(err.value)
    assert "c02-s02: its Ironic node in uc-new is 'active'" in msg and "profile noncompliant" in msg
    assert "c02-s01" not in msg and "nothing was touched" in msg
    plan = rack.build_plan(svc, "c02", servers=["c02-s01"])  # the others are still planned
    assert plan.steps


def test_hazard1_recommission_profile_steps_depend_on_the_drain_that_allows_them() -> None:
    svc = Estate(site_dir=SITE, endpoints_file="endpoints.yaml")
    svc.override_site(recommission.recommissioned(svc.site))
    planned = recommission.recommission_steps(svc, waves=["wave2"], after={"wave2": ["end"]})
    steps = {s.key: s for s in planned}
    for n in range(1, 7):
        profile = steps[f"rec/c01-s0{n}/profile"]
        assert profile.params["drained_by"] == f"rec/c01-s0{n}/undeploy"
        assert f"rec/c01-s0{n}/undeploy" in profile.deps


def _profile_step(drained_by: str | None, deps: dict[str, Any]) -> Any:
    from lifecycle.engine import StepView
    from lifecycle.runbooks.rack.oneview import ApplyProfile

    params = ApplyProfile.Params(server="c02-s02", undercloud="uc-new", identify_step="c02-s02/identify",
                                 template_step="template/dl360g9-compute", drained_by=drained_by)
    return StepView(key="rec/c02-s02/profile", target="server:c02-s02", action=ApplyProfile.name,
                    params=params, attempt=1, dep_outputs=deps, run_id="r")


def test_hazard1_profile_step_refuses_a_serving_server_unless_drained_by_this_run() -> None:
    from lifecycle.engine import ActionContext, PermanentError
    from lifecycle.runbooks.rack.oneview import ApplyProfile

    svc = Estate(site_dir=SITE, endpoints_file="endpoints.yaml")
    action, ctx = ApplyProfile(svc), ActionContext("r", "rec/c02-s02/profile")
    with pytest.raises(PermanentError, match=r"refused: c02-s02 is serving \(its Ironic node in uc-new is "
                                             r"'active'.*nothing was touched"):
        action.refuse_if_serving(_profile_step(None, {}), ctx)
    with pytest.raises(PermanentError, match=r"drained_by 'rec/c02-s02/undeploy' is not a done dependency"):
        action.refuse_if_serving(_profile_step("rec/c02-s02/undeploy", {}), ctx)
    done = {"rec/c02-s02/undeploy": {"deleted": True}}
    action.refuse_if_serving(_profile_step("rec/c02-s02/undeploy", done), ctx)  # drained by this run: allowed
