"""Day-2 on the switches over eAPI (pyeapi): diff and push whole configs, verify the fabric.

Configs are never overwritten blindly: a config session starts from a clean config
(``rollback clean-config``), receives the whole intended config, shows its diff against the
running one, and is committed only by :func:`push`, under a commit timer, confirmed (then saved
with ``write memory``) only once the device verifies healthy.

Example (needs a reachable switch)::

    node = connect(endpoints, secrets, "c02-leaf1")
    print(diff(node, rendered["c02-leaf1"]))

The password hash rendered into configs is salted per device, stable so a re-render diffs clean:

>>> h = secret_hash("arista", "ie1")
>>> h[:3], h == secret_hash("arista", "ie1"), h == secret_hash("arista", "ie2")
('$6$', True, False)
"""

from __future__ import annotations

import functools
import hashlib
import ssl
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyeapi

from lifecycle.fabric.render import ends
from lifecycle.model.endpoints import Endpoints, SecretStore
from lifecycle.model.schema import Cable, Site

with warnings.catch_warnings():  # stdlib sha512-crypt; deprecated after 3.11, the project's
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt as _crypt

SESSION_PREFIX = "i2-"  # EOS refuses to re-enter a committed session name: one name per use
_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def secret_hash(password: str, device: str) -> str:
    """sha512-crypt of ``password`` with a salt of its own per device (``site/switch``), stable
    so renders diff cleanly. The salt comes from the device's name only: a salt derived from
    the password would hand anyone who reads a config a fast hash of the password."""
    digest = hashlib.sha256(f"i2-eos-salt:{device}".encode()).digest()
    salt = "".join(_ITOA64[b % 64] for b in digest[:16])
    return _crypt.crypt(password, f"$6${salt}$")


def switch_hashes(password: str, site: str) -> Callable[[str], str]:
    """Switch name -> the hash rendered into that switch's config (each switch its own salt).

    >>> h = switch_hashes("arista", "ie1")
    >>> h("c02-leaf1") == h("c02-leaf1"), h("c02-leaf1") == h("c02-leaf2")
    (True, False)
    """
    return functools.lru_cache(maxsize=None)(lambda switch: secret_hash(password, f"{site}/{switch}"))


def connect(endpoints: Endpoints, secrets: SecretStore, device: str,
            timeout: float = 30.0) -> pyeapi.client.Node:
    """A pyeapi node for ``device``; HTTPS certificate and hostname are verified against the
    endpoints' ``ca_file`` or the system store (off only with an acknowledged ``verify: false``)."""
    ep = endpoints.fabric.device(device)
    if ep.host is None:
        raise ValueError(f"the endpoints file has no address for switch {device}")
    if ep.password is None or ep.username is None:
        raise ValueError(f"the endpoints file has no credentials for switch {device}")
    kwargs = {}
    if ep.transport == "https":
        # pyeapi turns verification off unless it is handed a context: always hand one.
        ctx = ssl.create_default_context(cafile=str(endpoints.path(ep.ca_file))
                                         if ep.ca_file else None)
        if not ep.verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        kwargs["context"] = ctx
    conn = pyeapi.connect(transport=ep.transport, host=ep.host, port=ep.port,
                          username=ep.username, password=secrets.get(ep.password),
                          timeout=timeout, **kwargs)
    return pyeapi.client.Node(conn)


def _lines(config: str) -> list[str]:
    return [line.rstrip() for line in config.splitlines()
            if line.strip() and line.strip() != "!" and not line.startswith("end")]


def _session(node: pyeapi.client.Node, config: str, finish: str) -> tuple[str, str]:
    name = f"{SESSION_PREFIX}{uuid.uuid4().hex[:12]}"
    cmds = [f"configure session {name}", "rollback clean-config", *_lines(config),
            "show session-config diffs", finish]
    out = node.run_commands(["enable", *cmds], encoding="text")
    return name, out[len(cmds) - 1]["output"]


def diff(node: pyeapi.client.Node, config: str) -> str:
    """Unified diff from the running config to ``config`` (empty when they agree)."""
    return _session(node, config, "abort")[1]


class PushFailed(Exception):
    """A pushed config left the device unhealthy: it was rolled back, nothing else was pushed."""

    transient = False  # retrying pushes the same config: a person must look first

    def __init__(self, device: str, findings: list[Finding], undone: str = "rolled back"):
        self.device, self.subject, self.findings = device, device, findings
        bad = "; ".join(f"{f.check}: {f.detail}" for f in findings if not f.ok)
        super().__init__(f"{device}: unhealthy after the push, {undone} ({bad})")


def push(node: pyeapi.client.Node, config: str, *, check: Callable[[], list[Finding]],
         device: str, confirm_within: int = 300, settle: float = 120.0,
         poll: float = 2.0) -> str:
    """Replace the running config by ``config`` with a safety net; return the diff.

    The session is committed with ``commit timer``: EOS reverts to the previous config by itself
    unless ``configure session NAME commit`` confirms it in ``confirm_within`` seconds, so a push
    that cuts i2 off (or an i2 that dies) undoes itself. i2 confirms (and saves) only once
    ``check`` has passed, polling up to ``settle`` seconds for BGP/MLAG to converge; otherwise it
    aborts the session (immediate rollback) and raises :class:`PushFailed`.
    """
    if settle >= confirm_within:
        raise ValueError("settle must be shorter than confirm_within: the timer would "
                         "roll back a healthy device before i2 confirms it")
    h, rest = divmod(int(confirm_within), 3600)
    name, changes = _session(node, config, f"commit timer {h:02d}:{rest // 60:02d}:{rest % 60:02d}")
    deadline = time.monotonic() + settle
    while True:
        try:
            findings = check()
        except (pyeapi.eapilib.EapiError, OSError) as exc:  # lost contact counts as unhealthy
            findings = [Finding(device, "eapi", False, str(exc)[:200])]
        if all(f.ok for f in findings):
            break
        if time.monotonic() >= deadline:
            try:
                node.run_commands(["enable", f"configure session {name} abort"])
            except (pyeapi.eapilib.EapiError, OSError):
                raise PushFailed(device, findings, f"not confirmed: its commit timer rolls it "
                                 f"back within {confirm_within}s") from None
            raise PushFailed(device, findings)
        time.sleep(poll)
    node.run_commands(["enable", f"configure session {name} commit", "write memory"])
    return changes


@dataclass(frozen=True)
class Finding:
    device: str
    check: str
    ok: bool
    detail: str


def cvx_finding(device: str, cvx: dict[str, Any]) -> Finding:
    """CVX client connected: enabled *and* a controller's ``connectionStatus`` is ``connected``
    (``enabled`` alone only says the client is configured to try)."""
    status = cvx.get("clusterStatus", {}) if isinstance(cvx, dict) else {}
    ctrl = status.get("controllerStatus") or {}
    up = [ip for ip, c in ctrl.items() if c.get("connectionStatus") == "connected"]
    if not status.get("enabled"):
        return Finding(device, "cvx", False, "management cvx is not enabled")
    if not up:
        seen = ", ".join(f"{ip} {c.get('connectionStatus')}" for ip, c in ctrl.items())
        return Finding(device, "cvx", False, f"enabled, not connected ({seen or 'no server'})")
    return Finding(device, "cvx", True, f"connected to {', '.join(up)}")


def verify_leaf(node: pyeapi.client.Node, site: Site, rack: str, index: int) -> list[Finding]:
    """MLAG, BGP to every spine and the peer, CVX, and LLDP port by port against the plan."""
    r = site.rack(rack)
    leaf = r.leaves.leaves[index]
    mlag, bgp, lldp, cvx = (x["result"] for x in node.enable(
        ["show mlag", "show ip bgp summary", "show lldp neighbors", "show management cvx"]))
    out = [Finding(leaf.name, "mlag", mlag.get("state") == "active",
                   f"state {mlag.get('state')}, negotiation {mlag.get('negStatus')}")]
    peers = bgp.get("vrfs", {}).get("default", {}).get("peers", {})
    want = [ends(u.subnet)[1] for u in leaf.uplinks] + [ends(r.leaves.peer_subnet)[1 - index]]
    for ip in want:
        state = peers.get(ip, {}).get("peerState", "absent")
        out.append(Finding(leaf.name, f"bgp {ip}", state == "Established", state))
    out.append(cvx_finding(leaf.name, cvx))
    seen = {n["port"]: (n["neighborDevice"].split(".")[0], n["neighborPort"])
            for n in lldp.get("lldpNeighbors", [])}
    for port in [u.port for u in leaf.uplinks] + list(r.leaves.peer_link):
        peer = site.peer_of(f"{leaf.name}:{port}")
        if peer is None:
            continue
        expected = Cable.split(peer)
        got = seen.get(port)
        out.append(Finding(leaf.name, f"lldp {port}", got == expected,
                           f"expected {expected[0]}:{expected[1]}, "
                           f"saw {got[0] + ':' + got[1] if got else 'nothing'}"))
    return out


def health(node: pyeapi.client.Node) -> dict[str, Any]:
    """What a spine's push must not lose: its established BGP peers and its LLDP neighbours."""
    bgp, lldp = (x["result"] for x in node.enable(["show ip bgp summary", "show lldp neighbors"]))
    peers = bgp.get("vrfs", {}).get("default", {}).get("peers", {})
    return {"bgp": {ip for ip, p in peers.items() if p.get("peerState") == "Established"},
            "lldp": {(n["port"], n["neighborDevice"]) for n in lldp.get("lldpNeighbors", [])}}


def verify_unchanged(node: pyeapi.client.Node, device: str, before: dict[str, Any]) -> list[Finding]:
    """Every BGP session and LLDP neighbour ``before`` (:func:`health`) is still there."""
    now = health(node)
    out = [Finding(device, f"bgp {ip}", ip in now["bgp"], "Established" if ip in now["bgp"]
                   else "no longer Established") for ip in sorted(before["bgp"])]
    lost = sorted(before["lldp"] - now["lldp"])
    out.append(Finding(device, "lldp", not lost, "lost " + ", ".join(f"{p}:{d}" for p, d in lost)
                       if lost else f"{len(now['lldp'])} neighbour(s)"))
    return out
