"""The recommission's fabric step (``upgrade.rec_fabric``) on the old rack's leaves as the network
team typed them (the twin's brownfield writer, on the EOS emulator, through pyeapi): the servers'
ports move to the new cloud's VLANs and the old cloud's VLANs go, while the team's own settings
(VLAN 999, the shut described spare port, the management description) are pushed back as they
are; a second observe finds nothing to change. The upgrade plan names those settings as
``foreign`` and left alone."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from lifecycle.engine import ActionContext, StepView
from lifecycle.fabric.drift import running_config, sections
from lifecycle.fabric.eapi import connect, diff
from lifecycle.lab.eos.estate_configs import EXTRA_VLAN
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.recommission import Fabric, recommissioned
from lifecycle.runbooks.recommission.plan import leaf_findings
from tests.fabric.test_drift import _lab

LEAVES = ("c01-leaf1", "c01-leaf2")
TEAM = {f"vlan {EXTRA_VLAN[0]}": [f"name {EXTRA_VLAN[1]}"],
        "interface Ethernet48": ["description spare - do not use (netops)", "shutdown"],
        "interface Management1": ["description oob"]}


@pytest.fixture(scope="module")
def brown(tmp_path_factory: pytest.TempPathFactory) -> Any:
    _, fabric, ep, secrets, path = _lab(tmp_path_factory.mktemp("rec-fabric"), True)
    svc = Services(site_dir="examples/ie1", endpoints_file=path)
    svc.override_site(recommissioned(svc.site))  # as the upgrade's factory does
    yield svc, ep, secrets
    fabric.stop()


def _step() -> StepView:
    return StepView(key="rec/c01/fabric", target="rack:c01", action=Fabric.name,
                    params=Fabric.Params(rack="c01"), attempt=1, dep_outputs={}, run_id="r")


def _ctx(events: list[Any]) -> ActionContext:
    return ActionContext("r", "rec/c01/fabric", cancelled=threading.Event(),
                         emit=lambda kind, key, data: events.append((kind, key, data)))


def _running(ep: Any, secrets: Any, leaf: str) -> str:
    return running_config(connect(ep, secrets, leaf))


def test_1_the_plan_names_the_team_s_settings_as_foreign_left_alone(brown: Any) -> None:
    svc, *_ = brown
    got = leaf_findings(svc, waves=["wave2"])  # c01's recommission follows wave2
    assert [(f.wave, f.check, f.level, f.detail.split(":")[0]) for f in got] == [
        ("wave2", "foreign", "info", leaf) for leaf in LEAVES]
    for f in got:
        assert " 4 setting(s) only on the switch, not in the site (" in f.detail, f.detail
        assert "vlan 999 (name legacy-backup); interface Ethernet48: description spare" in f.detail
        assert f.detail.endswith(", and 1 more): left alone by the recommission's push")
        assert "vlan 110" not in f.detail  # the old cloud's VLANs were the site's: not foreign
    assert leaf_findings(svc, waves=["wave1"]) == []  # no recommission after wave1


def test_2_the_push_moves_the_ports_and_leaves_the_team_s_settings(brown: Any) -> None:
    svc, ep, secrets = brown
    before = {leaf: _running(ep, secrets, leaf) for leaf in LEAVES}
    assert all("vlan 110" in t and "switchport trunk allowed vlan 110,120" in t for t in before.values())
    action, events = Fabric(svc), []
    assert action.observe(_step(), _ctx(events)) is None  # the ports still carry the old VLANs
    out = action.apply(_step(), _ctx(events))
    assert out.kept == {leaf: 4 for leaf in LEAVES}
    assert all(n > 0 for n in out.changed.values()) and set(out.changed) == set(LEAVES)
    for leaf in LEAVES:
        now = _running(ep, secrets, leaf)
        have = sections(now)
        for header, lines in TEAM.items():  # the team's settings, as they were
            assert all(x in have[header] for x in lines), (leaf, header, have.get(header))
        # every setting of the site's is there: EOS's own diff to the site's config only removes,
        # and only the team's settings (and swaps the team's hash for i2's)
        changes = [x for x in diff(connect(ep, secrets, leaf), svc.intended_configs()[leaf]).splitlines()
                   if x[:1] in "+-" and x[:3] not in ("+++", "---") and x[1:].strip() != "!"
                   and "username i2 " not in x]
        assert sorted(x[1:].strip() for x in changes if x[0] == "-") == sorted(
            ["vlan 999", *(x for lines in TEAM.values() for x in lines)]), changes
        assert not [x for x in changes if x[0] == "+"], changes
        assert "vlan 110" not in have and "vlan 10" in have  # the old cloud's VLANs went
        assert "switchport trunk allowed vlan 10,20,30,40,50" in have["interface Port-Channel1"]
        assert "description MLAG peer" in have["interface Vlan4094"]  # both set it: the site's value
        # the team's hash of the same password stays: another salt is no change
        user = [x for x in now.splitlines() if x.startswith("username i2 ")]
        assert user == [x for x in before[leaf].splitlines() if x.startswith("username i2 ")]
    logs = [data for kind, _, data in events if kind == "log" and data[0] == "fabric.pushed"]
    assert [(d["leaf"], d["kept"]) for _, d in logs] == [(leaf, 4) for leaf in LEAVES]
    assert logs[0][1]["kept_sections"] == ["vlan 999", "interface Ethernet48", "interface Management1"]
    assert "$6$" not in repr(events)


def test_3_a_second_run_finds_nothing_to_change(brown: Any) -> None:
    svc, *_ = brown
    again = Fabric(svc).observe(_step(), _ctx([]))
    assert again is not None and again.changed == {} and again.kept == {leaf: 4 for leaf in LEAVES}
    # the plan still reports them after the push: left alone, not adopted
    assert all(" 4 setting(s) only on the switch" in f.detail for f in leaf_findings(svc, waves=["wave2"]))
