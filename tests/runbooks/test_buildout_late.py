"""The build-out's late scale-out and the tag step's index, without a twin: an Ironic stand-in
(the example site's ie1-new, uc-new) that lists tagged nodes. A late scale-out with no server to
add reads Ironic once and its next steps observe "nothing to add" without the undercloud (the
endpoints file has none here: any call would fail); a server whose planned index the cloud's
deploy skips since (a hole) is tagged with a fresh index."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace as NS
from typing import Any

import pytest

from lifecycle.engine import StepView
from lifecycle.runbooks import overcloud
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.overcloud.deploy import EnsureDeployed
from lifecycle.runbooks.overcloud.files import Render, Upload, Validate
from lifecycle.runbooks.rack.ironic import Tag
from tests.nuage.buildout_env import context
from tests.runbooks.twin import SITE

BASE = "overcloud/ie1-new/late/c02"


def node(name: str, index: int, state: str) -> Any:
    return NS(name=name, id=f"uuid-{name}", provision_state=state,
              instance_id=f"i-{name}" if state == "active" else None, instance_info={},
              properties={"capabilities": f"node:computenuage-{index},boot_option:local"})


class Ironic:
    """An Ironic's node list, and the tags written."""

    def __init__(self, nodes: list[Any]) -> None:
        self.listed = nodes
        self.tags: list[tuple[str, str | None]] = []
        self.api = NS(nodes=lambda fields=None: list(self.listed))

    def tag(self, spec: Any, *, node_index: str | None = None) -> list[str]:
        self.tags.append((spec.name, node_index))
        return [f"node:{node_index}"]


class Offline(Services):
    def __init__(self, bm: Ironic) -> None:
        super().__init__(site_dir=SITE, endpoints_file="endpoints.yaml")
        self.bm = bm

    def baremetal(self, undercloud: str) -> Any:
        return self.bm


def late_render(tmp_path: Any) -> StepView:
    spec = overcloud.render_params("ie1-new", work=tmp_path, scale_out=["c02-s01", "c02-s02", "c02-s03"],
                                   late=True)
    render = overcloud.overcloud_steps("ie1-new", render=spec, base=BASE, ensure=True)[0]
    return StepView(key=render.key, target=render.target, action=Render.name,
                    params=Render.Params.model_validate(render.params), attempt=1, dep_outputs={}, run_id="t")


def test_a_late_scale_out_with_no_server_to_add_costs_one_ironic_read(tmp_path: Any) -> None:
    bm = Ironic([node("c02-s01", 0, "active"), node("c02-s02", 1, "active")])  # c02-s03 never enrolled
    svc = Offline(bm)
    step = late_render(tmp_path)
    assert step.params.first_deploy and step.params.late
    out = Render(svc).apply(step, context(step.key))
    assert out.nothing and out.files == [] and out.target.added == []
    dep = {step.key: out.model_dump()}
    after = replace(step, key=f"{BASE}/validate", dep_outputs=dep)
    assert Validate(svc).apply(after, context(after.key)).nothing
    up = replace(step, key=f"{BASE}/upload", params=Upload.Params(**step.params.model_dump(
        include={"cloud", "render_step", "validate_step"})), dep_outputs=dep)
    assert Upload(svc).observe(up, context(up.key)).uploaded == 0
    deployed = EnsureDeployed(svc).observe(replace(up, key=f"{BASE}/deploy"), context(up.key))
    assert (deployed.ran, deployed.deployment) == (False, "nothing to add")


def test_a_provided_server_not_deployed_is_rendered(tmp_path: Any) -> None:
    bm = Ironic([node("c02-s01", 0, "active"), node("c02-s02", 1, "available")])
    step = late_render(tmp_path)
    assert Render(Offline(bm)).nothing_to_add(step, "/home/stack/i2/ie1-new") is None


class Tagging(Tag):
    def spec(self, step: StepView) -> Any:  # the node spec needs OneView's facts: only its name counts here
        return NS(name=step.params.server)


def tag(bm: Ironic, server: str, planned: str) -> str | None:
    step = StepView(key=f"{server}/tag", target=f"server:{server}", action=Tag.name, attempt=1, run_id="t",
                    params=Tag.Params(server=server, undercloud="uc-new", identify_step=f"{server}/identify",
                                      node_index=planned), dep_outputs={})
    return Tagging(Offline(bm)).apply(step, context(step.key)).node


@pytest.mark.parametrize(("planned", "tagged"), [
    ("computenuage-1", "computenuage-4"),  # a hole the first deploy left below deployed members
    ("computenuage-4", "computenuage-4"),  # above every deployed member: as planned
])
def test_a_server_tagged_after_the_first_deploy_never_takes_a_hole(planned: str, tagged: str) -> None:
    bm = Ironic([node("c02-s01", 0, "active"), node("c02-s03", 2, "active"), node("c02-s04", 3, "active")])
    assert tag(bm, "c02-s02", planned) == tagged
    assert bm.tags == [("c02-s02", tagged)]


def test_a_fresh_index_already_given_is_kept_on_a_retry() -> None:
    bm = Ironic([node("c02-s01", 0, "active"), node("c02-s03", 2, "active"), node("c02-s02", 3, "available")])
    assert tag(bm, "c02-s02", "computenuage-1") == "computenuage-3"
