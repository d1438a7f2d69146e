"""Ironic, in the undercloud of the server's cloud: enroll, manage, inspect, check the inventory
and cabling, tag ``node:<role>-N``, provide."""

from __future__ import annotations

from typing import Any

from lifecycle.engine import ActionContext, PermanentError, StepOutputs, StepView
from lifecycle.runbooks.common import adapter_errors
from lifecycle.runbooks.rack.base import RackAction, ServerParams
from lifecycle.runbooks.rack.oneview import Identify


class IronicAction(RackAction):
    system = "ironic"
    Params = ServerParams

    def bm(self, step: StepView) -> Any:
        return self.svc.baremetal(step.params.undercloud)

    def spec(self, step: StepView) -> Any:
        """The node as the site, the endpoints and OneView's facts (the identify step) say."""
        from lifecycle.baremetal import node_spec

        server = self.server(step)
        facts = step.output(step.params.identify_step, Identify.Outputs)
        ep = self.svc.endpoints
        if ep.bmc is None:
            raise PermanentError("the endpoints file has no bmc section (iLO Redfish credentials)")
        address, system_id = ep.bmc.redfish(server.name, facts.ilo or str(server.ilo))
        ironic = ep.ironic.get(step.params.undercloud)
        return node_spec(self.svc.site, server, redfish_address=address, redfish_system_id=system_id,
                         bmc_username=ep.bmc.username, bmc_password=self.svc.secrets.get(ep.bmc.password),
                         bmc_ca_file=str(ep.path(ep.bmc.ca_file)) if ep.bmc.ca_file else None,
                         macs=facts.macs or {},
                         deploy_iso=ironic.deploy_iso if ironic else None,
                         automated_clean=ironic.automated_clean if ironic else None)


def wait_kw(ctx: ActionContext) -> dict[str, Any]:
    """Keyword arguments of a Baremetal wait: stop when the step is cancelled or times out."""
    left = ctx.remaining()
    return {"cancelled": ctx.cancelled, **({"timeout": left} if left else {})}


class Enroll(IronicAction):
    name = "ironic.enroll"
    observe_first = True

    class Outputs(StepOutputs):
        uuid: str
        created: bool
        updated: list[str] = []  # fields brought in line
        ports_created: list[str] = []  # MACs
        skipped: list[str] = []  # fields the undercloud's release lacks (baremetal.features.FALLBACKS)

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        spec = self.spec(step)
        with adapter_errors(spec.name):
            bm = self.bm(step)
            node = bm.node(spec.name)
            if node is None or (node.driver_info or {}).get("redfish_address") != spec.driver_info[
                    "redfish_address"]:
                return None
            have = {p.address.lower() for p in bm.ports(node.id)}
        if not {p.mac for p in spec.ports} <= have:
            return None
        return self.Outputs(uuid=node.id, created=False)

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        with adapter_errors(step.params.server):
            out = self.bm(step).enroll(self.spec(step))
        return self.Outputs.model_validate(out)


class Transition(IronicAction):
    """A provision state change, observed done when the node is in one of ``states``."""

    verb = ""
    states: tuple[str, ...] = ()
    observe_first = True
    timeout = 1800.0

    class Outputs(StepOutputs):
        provision_state: str | None = None

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        with adapter_errors(step.params.server):
            node = self.bm(step).node(step.params.server)
        if node is not None and node.provision_state in self.states and not node.target_provision_state:
            return self.Outputs(provision_state=node.provision_state)
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        with adapter_errors(step.params.server):
            snap = getattr(self.bm(step), self.verb)(step.params.server, **wait_kw(ctx))
        return self.Outputs(provision_state=snap.get("provision_state"))


class Manage(Transition):
    name, verb, states = "ironic.manage", "manage", ("manageable", "available", "active")


class Provide(Transition):
    name, verb, states = "ironic.provide", "provide", ("available", "active")


class Inspect(Transition):
    name, verb = "ironic.inspect", "inspect"

    def observe(self, step: StepView, ctx: ActionContext) -> Transition.Outputs | None:
        with adapter_errors(step.params.server):
            node = self.bm(step).node(step.params.server)
            if node is None or node.target_provision_state or node.provision_state not in (
                    "manageable", "available", "active"):
                return None
            inventory, _ = self.bm(step).inventory(step.params.server)
        # Inspected already (and possibly provided since): never re-inspect a provided node.
        return self.Outputs(provision_state=node.provision_state) if inventory else None


class CheckInventory(IronicAction):
    """Inspection data against the hardware profile and the cabling plan; a mismatch fails the
    step, so the server is quarantined and never provided."""

    name = "ironic.check"
    timeout = 1800.0

    class Outputs(StepOutputs):
        cpus: int | None = None
        memory_mb: int | None = None
        disks: int
        lldp: dict[str, str]  # NIC -> "switch:port" as LLDP saw it

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        from lifecycle.baremetal import inventory_findings

        server = self.server(step)
        spec = self.spec(step)
        with adapter_errors(server.name):
            bm = self.bm(step)
            inventory, plugin_data = bm.inventory(server.name)
            if step.attempt > 1 or not inventory:
                # A retry (e.g. `i2 runs resume` after moving a cable) must judge fresh data.
                ctx.log("reinspect", server=server.name)
                bm.inspect(server.name, **wait_kw(ctx))
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
        return self.Outputs(cpus=(inventory.get("cpu") or {}).get("count"),
                            memory_mb=(inventory.get("memory") or {}).get("physical_mb"),
                            disks=len(inventory.get("disks") or []), lldp=seen)


class Tag(IronicAction):
    """The profile's capabilities, root-device hint and resource class, and ``node:<role>-N``."""

    name = "ironic.tag"

    class Params(ServerParams):
        node_index: str | None = None  # "<role>-N", allocated when the run was planned

    class Outputs(StepOutputs):
        changes: list[str]
        node: str | None = None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        from lifecycle.runbooks.overcloud.nodes import tagged_nodes
        from lifecycle.tripleo.deploy import join_index

        server, index = step.params.server, step.params.node_index
        with adapter_errors(server):
            bm = self.bm(step)
            if index:
                prefix, _, n = index.rpartition("-")
                role = self.server(step).role
                tagged = tagged_nodes(bm, [role])[role]
                own = next((i for i, node in tagged.items() if node.name == server), None)
                # Indices are planned with the run: one the cloud's deploy has skipped since (a
                # server quarantined in the build-out's first deploy, tagged later) is never reused
                fresh = own if own is not None and own != int(n) else join_index(int(n), tagged)
                if fresh != int(n):
                    ctx.log("fresh index", planned=index, index=f"{prefix}-{fresh}",
                            reason="the cloud's deploy skips the planned index")
                    index = f"{prefix}-{fresh}"
                owner = tagged[fresh].name if fresh in tagged else None
                if owner not in (None, server):
                    raise PermanentError(f"{server}: capability node:{index} already belongs to {owner}")
            changes = bm.tag(self.spec(step), node_index=index)
        return self.Outputs(changes=changes, node=index)
