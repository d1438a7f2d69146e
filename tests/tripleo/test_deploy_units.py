"""The deploy flow's decisions without an undercloud: what a scale or remove changes (Heat's
ResourceGroup semantics), which members need which Ironic node, whether the stack already has
i2's parameters, and the removal-aware placement check on rendered files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lifecycle.model import load_site
from lifecycle.tripleo.deploy import (
    Node,
    ScaleError,
    StackView,
    Target,
    environment_differs,
    failure_reason,
    holes,
    join_index,
    placement_findings,
    plan_target,
)
from lifecycle.tripleo.render import group_members, render_overcloud
from lifecycle.tripleo.validate import check_placement
from tests.tripleo.conftest import SITE, require_tht

SITE_MODEL = load_site(SITE)
CLOUD = SITE_MODEL.cloud("ie1-new")


def computes(active: range | list[int], available: range | list[int] = ()) -> dict[str, dict[int, Node]]:
    out: dict[int, Node] = {}
    for i in active:
        name = f"c02-s{i + 1:02d}"
        out[i] = Node(name, f"uuid-{i}", "ComputeNuage", i, "active", f"server-{i}", name)
    for i in available:
        out[i] = Node(f"c02-s{i + 1:02d}", f"uuid-{i}", "ComputeNuage", i, "available", None, None)
    return {"Controller": {}, "ComputeNuage": out}


def stack(count: int, removed: list[int] | None = None) -> StackView:
    counts = {"Controller": 3, "ComputeNuage": count}
    return StackView("overcloud", "UPDATE_COMPLETE", "DEPLOY_SUCCESS", counts,
                     {"Controller": [], "ComputeNuage": removed or []})


def test_group_members_skip_removed_indices() -> None:
    assert group_members(3) == [0, 1, 2]
    assert group_members(3, [0, 2]) == [1, 3, 4]
    assert group_members(0, [5]) == []


def test_a_new_stack_starts_from_the_site_counts() -> None:
    target = plan_target(None, CLOUD, computes([], range(8)), scale_out=["c02-s01", "c02-s02"])
    assert target.before == {"Controller": 3, "ComputeNuage": 0}
    assert target.counts == {"Controller": 3, "ComputeNuage": 2} and target.added == ["c02-s01", "c02-s02"]


def test_scale_out_counts_only_the_nodes_not_deployed_yet() -> None:
    target = plan_target(stack(2), CLOUD, computes(range(2), range(2, 8)),
                         scale_out=[f"c02-s0{i}" for i in range(1, 9)] + ["not-enrolled"])
    assert target.counts["ComputeNuage"] == 8
    assert target.added == [f"c02-s0{i}" for i in range(3, 9)]


def test_scale_down_deletes_the_highest_members_as_heat_would() -> None:
    target = plan_target(stack(7, [2]), CLOUD, computes([0, 1, 3, 4, 5, 6, 7]), counts={"ComputeNuage": 5})
    assert target.delete == ["c02-s07", "c02-s08"]  # members 6 and 7 (index 2 left earlier)
    assert target.counts["ComputeNuage"] == 5 and target.removed["ComputeNuage"] == [2, 6, 7]
    assert target.members("ComputeNuage") == [0, 1, 3, 4, 5]


def test_remove_by_name_blacklists_exactly_that_index() -> None:
    target = plan_target(stack(8), CLOUD, computes(range(8)), remove=["c02-s03"],
                         removed={"ComputeNuage": [9]})
    assert (target.delete, target.counts["ComputeNuage"]) == (["c02-s03"], 7)
    assert target.removed["ComputeNuage"] == [2, 9]  # the undercloud's last files' removals are kept
    assert target.members("ComputeNuage") == [0, 1, 3, 4, 5, 6, 7]


def test_changes_that_cannot_be_made_are_refused() -> None:
    with pytest.raises(ScaleError, match="c02-s09 is not a deployed member of ie1-new"):
        plan_target(stack(8), CLOUD, computes(range(8)), remove=["c02-s09"])
    with pytest.raises(ScaleError, match="ComputeNuage member 7 cannot be deleted: c02-s08 is available"):
        plan_target(stack(8), CLOUD, computes(range(7), [7]), counts={"ComputeNuage": 6})
    with pytest.raises(ScaleError, match="no role Compute "):
        plan_target(stack(8), CLOUD, computes(range(8)), counts={"Compute": 1})


def node(i: int, state: str, name: str | None = None) -> Node:
    return Node(name or f"c02-s{i + 1:02d}", f"uuid-{i}", "ComputeNuage", i, state,
                f"server-{i}" if state == "active" else None, None)


def test_a_first_deploy_leaves_a_hole_for_a_server_not_provided_in_the_middle() -> None:
    """Issue 16: indices are planned by name across the racks; c02-s05 (index 4) was quarantined
    (never tagged) and c02-s03 (index 2) tagged but never provided. The first deploy takes the
    others, and Heat skips 2 and 4 rather than looking for nodes tagged for them."""
    members = {**{i: node(i, "available") for i in (0, 1, 3, 5, 6)}, 2: node(2, "manageable")}
    target = plan_target(None, CLOUD, {"Controller": {}, "ComputeNuage": members}, first_deploy=True,
                         scale_out=[f"c02-s0{i}" for i in range(1, 9)])
    assert target.before["ComputeNuage"] == 0
    assert (target.counts["ComputeNuage"], target.removed["ComputeNuage"]) == (5, [2, 4])
    assert target.members("ComputeNuage") == [0, 1, 3, 5, 6]
    assert target.added == ["c02-s01", "c02-s02", "c02-s04", "c02-s06", "c02-s07"]
    assert placement_findings(target, {"ComputeNuage": members}) == []


def test_a_late_deploy_adds_the_servers_provided_since_and_keeps_the_holes() -> None:
    """The build-out's late scale-out after the fault is put right: the stack has members 0-3 and
    5 with 4 skipped; c02-s07 and c02-s08 (6, 7) join; index 4 stays skipped, never reused."""
    members = {**{i: node(i, "active") for i in (0, 1, 2, 3, 5)}, 6: node(6, "available"),
               7: node(7, "available")}
    target = plan_target(stack(5, [4]), CLOUD, {"Controller": {}, "ComputeNuage": members}, first_deploy=True,
                         scale_out=[f"c02-s0{i}" for i in range(1, 9)])
    assert (target.counts["ComputeNuage"], target.removed["ComputeNuage"]) == (7, [4])
    assert target.members("ComputeNuage") == [0, 1, 2, 3, 5, 6, 7] and target.added == ["c02-s07", "c02-s08"]
    # one joining alone above another that has not come yet: the index between is skipped too
    members.pop(6)
    alone = plan_target(stack(5, [4]), CLOUD, {"Controller": {}, "ComputeNuage": members}, first_deploy=True,
                        scale_out=["c02-s08"])
    assert (alone.counts["ComputeNuage"], alone.removed["ComputeNuage"], alone.members("ComputeNuage")) == \
        (6, [4, 6], [0, 1, 2, 3, 5, 7])
    # a server still tagged with a removed index is refused: it needs a fresh index first
    members[4] = node(4, "available", "c02-s05")
    with pytest.raises(ScaleError, match="c02-s05 is tagged node:computenuage-4, an index removed"):
        plan_target(stack(5, [4]), CLOUD, {"Controller": {}, "ComputeNuage": members}, first_deploy=True,
                    scale_out=["c02-s05"])


def test_a_server_joining_later_gets_an_index_above_every_used_and_removed_one() -> None:
    deployed = {i: node(i, "active") for i in (0, 1, 3, 5)}
    assert join_index(2, deployed) == 6  # a hole the first deploy left: never reused
    assert join_index(4, deployed, removed=[4]) == 6
    assert join_index(6, deployed, removed=[7, 9]) == 6  # above every member and not removed: kept
    assert join_index(7, deployed, removed=[7, 9]) == 10
    assert join_index(3, {**deployed, 3: node(3, "available")}) == 3  # its own tag already
    assert join_index(2, {i: node(i, "available") for i in (0, 1, 3)}) == 2  # nothing deployed yet
    assert holes([0, 1, 3, 7], removed=[5]) == [2, 4, 6]


def test_each_member_after_the_change_needs_its_tagged_deployable_node() -> None:
    nodes = computes(range(3), [3])
    nodes["ComputeNuage"][4] = Node("c02-s05", "u5", "ComputeNuage", 4, "manageable", None, None)
    target = Target(before={"ComputeNuage": 3}, counts={"ComputeNuage": 6}, removed={"ComputeNuage": []},
                    delete=["c02-s02"])
    assert placement_findings(target, nodes) == [
        "ComputeNuage member 1: c02-s02 is being deleted",
        "ComputeNuage member 4: c02-s05 is manageable, not available",
        "ComputeNuage member 5 (ComputeNuageCount 6): no Ironic node is tagged node:computenuage-5"]


def test_the_stack_environment_must_hold_i2_s_values(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({
        "remote_dir": "/home/stack/i2/x",
        "environments": [{"tht": "environments/network-isolation.yaml"}, {"file": "node-info.yaml"},
                         {"path": "/home/stack/i2/x/extra/tuning.yaml"}, {"path": "/elsewhere.yaml"}]}))
    info = "parameter_defaults: {ComputeNuageCount: 8, HostnameMap: {a: b}}\n"
    (tmp_path / "node-info.yaml").write_text(info)
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "tuning.yaml").write_text("parameter_defaults: {NovaReservedHostMemory: 4096}\n")
    have = {"parameter_defaults": {"ComputeNuageCount": 8, "HostnameMap": {"a": "b", "c": "d"},
                                   "NovaReservedHostMemory": 4096, "Other": 1}}
    assert environment_differs(tmp_path, have) == []  # THT's files may add keys to a map
    have["parameter_defaults"]["ComputeNuageCount"] = 6
    assert environment_differs(tmp_path, have) == ["ComputeNuageCount"]
    everything = ["ComputeNuageCount", "HostnameMap", "NovaReservedHostMemory"]
    assert environment_differs(tmp_path, None) == everything
    have["parameter_defaults"].update(ComputeNuageCount=8, NovaReservedHostMemory="******")
    assert environment_differs(tmp_path, have) == []  # a value Heat hides cannot be compared


def test_the_reason_of_a_failed_command_is_its_error_lines() -> None:
    tail = ["PLAY [x]", "ok: [a]", "2026 [overcloud.ComputeNuage.7]: CREATE_FAILED  ResourceInError: boom",
            "  status_reason: |", "    ResourceInError: boom", "Heat Stack update failed."]
    assert failure_reason(tail) == ("2026 [overcloud.ComputeNuage.7]: CREATE_FAILED  ResourceInError: boom | "
                                    "ResourceInError: boom | Heat Stack update failed.")
    assert failure_reason(["nothing", "useful"]) == "nothing | useful"


def test_placement_checks_the_members_removal_policies_leave(tmp_path: Path, endpoints) -> None:
    require_tht()
    tagged = {"Controller": [("r01-s01", 0), ("r01-s02", 1), ("r01-s03", 2)],
              "ComputeNuage": [(f"c02-s0{i + 1}", i) for i in range(8)]}
    out = tmp_path / "r"
    render_overcloud(SITE_MODEL, "ie1-new", endpoints, out, nodes=tagged,
                     counts={"ComputeNuage": 6}, removed={"ComputeNuage": [1, 2]})
    manifest = json.loads((out / "manifest.json").read_text())
    ironic = {role: dict((i, n) for n, i in members) for role, members in tagged.items()}
    assert check_placement(out, manifest, ironic) == []  # members 0, 3..7: all tagged
    del ironic["ComputeNuage"][7]
    found = check_placement(out, manifest, ironic)
    assert [f.parameter for f in found] == ["ComputeNuageSchedulerHints"]
    assert "no Ironic node is tagged node:computenuage-7" in found[0].message
