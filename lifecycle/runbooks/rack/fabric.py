"""The rack's leaves: stage their ZTP files, wait for them to come up, verify them.

:func:`ztp_files` and :func:`leaf_hostname` serve both the actions and ``i2 rack plan``: the
plan is a dry run of the same code.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lifecycle.engine import (
    ActionContext,
    PermanentError,
    RetryPolicy,
    StepOutputs,
    StepParams,
    StepView,
    TransientError,
)
from lifecycle.runbooks.common import Services, adapter_errors, unreachable, why_not
from lifecycle.runbooks.rack.base import RackAction, diff_lines

if TYPE_CHECKING:
    from lifecycle.fabric.eapi import Finding


def ztp_files(svc: Services, rack: str, *, dry_run: bool) -> list[str]:
    """Write the rack's ztpserver data_root; returns the files written (or, with ``dry_run``,
    the files that would be)."""
    from lifecycle.fabric import write_data_root
    from lifecycle.fabric.intent import fabric_secret_hash

    ep = svc.endpoints
    if ep.ztp is None:
        raise PermanentError("the endpoints file has no ztp section (url, data_root)")
    return write_data_root(svc.site, rack, ep.path(ep.ztp.data_root),
                           secret_hash=fabric_secret_hash(svc.site, ep, svc.secrets),
                           username=ep.fabric.defaults.username or "i2",
                           cvx_hosts=tuple(ep.cvx_servers), dry_run=dry_run)


def leaf_hostname(svc: Services, leaf: str) -> str | None:
    """The leaf's hostname over eAPI with i2's credentials, or None while it is not up yet (no
    address in the endpoints file, eAPI not answering). A switch that answers but refuses i2's
    credentials, a TLS failure or a bug raise :class:`PermanentError` at once: no amount of
    waiting for ZTP fixes those."""
    ep = svc.endpoints if leaf in svc.endpoints.fabric.devices else svc.reload_endpoints()
    if ep.fabric.device(leaf).host is None:
        return None  # no address yet: it is added to the endpoints file once the leaf is racked
    try:
        node = svc.switch(leaf, timeout=5)
        return str(node.enable(["show hostname"])[0]["result"]["hostname"]).split(".")[0]
    except Exception as exc:
        if unreachable(exc):  # in ZTP: eAPI not enabled yet, or the switch is reloading
            return None
        raise PermanentError(f"{leaf}: {why_not(exc)}") from exc


def spines_healthy(svc: Services, rack: str) -> list[str]:
    """The spines ``rack``'s leaves hang off, each verified (eAPI as itself, BGP to the leaves up
    so far, LLDP as cabled, CVX connected: :func:`lifecycle.fabric.spines.verify_spine`);
    :class:`TransientError` naming each unhealthy spine and why (a spine converging, or fixed by
    a person, lets a retry through). A spine that answers but refuses i2's credentials (or TLS)
    is a :class:`PermanentError` at once: no amount of waiting fixes that."""
    from lifecycle.fabric.spines import SpinesUnhealthy, gate_rack, verify_spine

    site = svc.site
    refused: list[str] = []

    def verify(spine: str) -> list[Finding]:
        try:
            return verify_spine(svc.switch(spine, timeout=10), site, spine)
        except Exception as exc:
            if not unreachable(exc):
                refused.append(f"{spine}: {why_not(exc)}")
            raise  # gate_rack counts it as an unhealthy spine

    try:
        return sorted(gate_rack(site, rack, verify))
    except SpinesUnhealthy as exc:
        if refused:
            why = "; ".join(refused)
            raise PermanentError(f"rack {rack}: not staging its leaves for ZTP: {why}") from None
        raise TransientError(str(exc)) from None


class StageZtp(RackAction):
    """Write the rack's ztpserver data_root (definitions, neighbordb patterns, configs), once the
    spines its leaves hang off are healthy (``gate_spines``; the build-out verifies its spines
    in steps of their own and stages without it)."""

    name, system = "fabric.ztp_stage", "ztp"
    observe_first = True
    # the spine gate waits for spines converging (about 2 minutes), then fails naming them
    retry = RetryPolicy(max_attempts=15, base_delay=2.0, max_delay=8.0, jitter=0.2)

    class Params(StepParams):
        rack: str
        gate_spines: bool = False  # runs created before the gate existed stage without it

    class Outputs(StepOutputs):
        changed: list[str]
        spines: list[str] = []  # the spines found healthy before staging

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        return self.Outputs(changed=[]) if not ztp_files(self.svc, step.params.rack, dry_run=True) else None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        rack = step.params.rack
        spines = spines_healthy(self.svc, rack) if step.params.gate_spines else []
        if spines:
            ctx.log("ztp.spines_healthy", rack=rack, spines=spines)
        with adapter_errors("ztp data_root"):
            changed = ztp_files(self.svc, rack, dry_run=False)
        ctx.log("ztp.staged", files=changed)
        return self.Outputs(changed=changed, spines=spines)


class AwaitZtp(RackAction):
    """Wait until the leaf has gone through ZTP: eAPI answers i2 and its hostname is set."""

    name, system = "fabric.await_ztp", "fabric"
    observe_first = True
    timeout = 1800.0

    class Params(StepParams):
        leaf: str
        ztp_timeout: float = 900

    class Outputs(StepOutputs):
        hostname: str
        waited_s: float | None = None  # None: found up already

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        host = leaf_hostname(self.svc, step.params.leaf)
        return self.Outputs(hostname=host) if host == step.params.leaf else None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        leaf, limit = step.params.leaf, step.params.ztp_timeout
        t0 = time.monotonic()
        while True:
            host = leaf_hostname(self.svc, leaf)
            if host == leaf:
                ctx.log("ztp.done", leaf=leaf, seconds=round(time.monotonic() - t0, 1))
                return self.Outputs(hostname=host, waited_s=round(time.monotonic() - t0, 1))
            if host is not None:
                raise PermanentError(f"{leaf}: eAPI answers as {host!r}, not {leaf!r} (wrong "
                                     "switch at this address, or a stale ZTP node entry)")
            if time.monotonic() - t0 > limit:
                raise PermanentError(f"{leaf}: not provisioned after {limit:.0f} s of ZTP (check the "
                                     "ztpserver log and the switch console; fix, then `i2 runs resume`)")
            ctx.progress(f"{leaf}: waiting for ZTP")
            if ctx.cancelled.wait(3):
                raise TransientError(f"{leaf}: wait for ZTP interrupted")


class LeafCheck(StepOutputs):
    check: str
    ok: bool
    detail: str


class VerifyLeaf(RackAction):
    """Running config equals the rendered one (config-session diff), MLAG active, BGP up, CVX
    connected, LLDP on uplinks and peer link as cabled."""

    name, system = "fabric.verify", "fabric"
    timeout = 120.0
    # BGP and MLAG take a while to converge after the reload that ends ZTP.
    retry = RetryPolicy(max_attempts=15, base_delay=2.0, max_delay=8.0, jitter=0.2)

    class Params(StepParams):
        leaf: str
        rack: str
        index: int  # the leaf's place in its pair (MLAG and BGP settings differ)

    class Outputs(StepOutputs):
        checks: list[LeafCheck]

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        from lifecycle.fabric.eapi import diff, verify_leaf

        leaf, rack = step.params.leaf, step.params.rack
        with adapter_errors(leaf):
            node = self.svc.switch(leaf)
            changes = diff(node, self.svc.intended_configs()[leaf])
            findings = verify_leaf(node, self.svc.site, rack, step.params.index)
        drift = (f"running config differs from the rendered one ({diff_lines(changes)} line(s)); see "
                 f"`i2 fabric diff {rack}`, fix, then `i2 runs resume`") if changes.strip() else ""
        return self.Outputs(checks=verdict(leaf, findings, drift=drift))


def verdict(switch: str, findings: Sequence[Finding], *, drift: str = "") -> list[LeafCheck]:
    """A switch's findings as a verify step ends: LLDP against the cabling plan failing is a
    miswire (:class:`PermanentError`: a person moves a cable), then ``drift`` (a config that
    differs, permanent too), then any other failure is convergence still under way
    (:class:`TransientError`: retried); else the checks as the step's outputs."""
    bad = [f for f in findings if not f.ok]
    miswired = [f for f in bad if f.check.startswith("lldp")]
    if miswired:
        raise PermanentError(f"{switch}: cabling differs from the plan: "
                             + "; ".join(f"{f.check}: {f.detail}" for f in miswired))
    if drift:
        raise PermanentError(f"{switch}: {drift}")
    if bad:
        raise TransientError(f"{switch}: not converged: " + "; ".join(f"{f.check}: {f.detail}" for f in bad))
    return [LeafCheck(check=f.check, ok=f.ok, detail=f.detail) for f in findings]
