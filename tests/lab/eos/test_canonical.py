"""The emulator keeps what it is given as EOS does: running-config is EOS's canonical form, so
order, comments, equivalent syntax and defaults typed out make no difference, and real changes
do. Also: the lab's own hand-typed estate configs, and ``show reload cause`` after ZTP."""

from __future__ import annotations

from pathlib import Path

from lifecycle.lab.eos import Switch
from lifecycle.lab.eos.cli import load
from lifecycle.lab.eos.config import Config
from lifecycle.lab.eos.estate_configs import EXTRA_VLAN, saved, typed_configs
from lifecycle.lab.eos.switch import ZTP_RELOAD_CAUSE
from lifecycle.model import load_site

MODEL = "DCS-7050SX3-48YC8"

TIDY = """hostname leaf1
ip name-server vrf default 10.40.0.3
ntp server 10.40.0.1
!
vlan 10
   name app
!
vlan 20
   name db
!
interface Port-Channel5
   switchport mode trunk
   switchport trunk allowed vlan 10,20
!
interface Ethernet5
   description srv1:nic1
   channel-group 5 mode active
!
router bgp 65001
   router-id 10.255.1.1
   neighbor 10.0.0.1 remote-as 65000
   neighbor 10.0.0.1 description spine1
   neighbor 10.0.0.3 remote-as 65000
   network 10.255.1.1/32
!
management api http-commands
   no shutdown
"""

# The same meaning, typed over the years: other order, comments, `vlan add`, old defaults.
HAND = """! leaf1 - netops
management api http-commands
   protocol https
   no shutdown
!
router bgp 65001
   network 10.255.1.1/32
   bgp log-neighbor-changes
   neighbor 10.0.0.3 remote-as 65000
   neighbor 10.0.0.3 maximum-routes 12000
   neighbor 10.0.0.1 description spine1
   neighbor 10.0.0.1 remote-as 65000
   router-id 10.255.1.1
! re-cabled 2019
interface Ethernet5
   channel-group 5 mode active
   description srv1:nic1
   no shutdown
interface Port-Channel5
   switchport
   switchport mode trunk
   switchport trunk allowed vlan 10
   switchport trunk allowed vlan add 20
vlan 20
   state active
   name db
vlan 10
   name app
ntp server 10.40.0.1
ip name-server 10.40.0.3
lldp run
hostname leaf1
"""


def _running(text: str) -> Config:
    cfg = Config(MODEL)
    assert load(cfg, text) == []
    return cfg


def test_order_comments_equivalent_syntax_and_defaults_are_not_differences() -> None:
    tidy, hand = _running(TIDY), _running(HAND)
    assert hand.diff(tidy, "a", "b") == ""
    assert hand.text() == tidy.text()
    text = hand.text()
    assert "!" + " leaf1" not in text and "re-cabled" not in text  # comments are not kept
    assert "switchport trunk allowed vlan 10,20" in text and " add " not in text
    assert "ip name-server vrf default 10.40.0.3" in text  # EOS names the VRF
    for default in ("maximum-routes", "state active", "log-neighbor", "lldp run",
                    "protocol https", "no shutdown\n   description"):
        assert default not in text, default
    # BGP as EOS lists it: by neighbor address, each neighbor's lines in EOS's order
    bgp = text[text.index("router bgp"):text.index("!", text.index("router bgp"))].splitlines()
    assert bgp[1:] == ["   router-id 10.255.1.1", "   neighbor 10.0.0.1 remote-as 65000",
                       "   neighbor 10.0.0.1 description spine1",
                       "   neighbor 10.0.0.3 remote-as 65000", "   network 10.255.1.1/32"]


def test_extra_vlan_description_and_shut_port_are_real_differences() -> None:
    drifted = _running(HAND + "vlan 999\n   name legacy\ninterface Ethernet48\n   description spare\n"
                       "   shutdown\ninterface Ethernet5\n   description srv1 bond\n")
    diff = drifted.diff(_running(TIDY), "system:/running-config", "session:/s-session-config")
    removed = [x for x in diff.splitlines() if x.startswith("-") and not x.startswith("---")]
    added = [x for x in diff.splitlines() if x.startswith("+") and not x.startswith("+++")]
    assert removed == ["-!", "-vlan 999", "-   name legacy", "-   description srv1 bond",
                       "-   description spare", "-   shutdown"]
    assert added == ["+   description srv1:nic1"]


def test_allowed_vlan_add_to_the_default_all_shows_nothing() -> None:
    cfg = _running("interface Ethernet1\n   switchport trunk allowed vlan add 20\n"
                   "interface Ethernet2\n   switchport trunk allowed vlan 5\n"
                   "   switchport trunk allowed vlan remove 5\n")
    assert "interface Ethernet1\n!" in cfg.text()  # every VLAN was already allowed
    assert "switchport trunk allowed vlan none" in cfg.text()


def test_lab_estate_configs_are_typed_by_hand_and_saved_canonical() -> None:
    site = load_site(Path("examples/ie1"))
    typed = typed_configs(site, password="pw", cvx_hosts=("10.0.0.5",))
    plain = typed_configs(site, password="pw", cvx_hosts=("10.0.0.5",), brownfield=False)
    leaf = typed["c01-leaf1"]
    assert leaf.startswith("! c01-leaf1: built by netops") and "! changed 20" in leaf
    assert "switchport trunk allowed vlan add" in leaf and "maximum-routes 12000" in typed["ie1-spine1"]
    assert leaf.index("management api") < leaf.index("\ninterface ")  # not EOS's order
    assert f"vlan {EXTRA_VLAN[0]}" in leaf and "shutdown\n" in leaf
    assert "secret sha512 $6$" in leaf and "pw" not in leaf.split("secret sha512")[1].split()[0][:3]
    for name in plain:
        assert "!" not in "".join(x for x in plain[name].splitlines() if x.strip() != "!")
        model = "DCS-7504R3" if "spine" in name else MODEL
        s_brown, s_plain = saved(model, typed[name]), saved(model, plain[name])
        assert "allowed vlan add" not in s_brown and "netops" not in s_brown.replace(
            "spare - do not use (netops)", "")  # comments gone, `add` folded
        brown_lines, plain_lines = set(s_brown.splitlines()), set(s_plain.splitlines())
        extra = brown_lines - plain_lines
        assert extra and extra <= {
            f"vlan {EXTRA_VLAN[0]}", f"   name {EXTRA_VLAN[1]}", "   description oob", "   shutdown",
            "   description spare - do not use (netops)", "   description mlag peering",
            "   description router-id, do not change"}, (name, extra)


def test_ztp_reload_cause_is_worded_as_eos_words_it(tmp_path: Path) -> None:
    sw = Switch("leaf9", MODEL, "SN9", "00:1c:73:00:00:09", ztp=True, flash_dir=tmp_path)
    assert sw.ztp_mode == "active"
    sw.write_file("startup-config", "hostname leaf9\n")  # what the bootstrap's replace_config does
    sw.reload(wait=True, cause="whatever the caller says")
    [cause] = sw.cli("show reload cause").split("Reload Cause 1:")[1:]
    assert ZTP_RELOAD_CAUSE in cause and ZTP_RELOAD_CAUSE == "System reloaded due to Zero Touch Provisioning"
    sw.reload(wait=True)  # a reload later, out of ZTP, is the user's
    assert "Reload requested by the user." in sw.cli("show reload cause")
