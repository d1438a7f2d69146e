"""The rack's leaves: stage their ZTP files, wait for them to come up, verify them.

:func:`ztp_files` and :func:`leaf_hostname` serve both the actions and ``i2 rack plan``: the
plan is a dry run of the same code.
"""

from __future__ import annotations

import time

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


class StageZtp(RackAction):
    """Write the rack's ztpserver data_root (definitions, neighbordb patterns, configs)."""

    name, system = "fabric.ztp_stage", "ztp"
    observe_first = True

    class Params(StepParams):
        rack: str

    class Outputs(StepOutputs):
        changed: list[str]

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        return self.Outputs(changed=[]) if not ztp_files(self.svc, step.params.rack, dry_run=True) else None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        with adapter_errors("ztp data_root"):
            changed = ztp_files(self.svc, step.params.rack, dry_run=False)
        ctx.log("ztp.staged", files=changed)
        return self.Outputs(changed=changed)


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
        lldp = [f for f in findings if not f.ok and f.check.startswith("lldp")]
        if lldp:
            raise PermanentError(f"{leaf}: cabling differs from the plan: "
                                 + "; ".join(f"{f.check}: {f.detail}" for f in lldp))
        if changes.strip():
            raise PermanentError(f"{leaf}: running config differs from the rendered one "
                                 f"({diff_lines(changes)} line(s)); see `i2 fabric diff {rack}`, fix, "
                                 "then `i2 runs resume`")
        bad = [f for f in findings if not f.ok]
        if bad:
            raise TransientError(f"{leaf}: not converged: "
                                 + "; ".join(f"{f.check}: {f.detail}" for f in bad))
        return self.Outputs(checks=[LeafCheck(check=f.check, ok=f.ok, detail=f.detail) for f in findings])
