"""The rack runbook's actions: one class per step kind, each idempotent and observable.

Adapters raise their own errors; here they become the engine's TransientError (retry) or
PermanentError (fail the step, quarantine the server or switch).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from lifecycle.engine import (
    Action,
    ActionContext,
    PermanentError,
    RetryPolicy,
    StepView,
    TransientError,
)
from lifecycle.runbooks.services import Services


@contextmanager
def _errors(what: str) -> Iterator[None]:
    """Adapter errors -> engine errors, keeping the adapter's message (which names the device)."""
    from lifecycle.baremetal import BaremetalError

    try:
        yield
    except (TransientError, PermanentError):
        raise
    except BaremetalError as exc:
        raise (TransientError if exc.transient else PermanentError)(str(exc)) from None
    except Exception as exc:
        transient = getattr(exc, "transient", None)
        if transient is None:
            transient = isinstance(exc, (OSError, TimeoutError, ConnectionError))
        text = str(exc)
        # adapter errors already start with the device they are about
        message = text if getattr(exc, "subject", None) == what else f"{what}: {text}"
        raise (TransientError if transient else PermanentError)(message) from None


class _Base(Action):
    def __init__(self, svc: Services):
        self.svc = svc

    def server(self, step: StepView) -> Any:
        return next(s for s in self.svc.site.servers if s.name == step.params["server"])


# -- fabric --------------------------------------------------------------------------------------


class StageZtp(_Base):
    """Write the rack's ztpserver data_root (definitions, neighbordb patterns, configs)."""

    name, system = "fabric.ztp_stage", "ztp"
    observe_first = True

    def _write(self, step: StepView, dry_run: bool) -> list[str]:
        from lifecycle.fabric import write_data_root
        from lifecycle.fabric.intent import fabric_secret_hash

        ep = self.svc.endpoints
        if ep.ztp is None:
            raise PermanentError("the endpoints file has no ztp section (url, data_root)")
        return write_data_root(self.svc.site, step.params["rack"], ep.path(ep.ztp.data_root),
                               secret_hash=fabric_secret_hash(self.svc.site, ep, self.svc.secrets),
                               username=ep.fabric.defaults.username or "i2",
                               cvx_hosts=tuple(ep.cvx_servers), dry_run=dry_run)

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        return {"changed": []} if not self._write(step, True) else None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        with _errors("ztp data_root"):
            changed = self._write(step, False)
        ctx.log("ztp.staged", files=changed)
        return {"changed": changed}


def _hostname(svc: Services, leaf: str) -> str | None:
    """The leaf's hostname over eAPI with i2's credentials, or None while it is not up yet."""
    try:
        node = svc.switch(leaf, timeout=5)
        return str(node.enable(["show hostname"])[0]["result"]["hostname"]).split(".")[0]
    except Exception:  # in ZTP: no address yet, no eAPI user, connection refused
        return None


class AwaitZtp(_Base):
    """Wait until the leaf has gone through ZTP: eAPI answers i2 and its hostname is set."""

    name, system = "fabric.await_ztp", "fabric"
    observe_first = True
    timeout = 1800.0

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        host = _hostname(self.svc, step.params["leaf"])
        return {"hostname": host} if host == step.params["leaf"] else None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        leaf, limit = step.params["leaf"], float(step.params.get("ztp_timeout", 900))
        t0 = time.monotonic()
        while True:
            host = _hostname(self.svc, leaf)
            if host == leaf:
                ctx.log("ztp.done", leaf=leaf, seconds=round(time.monotonic() - t0, 1))
                return {"hostname": host, "waited_s": round(time.monotonic() - t0, 1)}
            if host is not None:
                raise PermanentError(f"{leaf}: eAPI answers as {host!r}, not {leaf!r} (wrong "
                                     "switch at this address, or a stale ZTP node entry)")
            if time.monotonic() - t0 > limit:
                raise PermanentError(f"{leaf}: not provisioned after {limit:.0f} s of ZTP (check the "
                                     "ztpserver log and the switch console; fix, then `i2 runs resume`)")
            ctx.progress(f"{leaf}: waiting for ZTP")
            if ctx.cancelled.wait(3):
                raise TransientError(f"{leaf}: wait for ZTP interrupted")


class VerifyLeaf(_Base):
    """Running config equals the rendered one (config-session diff), MLAG active, BGP up, CVX
    connected, LLDP on uplinks and peer link as cabled."""

    name, system = "fabric.verify", "fabric"
    timeout = 120.0
    # BGP and MLAG take a while to converge after the reload that ends ZTP.
    retry = RetryPolicy(max_attempts=15, base_delay=2.0, max_delay=8.0, jitter=0.2)

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        from lifecycle.fabric.eapi import diff, verify_leaf

        leaf, rack = step.params["leaf"], step.params["rack"]
        with _errors(leaf):
            node = self.svc.switch(leaf)
            changes = diff(node, self.svc.intended_configs()[leaf])
            findings = verify_leaf(node, self.svc.site, rack, int(step.params["index"]))
        evidence = [{"check": f.check, "ok": f.ok, "detail": f.detail} for f in findings]
        lldp = [f for f in findings if not f.ok and f.check.startswith("lldp")]
        if lldp:
            raise PermanentError(f"{leaf}: cabling differs from the plan: "
                                 + "; ".join(f"{f.check}: {f.detail}" for f in lldp))
        if changes.strip():
            n = sum(1 for line in changes.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---"))
            raise PermanentError(f"{leaf}: running config differs from the rendered one ({n} line(s)); "
                                 f"see `i2 fabric diff {rack}`, fix, then `i2 runs resume`")
        bad = [f for f in findings if not f.ok]
        if bad:
            raise TransientError(f"{leaf}: not converged: "
                                 + "; ".join(f"{f.check}: {f.detail}" for f in bad))
        return {"checks": evidence}


# -- OneView -------------------------------------------------------------------------------------


class SyncTemplate(_Base):
    name, system = "oneview.template", "oneview"
    observe_first = True

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        profile = self.svc.site.hardware_profiles[step.params["profile"]]
        with _errors(f"template for {profile.name}"):
            seen = self.svc.oneview().observe_template(profile)
        if seen.action == "unchanged":
            return {"uri": seen.uri, "name": seen.name, "action": "unchanged"}
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        profile = self.svc.site.hardware_profiles[step.params["profile"]]
        with _errors(f"template for {profile.name}"):
            ch = self.svc.oneview().sync_template(profile)
        return {"uri": ch.uri, "name": ch.name, "action": ch.action, "changes": list(ch.changes)}


class Identify(_Base):
    """Find the server in OneView by serial and cross-check model, iLO and MACs with the site."""

    name, system = "oneview.identify", "oneview"

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        server = self.server(step)
        profile = self.svc.site.hardware_profiles[server.hardware_profile]
        with _errors(server.name):
            facts = self.svc.oneview().ironic_facts(server, profile)
        return {"ilo": facts.ilo, "macs": dict(facts.macs), "serial": facts.serial,
                "model": facts.model}


class ApplyProfile(_Base):
    name, system = "oneview.profile", "oneview"
    observe_first = True
    timeout = 3600.0  # firmware baselines take long on real hardware

    def _template_uri(self, step: StepView) -> str:
        return str(step.dep_outputs[step.params["template_step"]]["uri"])

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        server = self.server(step)
        with _errors(server.name):
            state = self.svc.oneview().observe_server(server, self._template_uri(step))
        return {"action": "unchanged", "compliance": "Compliant"} if state == "ok" else None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        server = self.server(step)
        with _errors(server.name):
            res = self.svc.oneview().apply_profile(server, self._template_uri(step),
                                                   power=step.params.get("power", "off"))
        return {"action": res.action, "compliance": res.compliance}


# -- Ironic --------------------------------------------------------------------------------------


class _Ironic(_Base):
    system = "ironic"

    def bm(self, step: StepView) -> Any:
        return self.svc.baremetal(step.params["undercloud"])

    def spec(self, step: StepView) -> Any:
        from lifecycle.baremetal import node_spec

        server = self.server(step)
        facts = step.dep_outputs[step.params["identify_step"]]
        ep = self.svc.endpoints
        if ep.bmc is None:
            raise PermanentError("the endpoints file has no bmc section (iLO Redfish credentials)")
        address, system_id = ep.bmc.redfish(server.name, facts.get("ilo") or str(server.ilo))
        ironic = ep.ironic.get(step.params["undercloud"])
        return node_spec(self.svc.site, server, redfish_address=address, redfish_system_id=system_id,
                         bmc_username=ep.bmc.username, bmc_password=self.svc.secrets.get(ep.bmc.password),
                         bmc_ca_file=str(ep.path(ep.bmc.ca_file)) if ep.bmc.ca_file else None,
                         macs=facts.get("macs") or {},
                         deploy_iso=ironic.deploy_iso if ironic else None,
                         automated_clean=ironic.automated_clean if ironic else None)


def _wait_kw(ctx: ActionContext) -> dict[str, Any]:
    left = ctx.remaining()
    return {"cancelled": ctx.cancelled, **({"timeout": left} if left else {})}


class Enroll(_Ironic):
    name = "ironic.enroll"
    observe_first = True

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        spec = self.spec(step)
        with _errors(spec.name):
            bm = self.bm(step)
            node = bm.node(spec.name)
            if node is None or (node.driver_info or {}).get("redfish_address") != spec.driver_info[
                    "redfish_address"]:
                return None
            have = {p.address.lower() for p in bm.ports(node.id)}
        if not {p.mac for p in spec.ports} <= have:
            return None
        return {"uuid": node.id, "created": False, "updated": [], "ports_created": []}

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        with _errors(step.params["server"]):
            out = self.bm(step).enroll(self.spec(step))
        return out


class _Transition(_Ironic):
    verb = ""
    states: tuple[str, ...] = ()
    observe_first = True
    timeout = 1800.0

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        with _errors(step.params["server"]):
            node = self.bm(step).node(step.params["server"])
        if node is not None and node.provision_state in self.states and not node.target_provision_state:
            return {"provision_state": node.provision_state}
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        with _errors(step.params["server"]):
            snap = getattr(self.bm(step), self.verb)(step.params["server"], **_wait_kw(ctx))
        return {"provision_state": snap.get("provision_state")}


class Manage(_Transition):
    name, verb, states = "ironic.manage", "manage", ("manageable", "available", "active")


class Provide(_Transition):
    name, verb, states = "ironic.provide", "provide", ("available", "active")


class Inspect(_Transition):
    name, verb = "ironic.inspect", "inspect"

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        with _errors(step.params["server"]):
            node = self.bm(step).node(step.params["server"])
            if node is None or node.target_provision_state or node.provision_state not in (
                    "manageable", "available", "active"):
                return None
            inventory, _ = self.bm(step).inventory(step.params["server"])
        # Inspected already (and possibly provided since): never re-inspect a provided node.
        return {"provision_state": node.provision_state} if inventory else None


class CheckInventory(_Ironic):
    """Inspection data against the hardware profile and the cabling plan; a mismatch fails the
    step, so the server is quarantined and never provided."""

    name = "ironic.check"
    timeout = 1800.0

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        from lifecycle.baremetal import inventory_findings

        server = self.server(step)
        spec = self.spec(step)
        with _errors(server.name):
            bm = self.bm(step)
            inventory, plugin_data = bm.inventory(server.name)
            if step.attempt > 1 or not inventory:
                # A retry (e.g. `i2 runs resume` after moving a cable) must judge fresh data.
                ctx.log("reinspect", server=server.name)
                bm.inspect(server.name, **_wait_kw(ctx))
                inventory, plugin_data = bm.inventory(server.name)
        if not inventory:
            raise PermanentError(f"{server.name}: Ironic holds no inspection data")
        findings = inventory_findings(server.name, self.svc.site.hardware_profiles[server.hardware_profile],
                                      spec.ports, inventory, plugin_data)
        if findings:
            raise PermanentError("; ".join(findings))
        by_mac = {i.get("mac_address", "").lower(): i.get("name") for i in inventory.get("interfaces", [])}
        lldp = plugin_data.get("parsed_lldp") or {}
        seen = {}
        for p in spec.ports:
            got = lldp.get(by_mac.get(p.mac)) or {}
            seen[p.nic] = f"{got.get('switch_system_name', '?')}:{got.get('switch_port_id', '?')}"
        return {"cpus": (inventory.get("cpu") or {}).get("count"),
                "memory_mb": (inventory.get("memory") or {}).get("physical_mb"),
                "disks": len(inventory.get("disks") or []), "lldp": seen}


class Tag(_Ironic):
    name = "ironic.tag"

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        server, index = step.params["server"], step.params.get("node_index")
        with _errors(server):
            bm = self.bm(step)
            if index:
                prefix, _, n = index.rpartition("-")
                owner = bm.used_indices(prefix).get(int(n))
                if owner not in (None, server):
                    raise PermanentError(f"{server}: capability node:{index} already belongs to {owner}")
            changes = bm.tag(self.spec(step), node_index=index)
        return {"changes": changes, "node": index}


def actions(svc: Services) -> list[Action]:
    from lifecycle.runbooks import overcloud_actions

    kinds: list[Callable[[Services], Action]] = [
        StageZtp, AwaitZtp, VerifyLeaf, SyncTemplate, Identify, ApplyProfile, Enroll, Manage,
        Inspect, CheckInventory, Tag, Provide]
    return [k(svc) for k in kinds] + overcloud_actions.actions(svc)

