"""A cloud's proof after its first deploy (``overcloud/<cloud>/prove``), beyond its hypervisors in
Nova (each server's ``<server>/deployed``): Neutron runs the Nuage plugin and the plugin talks to
the VSD, Cinder's Pure backend is up. Through the cloud's clouds.yaml entry with openstacksdk,
as every other read of a cloud.

- ``neutron``: the plugin's ``net-partition`` extension is loaded (ML2 with the Nuage mechanism
  driver announces it);
- ``vsd``: the cloud's net-partition is in Neutron with the id of the VSD enterprise of that name.
  Only the plugin can know that id: it read it from the VSD (at start-up for its default
  net-partition; i2 asks Neutron to link it when the plugin has not, as the upgrade does);
- ``cinder``: a ``cinder-volume`` service of the site's Pure backend (``<host>@<backend>``) is
  enabled and up.
"""

from __future__ import annotations

from typing import Any

from lifecycle.engine import (
    ActionContext,
    PermanentError,
    RetryPolicy,
    StepOutputs,
    StepParams,
    StepView,
    TransientError,
)
from lifecycle.runbooks.buildout.checks import Finding
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.rack.base import RackAction

NUAGE_EXTENSION = "net-partition"


def neutron_findings(svc: Services, cloud_name: str, conn: Any, cloud: Any) -> list[Finding]:
    """The Nuage plugin loaded, and its net-partition the VSD's enterprise."""
    model = svc.site.cloud(cloud_name)
    if model.nuage is None:
        return []
    aliases = {e.alias for e in conn.network.extensions()}
    if NUAGE_EXTENSION not in aliases:
        return [Finding(check="neutron", ok=False,
                        detail=f"no {NUAGE_EXTENSION!r} extension: Neutron does not run the Nuage plugin")]
    out = [Finding(check="neutron", ok=True, detail=f"Nuage plugin loaded ({NUAGE_EXTENSION} extension)")]
    name = model.nuage.net_partition
    ent = svc.nuage().enterprise(name)
    if ent is None:
        return [*out, Finding(check="vsd", ok=False, detail=f"the VSD has no enterprise {name}")]
    np, made = cloud.ensure_net_partition(name)
    if np["id"] != ent.id:
        return [*out, Finding(check="vsd", ok=False,
                              detail=f"net-partition {name} is {np['id']} in Neutron, the VSD's enterprise "
                                     f"{name} is {ent.id}: the plugin talks to another VSD")]
    how = "linked by i2" if made else "found"
    return [*out, Finding(check="vsd", ok=True,
                          detail=f"net-partition {name} {how}: the VSD's enterprise {ent.id}")]


def cinder_findings(svc: Services, cloud_name: str, conn: Any) -> list[Finding]:
    """A ``cinder-volume`` of the Pure backend, enabled and up."""
    model = svc.site.cloud(cloud_name)
    if model.pure is None:
        return []
    backend = model.pure.backend_name
    mine = [s for s in conn.block_storage.services(binary="cinder-volume")
            if str(s.host).split("#", 1)[0].endswith(f"@{backend}")]
    up = [s for s in mine if s.state == "up" and s.status == "enabled"]
    if up:
        return [Finding(check="cinder", ok=True, detail=f"cinder-volume {up[0].host} enabled and up")]
    seen = ", ".join(f"{s.host} {s.status}/{s.state}" for s in mine) or "no such service"
    return [Finding(check="cinder", ok=False, detail=f"no cinder-volume @{backend} enabled and up ({seen})")]


def prove_cloud(svc: Services, cloud_name: str) -> list[Finding]:
    """Every finding of the cloud (reads, and at most the net-partition's link)."""
    cloud = svc.cloud(cloud_name)
    with cloud.calling("prove Neutron and Cinder"):
        return [*neutron_findings(svc, cloud_name, cloud.conn, cloud),
                *cinder_findings(svc, cloud_name, cloud.conn)]


class ProveCloud(RackAction):
    """The cloud serves networks through the Nuage plugin and volumes through Pure."""

    name, system = "buildout.prove_cloud", "cloud"
    timeout = 300.0
    # Neutron and cinder-volume come up a little after config-download ends
    retry = RetryPolicy(max_attempts=8, base_delay=2.0, max_delay=15.0, jitter=0.2)

    class Params(StepParams):
        cloud: str

    class Outputs(StepOutputs):
        checks: list[Finding]

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        from lifecycle.clouds import CloudError
        from lifecycle.nuage import NuageError

        cloud = step.params.cloud
        if cloud not in self.svc.endpoints.clouds:
            raise PermanentError(f"{cloud}: the endpoints file has no clouds.{cloud} (clouds.yaml entry): "
                                 "nothing to prove the cloud through")
        try:
            found = prove_cloud(self.svc, cloud)
        except (CloudError, NuageError) as exc:
            raise (TransientError if exc.transient else PermanentError)(f"{cloud}: {exc}") from None
        for f in found:
            ctx.log("cloud.check", cloud=cloud, check=f.check, ok=f.ok, detail=f.detail)
        bad = [f for f in found if not f.ok]
        if bad:
            raise TransientError(f"{cloud}: not serving yet: "
                                 + "; ".join(f"{f.check}: {f.detail}" for f in bad))
        return self.Outputs(checks=found)
