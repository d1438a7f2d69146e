"""The OSP Director's overcloud commands, acting on the twin.

``openstack overcloud deploy`` runs the real THT process-templates and Heat validation on the
uploaded files (a broken template fails here as on a real undercloud), merges the environments,
then updates the stack the way Heat's ResourceGroups would: per role, the members after the
update are the first ``<Role>Count`` indices not blacklisted by ``<Role>RemovalPolicies``. A new
member is scheduled on the Ironic node whose ``capabilities:node`` matches
``<Role>SchedulerHints`` (``<role>-%index%``) and deployed in the undercloud's real Ironic; its
hostname is ``HostnameMap``'s. Then config-download, which (re)starts nova-compute on the compute
roles: each registers as a hypervisor of the stack's cloud through the sink.

``openstack overcloud node delete`` runs the scale-down tasks (the compute service is deleted),
undeploys the nodes and lowers the count, blacklisting their indices (Train's tripleo-common
sets ``<Role>Count`` and ``<Role>RemovalPolicies`` in the plan environment).

A deploy whose SSH channel is gone dies (EPIPE) at its next client-side step: Heat finishes an update
it started, config-download never runs (DEPLOY_FAILED). A node delete (Mistral) needs no client.

Faults: ``undercloud.deploy_fail=<undercloud>`` fails every deploy at the Heat stage,
``undercloud.deploy_fail=<node>`` fails the deploy of that Ironic node.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lifecycle.lab.base.faults import FaultPlan
from lifecycle.lab.undercloud.envfiles import (
    CommandError,
    DeployFiles,
    deploy_files,
    deploy_parser,
    node_delete_parser,
)
from lifecycle.lab.undercloud.heatcheck import check_plan, refusal
from lifecycle.lab.undercloud.nodes import IronicNodes
from lifecycle.lab.undercloud.sink import HypervisorSink
from lifecycle.lab.undercloud.sshd import ChannelGone, Client, Session
from lifecycle.lab.undercloud.stack import Member, ResourceGroup, StackState, StackStore, now
from lifecycle.lab.undercloud.tht import parse_capabilities

NOVA_COMPUTE = "OS::TripleO::Services::NovaCompute"
# Seconds each phase takes beyond the real work (validation, Ironic), per latency profile.
PHASES = {"none": {"plan": 0.0, "heat": 0.0, "step": 0.0},
          "realistic": {"plan": 2.0, "heat": 1.5, "step": 1.0}}


def _ts() -> str:
    return now().replace("T", " ")


@dataclass
class RolePlan:
    """One role's ResourceGroup before and after the update."""

    name: str
    count: int
    blacklist: list[int]
    names: list[int]
    add: list[int]
    remove: list[int]
    hostname_format: str
    hint: str | None
    flavor: str | None
    hypervisor: bool


class DeployFailed(Exception):
    """Ends a deploy: the lines to print (Heat's failure report) and the stack status."""

    def __init__(self, lines: list[str], stack_failed: bool = True) -> None:
        super().__init__(lines[0] if lines else "deploy failed")
        self.lines = lines
        self.stack_failed = stack_failed


class Director:
    """The overcloud side of one undercloud (its stacks, its Ironic, its clouds' hypervisors)."""

    def __init__(self, name: str, root: Path, stacks: StackStore, nodes: IronicNodes,
                 sink: HypervisorSink, *, clouds: dict[str, str], faults: FaultPlan | None = None,
                 latency: str = "none",
                 validate: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
        self.name = name
        self.root = Path(root)
        self.stacks = stacks
        self.nodes = nodes
        self.sink = sink
        self.clouds = clouds  # stack name -> site cloud (whose Nova gets the hypervisors)
        self.faults = faults or FaultPlan()
        self.phases = PHASES.get(latency, PHASES["none"])
        self.validate = validate or check_plan
        self._schedule = threading.Lock()  # one scheduler: two stacks never take the same node

    def pause(self, phase: str) -> None:
        if self.phases.get(phase):  # no sleep(0): it would hand the GIL over between two lines
            time.sleep(self.phases[phase])

    # -- openstack overcloud deploy ----------------------------------------------------------

    def deploy(self, out: Session, argv: list[str]) -> int:
        s = Client(out)
        try:
            ns = deploy_parser().parse_args(argv)
        except CommandError as exc:
            s.write(str(exc))
            return 2
        files = deploy_files(ns, self.root)
        missing = files.missing()
        if missing:
            for path in missing:
                s.write(f"ERROR: Could not open file: [Errno 2] No such file or directory: '{path}'")
            return 1
        with self.stacks.lock:
            stack = self.stacks.get(ns.stack) or StackState(
                name=ns.stack, cloud=self.clouds.get(ns.stack, ""), status="")
            if stack.status.endswith("IN_PROGRESS") or stack.deployment == "DEPLOYING":
                s.write(f"ERROR: Stack {ns.stack} is in {stack.status or stack.deployment} state, "
                        "cannot update: wait for the running deployment to finish")
                return 1
            stack.deployment = "DEPLOYING"
            self.stacks.save(stack)
        try:
            self._deploy(s, files, stack)
        except ChannelGone:
            with self.stacks.lock:  # tripleoclient's handler on its way out
                stack.deployment = "DEPLOY_FAILED"
                self.stacks.save(stack)
            return 141
        except DeployFailed as exc:
            for line in exc.lines:
                s.write(line)
            with self.stacks.lock:
                if exc.stack_failed:
                    stack.status = f"{'CREATE' if not stack.deploys else 'UPDATE'}_FAILED"
                    stack.status_reason = exc.lines[0] if exc.lines else "failed"
                stack.deployment = "DEPLOY_FAILED"
                stack.updated = now()
                self.stacks.save(stack)
            return 1
        except BaseException:
            with self.stacks.lock:
                stack.deployment = "DEPLOY_FAILED"
                self.stacks.save(stack)
            raise
        return 0

    def _deploy(self, s: Client, files: DeployFiles, stack: StackState) -> None:
        s.write("Waiting for messages on queue 'tripleo' with no timeout.")
        s.write(f"Uploading new plan files for {stack.name}")
        self.pause("plan")
        s.write(f"Processing templates in the directory {files.templates}")
        result = self.validate(files.request())
        if refusal(result):
            raise DeployFailed(refusal(result), stack_failed=False)
        if result.get("processed"):
            files.processed = Path(result["processed"])
        env = files.merged()
        pd = env["parameter_defaults"]
        plans = self._plan(files.roles(), pd, stack)
        s.check()  # the client sends the stack update: a dead one never does
        s.write(f"Deploying templates in the directory {files.templates}")
        action = "UPDATE" if stack.status else "CREATE"
        with self.stacks.lock:
            stack.status, stack.status_reason = f"{action}_IN_PROGRESS", f"Stack {action} started"
            self.stacks.save(stack)
        s.write(f"{_ts()} [{stack.name}]: {action}_IN_PROGRESS  Stack {action} started")
        self.pause("heat")
        if self.faults.has("undercloud", "deploy_fail", self.name):
            raise DeployFailed([f" Stack {stack.name} {action}_FAILED ",
                                f"{stack.name}.ControllerDeployment: status_reason: Error: resources."
                                "ControllerDeployment: Deployment to server failed: deploy_status_code: "
                                "Deployment exited with non-zero status code: 2 (injected fault "
                                f"undercloud.deploy_fail={self.name})",
                                f"Heat Stack {action.lower()} failed."])
        domain = str(pd.get("CloudDomain") or "localdomain")
        hostmap = pd.get("HostnameMap") or {}
        for plan in plans:
            self._remove(s, stack, plan)
        failures: list[str] = []
        with self._schedule:
            for plan in plans:
                failures += self._add(s, stack, plan, hostmap, domain)
        with self.stacks.lock:
            for plan in plans:
                group = stack.roles.setdefault(plan.name, ResourceGroup())
                group.count, group.blacklist, group.hypervisor = plan.count, plan.blacklist, plan.hypervisor
            stack.parameter_defaults = pd
            stack.resource_registry = env["resource_registry"]
            stack.deploys += 1
            stack.updated = now()
            self.stacks.save(stack)
        if failures:
            raise DeployFailed([f" Stack {stack.name} {action}_FAILED ", *failures,
                                f"Heat Stack {action.lower()} failed."])
        with self.stacks.lock:
            stack.status = f"{action}_COMPLETE"
            stack.status_reason = f"Stack {action} completed successfully"
            self.stacks.save(stack)
        s.write(f"{_ts()} [{stack.name}]: {action}_COMPLETE  Stack {action} completed successfully")
        s.write(f" Stack {stack.name} {action}_COMPLETE ")
        s.check()  # config-download is driven by the client
        self._config_download(s, stack, plans)
        with self.stacks.lock:
            stack.deployment = "DEPLOY_SUCCESS"
            self.stacks.save(stack)
        vip = (pd.get("PublicVirtualFixedIPs") or [{}])[0].get("ip_address", "192.168.24.2")
        s.write("Overcloud configuration completed.")
        s.write(f"Overcloud Endpoint: http://{vip}:5000")
        s.write(f"Overcloud Horizon Dashboard URL: http://{vip}:80/dashboard")
        s.write(f"Overcloud rc file: /home/stack/{stack.name}rc")
        s.write("Overcloud Deployed")

    def _plan(self, roles: list[dict[str, Any]], pd: dict[str, Any], stack: StackState) -> list[RolePlan]:
        plans = []
        for role in roles:
            name = role["name"]
            group = stack.roles.get(name) or ResourceGroup()
            count = int(pd.get(f"{name}Count", role.get("CountDefault", 0)) or 0)
            policies = pd.get(f"{name}RemovalPolicies") or []
            listed = {int(i) for p in policies if isinstance(p, dict) for i in p.get("resource_list", [])}
            mode = pd.get(f"{name}RemovalPoliciesMode", "append")
            blacklist = sorted(listed if mode == "update" else set(group.blacklist) | listed)
            names = group.names(count, blacklist)
            hints = pd.get(f"{name}SchedulerHints") or {}
            plans.append(RolePlan(
                name=name, count=count, blacklist=blacklist, names=names,
                add=[i for i in names if i not in group.members],
                remove=sorted(i for i in group.members if i not in names),
                hostname_format=str(pd.get(f"{name}HostnameFormat") or role.get("HostnameFormatDefault")
                                    or f"%stackname%-{name.lower()}-%index%"),
                hint=hints.get("capabilities:node") if isinstance(hints, dict) else None,
                flavor=pd.get(f"Overcloud{name}Flavor"),
                hypervisor=NOVA_COMPUTE in (role.get("ServicesDefault") or [])))
        return plans

    # -- Heat: members out and in ------------------------------------------------------------

    def _remove(self, s: Client, stack: StackState, plan: RolePlan) -> None:
        group = stack.roles.get(plan.name)
        if group is None or not plan.remove:
            return
        gone = [group.members[i] for i in plan.remove]
        for m in gone:
            s.write(f"{_ts()} [{stack.name}.{plan.name}.{m.index}]: DELETE_IN_PROGRESS  state changed")
            self.nodes.undeploy(m.node_uuid)
        self.nodes.wait([m.node_uuid for m in gone], "available")
        with self.stacks.lock:
            for m in gone:
                if group.hypervisor and stack.cloud:
                    try:
                        self.sink.remove(stack.cloud, m.hostname)
                    except (KeyError, ValueError) as exc:  # Heat deletes the server regardless
                        s.write(f"WARNING: the compute service of {m.hostname} stays in Nova: {exc}")
                del group.members[m.index]
                s.write(f"{_ts()} [{stack.name}.{plan.name}.{m.index}]: DELETE_COMPLETE  state changed")
            self.stacks.save(stack)

    def _add(self, s: Client, stack: StackState, plan: RolePlan, hostmap: dict[str, Any],
             domain: str) -> list[str]:
        """Schedule and deploy the new members; returns Heat's failure lines for those that failed."""
        if not plan.add:
            return []
        group = stack.roles.setdefault(plan.name, ResourceGroup())
        listed = self.nodes.list()
        taken = {n["uuid"] for n in listed if n.get("instance_uuid")}
        pending: dict[str, Member] = {}
        failures: list[str] = []
        for i in plan.add:
            server_id = str(uuid.uuid4())
            where = f"{stack.name}.{plan.name}.{i}"
            s.write(f"{_ts()} [{where}]: CREATE_IN_PROGRESS  state changed")
            node = self._choose(plan, i, listed, taken)
            if node is None:
                failures += self._failure(where, plan.name, server_id, "No valid host was found. ")
                continue
            taken.add(node["uuid"])
            if self.faults.has("undercloud", "deploy_fail", node["name"]):
                failures += self._failure(
                    where, plan.name, server_id,
                    f"Build of instance {server_id} aborted: Failed to provision instance {server_id}: "
                    f"Ironic node {node['name']} ({node['uuid']}) failed to deploy: injected fault "
                    f"undercloud.deploy_fail={node['name']}")
                continue
            generated = plan.hostname_format.replace("%stackname%", stack.name).replace("%index%", str(i))
            short = str(hostmap.get(generated, generated))
            props = node.get("properties") or {}
            member = Member(index=i, node=node["name"], node_uuid=node["uuid"], server_id=server_id,
                            hostname=f"{short}.{domain}", vcpus=int(props.get("cpus") or 0),
                            memory_mb=int(props.get("memory_mb") or 0))
            self.nodes.deploy(node, server_id, short)
            pending[node["uuid"]] = member

        def done(node_uuid: str, error: str | None) -> None:
            m = pending[node_uuid]
            where = f"{stack.name}.{plan.name}.{m.index}"
            if error is None:
                with self.stacks.lock:
                    group.members[m.index] = m
                    self.stacks.save(stack)
                s.write(f"{_ts()} [{where}]: CREATE_COMPLETE  state changed")
            else:
                failures.extend(self._failure(where, plan.name, m.server_id,
                                              f"Failed to provision instance {m.server_id}: {error}"))
                self.nodes.undeploy(node_uuid)  # Nova tears a failed instance down

        self.nodes.wait(list(pending), "active", progress=done)
        return failures

    def _choose(self, plan: RolePlan, index: int, listed: list[dict[str, Any]],
                taken: set[str]) -> dict[str, Any] | None:
        """Nova's scheduler on Ironic: the node the hint names (or one of the flavor's profile)."""
        want = plan.hint.replace("%index%", str(index)) if plan.hint else None
        for node in listed:
            caps = parse_capabilities((node.get("properties") or {}).get("capabilities"))
            fits = caps.get("node") == want if want else caps.get("profile") == plan.flavor
            if fits and node["provision_state"] == "available" and node["uuid"] not in taken:
                return node
        return None

    @staticmethod
    def _failure(where: str, role: str, server_id: str, message: str) -> list[str]:
        reason = (f"ResourceInError: resources.{role}: Went to status ERROR due to \"Message: {message}, "
                  "Code: 500\"")
        return [f"{_ts()} [{where}]: CREATE_FAILED  {reason}", "", f"{where}.{role}:",
                f"  resource_type: OS::TripleO::{role}Server", f"  physical_resource_id: {server_id}",
                "  status: CREATE_FAILED", "  status_reason: |", f"    {reason}"]

    # -- config-download ---------------------------------------------------------------------

    def _config_download(self, s: Client, stack: StackState, plans: list[RolePlan]) -> None:
        members = [(p, m) for p in plans for m in sorted(stack.roles[p.name].members.values(),
                                                         key=lambda m: m.index)]
        hosts = [m.hostname.split(".")[0] for _, m in members]
        s.write("Deploying overcloud configuration")
        s.write(f"Enabling ssh admin (tripleo-admin) for hosts: {' '.join(hosts)}")
        for step in range(1, 6):
            s.write(f"PLAY [Overcloud deploy step tasks for step {step}] " + "*" * 40)
            s.write(f"TASK [Deploy step tasks for step {step}] " + "*" * 40)
            for host in hosts:
                s.write(f"ok: [{host}]")
            self.pause("step")
        for plan, m in members:
            if plan.hypervisor and stack.cloud:  # nova-compute (re)started: it registers itself
                self.sink.add(stack.cloud, m.hostname, m.node_uuid, m.vcpus, m.memory_mb)
        s.write("PLAY RECAP " + "*" * 40)
        for host in hosts:
            s.write(f"{host:<24}: ok=42   changed=0    unreachable=0    failed=0    skipped=12")

    # -- openstack overcloud node delete ------------------------------------------------------

    def _scale_down(self, s: Client, stack: StackState, m: Member) -> bool:
        """nova-compute's scale_tasks: stop it, delete its compute service (Nova refuses while
        the host still runs instances, and the node delete stops there)."""
        host = m.hostname.split(".")[0]
        s.write("TASK [Stop nova-compute healthcheck container] " + "*" * 20)
        s.write(f"changed: [{host}]")
        s.write("TASK [Delete nova-compute service] " + "*" * 20)
        try:
            if stack.cloud:
                self.sink.remove(stack.cloud, m.hostname)
        except KeyError:
            pass  # not registered: nothing to delete
        except ValueError as exc:
            s.write(f'fatal: [{host}]: FAILED! => {{"changed": false, "msg": "{exc}"}}')
            s.write(f"ERROR: the scale down tasks failed on {host}: {exc}")
            return False
        s.write(f"changed: [{host}]")
        return True

    def node_delete(self, out: Session, argv: list[str]) -> int:
        s: Any = Client(out)  # a Mistral workflow: it carries on without its client
        try:
            ns = node_delete_parser().parse_args(argv)
        except CommandError as exc:
            s.write(str(exc))
            return 2
        with self.stacks.lock:
            stack = self.stacks.get(ns.stack)
            if stack is None or not stack.status:
                s.write(f"ERROR: The Stack ({ns.stack}) could not be found.")
                return 1
            if stack.status.endswith("IN_PROGRESS") or stack.deployment == "DEPLOYING":
                s.write(f"ERROR: Stack {ns.stack} is in {stack.status} state, cannot delete nodes now")
                return 1
            by_server = {m.server_id: (role, m) for role, g in stack.roles.items()
                         for m in g.members.values()}
            unknown = [n for n in ns.nodes if n not in by_server]
            if not ns.nodes or unknown:
                s.write(f"InvalidConfiguration: Couldn't find following instances in stack {ns.stack}: "
                        f"{','.join(unknown) or '(none given)'}")
                return 1
            if not ns.yes:
                s.write("Are you sure you want to delete these overcloud nodes [y/N]? ")
                answer = (s.readline() or "").strip().lower()
                if answer not in ("y", "yes"):
                    s.write("ERROR: Not proceeding with the node deletion.")
                    return 1
            stack.status, stack.status_reason = "UPDATE_IN_PROGRESS", "Stack UPDATE started"
            self.stacks.save(stack)
        victims = [by_server[n] for n in dict.fromkeys(ns.nodes)]
        s.write(f"Deleting the following nodes from stack {ns.stack}:")
        for _, m in victims:
            s.write(f"- {m.server_id}")
        s.write(f"Started Mistral Workflow tripleo.scale.v1.delete_node. Execution ID: {uuid.uuid4()}")
        s.write("PLAY [Scale down tasks] " + "*" * 40)
        for role, m in victims:
            if stack.roles[role].hypervisor and not self._scale_down(s, stack, m):
                with self.stacks.lock:
                    stack.status, stack.status_reason = "UPDATE_FAILED", "scale down tasks failed"
                    self.stacks.save(stack)
                return 1
        self.pause("step")
        for role, m in victims:
            s.write(f"{_ts()} [{stack.name}.{role}.{m.index}]: DELETE_IN_PROGRESS  state changed")
            self.nodes.undeploy(m.node_uuid)
        errors = self.nodes.wait([m.node_uuid for _, m in victims], "available")
        with self.stacks.lock:
            for role, m in victims:
                group = stack.roles[role]
                group.members.pop(m.index, None)
                group.count -= 1
                group.blacklist = sorted(set(group.blacklist) | {m.index})
                s.write(f"{_ts()} [{stack.name}.{role}.{m.index}]: DELETE_COMPLETE  state changed")
            for role in {r for r, _ in victims}:
                stack.parameter_defaults[f"{role}Count"] = stack.roles[role].count
                stack.parameter_defaults[f"{role}RemovalPolicies"] = [
                    {"resource_list": [str(m.index) for r, m in victims if r == role]}]
            failed = {k: v for k, v in errors.items() if v}
            stack.status = "UPDATE_FAILED" if failed else "UPDATE_COMPLETE"
            stack.status_reason = "; ".join(failed.values()) or "Stack UPDATE completed successfully"
            stack.updated = now()
            self.stacks.save(stack)
        if failed:
            s.write(f"ERROR: Heat Stack update failed: {stack.status_reason}")
            return 1
        s.write(f"{_ts()} [{stack.name}]: UPDATE_COMPLETE  Stack UPDATE completed successfully")
        s.write(f"Deleted {len(victims)} node(s) from stack {stack.name}")
        return 0

