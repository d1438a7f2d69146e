"""The build-out's own gates: each undercloud ready before anything enrolls in it, and the NRFU
of the whole fabric once every rack is up. Both only read; both name everything that is
missing in one failure, so a 2 a.m. fix is one round trip."""

from __future__ import annotations

from lifecycle.engine import ActionContext, PermanentError, StepOutputs, StepParams, StepView
from lifecycle.runbooks.common import adapter_errors
from lifecycle.runbooks.rack.base import RackAction


class Finding(StepOutputs):
    check: str
    ok: bool
    detail: str


class UndercloudReady(RackAction):
    """The cloud's undercloud is installed and serving: SSH with a known host key, its release
    file the site cloud's, the THT tree, Heat, its Ironic (and for Train its ironic-inspector)
    answering. i2 does not install underclouds: it refuses to go on without one."""

    name, system = "buildout.undercloud_ready", "undercloud"
    timeout = 300.0

    class Params(StepParams):
        undercloud: str
        cloud: str

    class Outputs(StepOutputs):
        checks: list[Finding]

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        from lifecycle.tripleo.readiness import check_undercloud
        from lifecycle.tripleo.undercloud import Undercloud

        uc, cloud = step.params.undercloud, self.svc.site.cloud(step.params.cloud)
        with adapter_errors(uc), Undercloud.connect(self.svc.endpoints, uc, self.svc.secrets) as conn:
            found = [Finding(check=c.check, ok=c.ok, detail=c.detail)
                     for c in check_undercloud(conn, release=cloud.release, stack=cloud.stack)]
        found += self._ironic(uc, cloud.release)
        bad = [f for f in found if not f.ok]
        for f in found:
            ctx.log("undercloud.check", undercloud=uc, check=f.check, ok=f.ok, detail=f.detail)
        if bad:
            raise PermanentError(f"undercloud {uc} is not ready for {cloud.name}: "
                                 + "; ".join(f"{f.check}: {f.detail}" for f in bad)
                                 + " (i2 does not install underclouds: fix it, then `i2 runs resume`)")
        return self.Outputs(checks=found)

    def _ironic(self, uc: str, release: str) -> list[Finding]:
        """Ironic answers at the release's API; Train's inspection goes through ironic-inspector."""
        from lifecycle.baremetal import BaremetalError

        try:
            bm = self.svc.baremetal(uc)
            list(bm.api.nodes(limit=1))
        except BaremetalError as exc:
            return [Finding(check="ironic", ok=False, detail=exc.message)]
        except Exception as exc:  # an Ironic that does not answer: named, not raised
            return [Finding(check="ironic", ok=False, detail=f"{type(exc).__name__}: {exc}")]
        info = bm.info
        out = [Finding(check="ironic", ok=True,
                       detail=f"API {info.version} ({info.auth})" if info else "answers")]
        if release != "train":
            return out
        if bm.inspector is None:
            return [*out, Finding(check="inspector", ok=False,
                                  detail="no ironic-inspector in the undercloud's Keystone catalog")]
        try:
            list(bm.inspector.api.introspections(limit=1))
        except Exception as exc:
            return [*out, Finding(check="inspector", ok=False, detail=f"{type(exc).__name__}: {exc}")]
        return [*out, Finding(check="inspector", ok=True, detail=str(info.inspector if info else ""))]


class NrfuResult(StepOutputs):
    device: str
    test: str
    result: str
    messages: list[str]


class Nrfu(RackAction):
    """The whole fabric's ANTA catalog (lifecycle.fabric.nrfu) through stock ``anta nrfu``."""

    name, system = "buildout.nrfu", "fabric"
    timeout = 900.0

    class Params(StepParams):
        racks: list[str]

    class Outputs(StepOutputs):
        succeeded: int  # ANTA tests that passed ("passed" would read as a secret field)
        results: list[NrfuResult]

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        from lifecycle.fabric.nrfu import NrfuError, fabric_catalog, fabric_switches, run_anta

        site, racks = self.svc.site, step.params.racks
        cvx = self.svc.endpoints.cvx is not None
        try:
            results = run_anta(self.svc.reload_endpoints(), self.svc.secrets, fabric_switches(site, racks),
                               fabric_catalog(site, racks, cvx=cvx))
        except NrfuError as exc:
            raise PermanentError(f"NRFU: {exc}") from None
        rows = [NrfuResult(device=r.device, test=r.test, result=r.result, messages=r.messages)
                for r in results]
        bad = [r for r in results if not r.ok]
        ctx.log("nrfu.done", tests=len(results), failed=len(bad))
        if bad:
            raise PermanentError(f"NRFU: {len(bad)} of {len(results)} ANTA test(s) failed: " + "; ".join(
                f"{r.device} {r.test}: {' '.join(r.messages)[:160]}" for r in bad[:8]))
        return self.Outputs(succeeded=len(results), results=rows)
