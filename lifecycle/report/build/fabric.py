"""The fabric and the rack elevations of a rack or build-out run: the site's cabling plan, each
cable coloured by what LLDP proved in the run's step outputs (or its errors), each server by how
the run left it.

LLDP evidence comes from two kinds of step: a server's ``check`` (outputs ``lldp``: NIC ->
``switch:port``; a failed check's error names what LLDP saw) and a leaf's or spine's ``verify``
(``checks`` named ``lldp <port>`` with ``expected X, saw Y``; a failed verify's error lists them).

>>> seen_in_error("c02-s03 nic1 (94:40:c9:03:03:01): LLDP sees c02-leaf1 Ethernet99, "
...               "the cabling plan says c02-leaf1 Ethernet3")
{('c02-s03', 'nic1'): 'c02-leaf1:Ethernet99'}
>>> seen_in_error("c02-leaf1: cabling differs from the plan: "
...               "lldp Ethernet49/1: expected ie1-spine1:Ethernet3/5, saw nothing")
{('c02-leaf1', 'Ethernet49/1'): ''}
>>> seen_in_error("ie1-spine1: cabling differs from the plan: "
...               "lldp Ethernet3/5: miswired: expected c02-leaf1:Ethernet49/1, saw c02-leaf2:Ethernet49/1")
{('ie1-spine1', 'Ethernet3/5'): 'c02-leaf2:Ethernet49/1'}
"""

from __future__ import annotations

import re
from typing import Any

from lifecycle.report.document import Cable, Fabric, FabricNode, Rack, Server

SERVER_SAW = re.compile(r"(?P<dev>[\w.-]+) (?P<port>\w+) \([0-9a-f:]+\): "
                        r"(?:LLDP sees (?P<sw>\S+) (?P<sp>\S+),|no LLDP neighbour seen)")
SWITCH_SAW = re.compile(r"(?P<dev>[\w.-]+): cabling differs from the plan: (?P<rest>.*)")
PORT_SAW = re.compile(r"lldp (?P<port>\S+): (?:miswired: )?expected \S+, saw (?P<saw>[^\s;)]+)")
# Rack units by server model (the site model gives the lowest U only); unknown models take 1U.
HEIGHTS = {"DL360": 1, "DL20": 1, "DL160": 1, "DL380": 2, "DL385": 2, "DL560": 2, "DL580": 4, "Apollo": 2}


def seen_in_error(error: str) -> dict[tuple[str, str], str]:
    """(device, port) -> what LLDP saw instead (``""``: nothing), from a failed step's error."""
    out: dict[tuple[str, str], str] = {}
    for m in SERVER_SAW.finditer(error or ""):
        out[(m["dev"], m["port"])] = f"{m['sw']}:{m['sp']}" if m["sw"] else ""
    m = SWITCH_SAW.search(error or "")
    if m:
        for p in PORT_SAW.finditer(m["rest"]):
            out[(m["dev"], p["port"])] = "" if p["saw"] == "nothing" else p["saw"]
    return out


def lldp_seen(steps: list[Any]) -> dict[tuple[str, str], str]:
    """(device, port) -> ``switch:port`` LLDP saw on it (``""``: saw nothing), latest step wins."""
    out: dict[tuple[str, str], str] = {}
    for st in sorted(steps, key=lambda s: s.seq):
        dev = st.target.partition(":")[2]
        o = st.outputs or {}
        if str(st.status) == "done":
            for nic, peer in (o.get("lldp") or {}).items():
                out[(dev, nic)] = "" if str(peer).startswith("?") else str(peer)
            for c in o.get("checks") or []:
                name, detail = str(c.get("check", "")), str(c.get("detail", ""))
                if name.startswith("lldp ") and ", saw " in detail:
                    saw = detail.rpartition(", saw ")[2].rstrip(")")
                    out[(dev, name[5:])] = "" if saw == "nothing" else saw
                elif name.startswith("lldp ") and c.get("ok"):  # a spine's check: the detail is the peer
                    out[(dev, name[5:])] = detail
        elif st.last_error:
            out.update(seen_in_error(st.last_error))
    return out


def height(site: Any, profile: str) -> int:
    hp = (site.hardware_profiles or {}).get(profile)
    model = str(getattr(hp, "server_model", "") or "")
    return next((u for m, u in HEIGHTS.items() if m in model), 1)


def _status(a: str, ap: str, b: str, bp: str, seen: dict[tuple[str, str], str]) -> tuple[str, str]:
    """A cable's status from what either end saw: as planned, miswired (with what was seen),
    not seen, or unknown (no step of the run looked at it)."""
    verdicts = []
    for dev, port, want in ((a, ap, f"{b}:{bp}"), (b, bp, f"{a}:{ap}")):
        if (dev, port) in seen:
            got = seen[(dev, port)]
            verdicts.append(("planned", "") if _same(got, want)
                            else ("not_seen", "") if not got else ("miswired", got))
    if not verdicts:
        return "unknown", ""
    bad = [v for v in verdicts if v[0] == "miswired"] or [v for v in verdicts if v[0] == "not_seen"]
    return bad[0] if bad else ("planned", "")


def _same(got: str, want: str) -> bool:
    gd, _, gp = got.partition(":")
    wd, _, wp = want.partition(":")
    return gd.split(".")[0] == wd.split(".")[0] and gp == wp


def fabric(site: Any, racks: list[str], steps: list[Any]) -> Fabric:
    """Spines, the racks' leaf pairs and servers, and every cable of the racks' cabling plan."""
    leaves = {leaf.name: r.name for r in site.racks if r.name in racks for leaf in r.leaves.leaves}
    servers = {s.name: s.rack for s in site.servers if s.rack in racks}
    spines = {s.name for s in site.spines}
    seen = lldp_seen(steps)
    cables: list[Cable] = []
    used: set[str] = set()
    for c in site.cables:
        (a, ap), (b, bp) = c.split(c.a), c.split(c.b)
        if not ({a, b} & (set(leaves) | set(servers))):
            continue
        if a in servers or b in servers:
            kind = "server"
        elif a in leaves and b in leaves:
            kind = "peer"
        elif {a, b} & spines:
            kind = "uplink"
        else:
            kind = "other"
        status, got = _status(a, ap, b, bp, seen)
        cables.append(Cable(a=a, a_port=ap, b=b, b_port=bp, kind=kind, status=status, seen=got))
        used |= {a, b}
    nodes = [FabricNode(name=s, role="spine") for s in sorted(spines & used)]
    nodes += [FabricNode(name=n, role="leaf", rack=r) for n, r in leaves.items()]
    nodes += [FabricNode(name=n, role="server", rack=r) for n, r in servers.items()]
    known = {n.name for n in nodes}
    nodes += [FabricNode(name=n, role="other") for n in sorted(used - known)]
    return Fabric(nodes=nodes, cables=cables)


def elevation(site: Any, rack: str, outcomes: dict[str, tuple[str, str]]) -> Rack:
    """One rack: its servers at their U with their profile, coloured by (outcome, reason)."""
    r = site.rack(rack)
    servers = []
    for s in sorted(site.servers_in(rack), key=lambda s: s.u):
        state, reason = outcomes.get(s.name, ("untouched", "not part of this run"))
        servers.append(Server(name=s.name, u=s.u, height=height(site, s.hardware_profile),
                              profile=s.hardware_profile, role=s.role, outcome=state, reason=reason))
    top = max((s.u + s.height - 1 for s in servers), default=0)
    return Rack(name=r.name, dc=r.dc, units=max(42, top), leaves=[leaf.name for leaf in r.leaves.leaves],
                servers=servers)
