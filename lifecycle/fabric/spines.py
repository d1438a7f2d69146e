"""A spine's health as a build-out needs it, and the gate a rack's leaf ZTP passes through.

:func:`verify_spine` checks, on one spine:

- **BGP** to every leaf that is up so far. A leaf counts as up when its rack is in service or
  when the spine sees it over LLDP by its own name on the planned port (a leaf still in ZTP has
  no name yet: EOS advertises ``localhost``). A leaf not up yet is *expected down* (reported,
  not a failure): in a build-out the leaves come rack by rack after their spines.
- **LLDP** port by port against the cabling plan: a switch of the site on a spine port other
  than the planned one is a miswire; a port of the plan with nothing (or an unnamed switch) on
  it fails only once its leaf should be up.
- **CVX**: the spine's client enabled *and* connected (``show management cvx``, as for leaves).

:func:`gate_rack` refuses to stage a rack's leaves while a spine they are cabled to fails it.

>>> from pathlib import Path
>>> import lifecycle
>>> from lifecycle.model import load_site
>>> site = load_site(Path(lifecycle.__file__).parents[1] / "examples" / "ie1")  # the repository's
>>> rack_spines(site, "c02")
['ie1-spine1', 'ie1-spine2']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from lifecycle.fabric.eapi import Finding, cvx_finding
from lifecycle.fabric.render import spine_downlinks
from lifecycle.model.schema import Cable, Site

ZTP_HOSTNAME = "localhost"  # what a switch in ZTP (no config yet) calls itself over LLDP


class SpinesUnhealthy(Exception):
    """A rack's leaves were not staged: a spine they are cabled to does not verify."""

    transient = True  # a spine converging (or fixed by a person) lets a retry through

    def __init__(self, rack: str, failures: dict[str, list[Finding]]):
        self.rack, self.failures = rack, failures
        why = "; ".join(f"{spine}: " + ", ".join(f"{f.check} ({f.detail})" for f in bad)
                        for spine, bad in failures.items())
        super().__init__(f"rack {rack}: not staging its leaves for ZTP, spine "
                         f"{', '.join(failures)} unhealthy: {why}")


def _short(name: str) -> str:
    return name.split(".")[0]


def rack_spines(site: Site, rack: str) -> list[str]:
    """The spines ``rack``'s leaf uplinks are cabled to (KeyError for an unknown rack)."""
    out: set[str] = set()
    for leaf in site.rack(rack).leaves.leaves:
        for up in leaf.uplinks:
            peer = site.peer_of(f"{leaf.name}:{up.port}")
            if peer:
                out.add(Cable.split(peer)[0])
    return sorted(out)


def verify_spine(node: Any, site: Site, spine: str, *,
                 racks_up: Iterable[str] = ()) -> list[Finding]:
    """BGP to the leaves up so far, LLDP against the plan, CVX connected (module docstring).

    ``racks_up`` names racks whose leaves must be up whatever LLDP says (besides in-service
    ones), e.g. the racks a build-out has provisioned."""
    sp = next((s for s in site.spines if s.name == spine), None)
    if sp is None:
        raise KeyError(f"no spine {spine} in site {site.site.name}")
    bgp, lldp, cvx = (x["result"] for x in node.enable(
        ["show ip bgp summary", "show lldp neighbors", "show management cvx"]))
    peers = bgp.get("vrfs", {}).get("default", {}).get("peers", {})
    seen: dict[str, tuple[str, str]] = {}
    for n in lldp.get("lldpNeighbors", []):
        seen.setdefault(n["port"], (_short(n["neighborDevice"]), n["neighborPort"]))
    switches = {s.name for s in site.spines} | {
        leaf.name for r in site.racks for leaf in r.leaves.leaves}
    rack_of = {leaf.name: r for r in site.racks for leaf in r.leaves.leaves}
    must = {r.name for r in site.racks if r.state == "in-service"} | set(racks_up)
    out: list[Finding] = []
    planned_ports = set()
    for link in spine_downlinks(site, sp):
        leaf, leaf_port = Cable.split(link.peer)
        rack = rack_of[leaf]
        planned_ports.add(link.port)
        got = seen.get(link.port)
        up = rack.name in must or got == (leaf, leaf_port)
        why_down = f"{leaf} not up yet (rack {rack.name} {rack.state})"
        # LLDP: the planned leaf, or (before it is up) nothing / a switch with no name yet
        if got == (leaf, leaf_port):
            out.append(Finding(spine, f"lldp {link.port}", True, f"{leaf}:{leaf_port}"))
        elif got is None or (got[0] not in switches and not up):
            detail = f"expected {leaf}:{leaf_port}, saw " + (f"{got[0]}:{got[1]}" if got else "nothing")
            out.append(Finding(spine, f"lldp {link.port}", not up,
                               detail if up else f"expected down: {why_down} ({detail})"))
        else:
            out.append(Finding(spine, f"lldp {link.port}", False,
                               f"miswired: expected {leaf}:{leaf_port}, saw {got[0]}:{got[1]}"))
        state = peers.get(link.peer_ip, {}).get("peerState", "absent")
        if up or state == "Established":
            out.append(Finding(spine, f"bgp {link.peer_ip}", state == "Established",
                               f"{leaf} (AS {link.peer_asn}): {state}"))
        else:
            out.append(Finding(spine, f"bgp {link.peer_ip}", True,
                               f"expected down: {why_down}, session {state}"))
    for port, (dev, far) in sorted(seen.items()):
        if port not in planned_ports and dev in switches:
            out.append(Finding(spine, f"lldp {port}", False,
                               f"miswired: {dev}:{far} on a port the plan leaves empty"))
    out.append(cvx_finding(spine, cvx))
    return out


def gate_rack(site: Site, rack: str, verify: Callable[[str], list[Finding]]) -> dict[str, list[Finding]]:
    """Verify the spines ``rack`` hangs off (``verify(name)``, e.g. :func:`verify_spine` over
    eAPI); raise :class:`SpinesUnhealthy` naming each spine that fails and why. An exception
    from ``verify`` (a spine that does not answer) counts as a failure of that spine."""
    results: dict[str, list[Finding]] = {}
    for spine in rack_spines(site, rack):
        try:
            results[spine] = verify(spine)
        except Exception as exc:  # an unreachable spine is an unhealthy one
            results[spine] = [Finding(spine, "eapi", False, f"{type(exc).__name__}: {exc}"[:200])]
    failures = {s: [f for f in fs if not f.ok] for s, fs in results.items()}
    failures = {s: fs for s, fs in failures.items() if fs}
    if failures:
        raise SpinesUnhealthy(rack, failures)
    return results
