"""One undercloud of the twin: an SSH server (user ``stack``), a filesystem, the stacks of its
overclouds, an HTTP server for the ISO its deployed nodes boot, and its real Ironic.

Everything lives in ``workdir``: ``ssh_host_ed25519_key``, ``fs/`` (what SFTP sees),
``stacks/<stack>.json`` and ``history.jsonl``, one line per login, command, exit, SFTP write and
``openstack`` process (also those of detached jobs; commands carry no secrets; tests read it to
prove what did, or did not, reach and run on the undercloud). ``fs/home/stack/stackrc`` holds
the credentials ``openstack`` needs, as the undercloud install leaves them.

Example (needs the lab's Ironic; listens on loopback ports)::

    host = UndercloudHost("uc-new", Path("lab/underclouds/uc-new"), ironic_url=url, sink=sink,
                          clouds={"overcloud": "ie1-new"}, authorized=[client_key]).start()
    host.port      # 40211
"""

from __future__ import annotations

import configparser
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import paramiko

from lifecycle.lab.base import EmulatorServer, Response, Router
from lifecycle.lab.base.faults import FaultPlan
from lifecycle.lab.undercloud.bash import Processes
from lifecycle.lab.undercloud.director import Director
from lifecycle.lab.undercloud.keys import ensure_key
from lifecycle.lab.undercloud.nodes import IronicNodes
from lifecycle.lab.undercloud.shell import Shell
from lifecycle.lab.undercloud.sink import HypervisorSink
from lifecycle.lab.undercloud.sshd import SSHServer
from lifecycle.lab.undercloud.stack import StackStore
from lifecycle.lab.undercloud.tht import UNDERCLOUD_THT, tht_tree

# What the deployed nodes boot through their BMC's virtual media; nothing reads it.
ISO_BYTES = b"CD001 i2 twin overcloud-full placeholder\n".ljust(2048, b"\0")
ISO_PATH = "/images/overcloud-full.iso"
BOOT_TIMEOUT = 600.0
# ``/etc/rhosp-release`` as the director's install leaves it, per release the undercloud plays
# (an upstream "current" undercloud has none).
RHOSP_RELEASE = {"train": "Red Hat OpenStack Platform release 16.2.4 (Train)\n",
                 "newton": "Red Hat OpenStack Platform release 10.0.36 (Newton)\n"}
# What the undercloud install leaves in the stack user's home (Train's, trimmed): the shell's
# ``openstack`` has credentials only once it is sourced.
STACKRC = """\
# Clear any old environment that may conflict.
for key in $( set | awk '{{FS="="}}  /^OS_/ {{print $1}}' ); do unset $key ; done
export OS_AUTH_TYPE=password
export OS_PASSWORD={password}
export OS_AUTH_URL=https://192.168.24.2:13000
export OS_USERNAME=admin
export OS_PROJECT_NAME=admin
export OS_PROJECT_DOMAIN_NAME=Default
export OS_USER_DOMAIN_NAME=Default
export OS_IDENTITY_API_VERSION=3
export OS_CLOUD=undercloud
export PS1=${{PS1:-""}}
export PS1="(undercloud) $PS1"
"""
log = logging.getLogger("i2.lab.undercloud")
# Where an OSP 16 undercloud keeps the inspector's config, as container-puppet renders it (THT's
# ironic-inspector-container-puppet.yaml: kolla's config source for the ironic_inspector container).
INSPECTOR_CONF = "/var/lib/config-data/puppet-generated/ironic_inspector/etc/ironic-inspector/inspector.conf"
INSPECTOR_DEFAULTS = {"introspection_delay": "5", "timeout": "3600"}  # ironic-inspector's own


def _inspector_conf(fs: Path, running: Path) -> None:
    """The undercloud's ``inspector.conf`` with the settings the twin's ironic-inspector process
    (its config ``running``) starts with, an option it leaves unset at inspector's default;
    root:ironic-inspector 0640 as on a director (the twin's shell: root only under ROOT_ONLY)."""
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(running)
    default = conf.defaults()
    processing = conf["processing"] if conf.has_section("processing") else {}
    lines = ["[DEFAULT]", *(f"{k} = {default.get(k, v)}" for k, v in INSPECTOR_DEFAULTS.items()),
             "", "[processing]", *(f"{k} = {processing[k]}" for k in ("add_ports", "keep_ports")
                                   if k in processing)]
    path = fs / INSPECTOR_CONF.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o640)


def _installed(fs: Path, release: str | None) -> None:
    """What the director's packages leave on the host: its release file and the THT tree (the
    real Train tree the lab's plan check reads, linked where the RPM puts it)."""
    text = RHOSP_RELEASE.get(release or "")
    if text is None:
        return
    etc = fs / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "rhosp-release").write_text(text)
    link = fs / UNDERCLOUD_THT.lstrip("/")
    if not link.is_symlink() and not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(tht_tree(), target_is_directory=True)


class UndercloudHost:
    def __init__(self, name: str, workdir: Path, *, ironic_url: str, sink: HypervisorSink,
                 clouds: dict[str, str], authorized: Sequence[paramiko.PKey],
                 faults: FaultPlan | None = None, latency: str = "none", port: int = 0,
                 stackrc_text: str | None = None, release: str | None = None,
                 inspector_conf: Path | None = None) -> None:
        self.name = name
        self.dir = Path(workdir)
        self.fs = self.dir / "fs"
        (self.fs / "home" / "stack").mkdir(parents=True, exist_ok=True)
        _installed(self.fs, release)
        if inspector_conf is not None and inspector_conf.is_file():  # Train: its real inspector's
            _inspector_conf(self.fs, inspector_conf)
        stackrc = self.fs / "home" / "stack" / "stackrc"
        if stackrc_text is not None or not stackrc.exists():  # the twin's Keystone, when it has one
            stackrc.write_text(stackrc_text or STACKRC.format(password=secrets.token_urlsafe(16)))
            stackrc.chmod(0o600)
        self.procs = Processes()  # the undercloud's processes: detached jobs outlive their exec
        self.host_key = ensure_key(self.dir / "ssh_host_ed25519_key", comment=f"root@{name}")
        self.stacks = StackStore(self.dir / "stacks")
        self.history = self.dir / "history.jsonl"
        self._log_lock = threading.Lock()
        router = Router()
        router.add("GET", ISO_PATH, lambda _req: Response(200, ISO_BYTES,
                                                          {"Content-Type": "application/octet-stream"}))
        self.images = EmulatorServer(f"images-{name}", router)
        self.nodes: IronicNodes | None = None
        self.ironic_url = ironic_url
        self.sink = sink
        self.clouds = clouds
        self.faults = faults or FaultPlan()
        self.latency = latency
        self.director: Director | None = None
        # Set once the in-service clouds are seeded (lifecycle/lab/undercloud/seed.py): logins
        # work before, commands wait for it, as on an undercloud still booting its services.
        self.ready = threading.Event()
        self.boot_error = ""
        self.ssh = SSHServer(name, self.host_key, authorized, handler=self._run, root=self.fs, port=port,
                             event=self.record)

    @property
    def port(self) -> int:
        return self.ssh.port

    def start(self) -> UndercloudHost:
        self.images.start()
        self.nodes = IronicNodes(self.ironic_url, boot_iso=f"{self.images.url}{ISO_PATH}")
        self.director = Director(self.name, self.fs, self.stacks, self.nodes, self.sink,
                                 clouds=self.clouds, faults=self.faults, latency=self.latency)
        self.ssh.start()
        return self

    def stop(self) -> None:
        self.ssh.stop()
        self.images.stop()

    def _run(self, session: Any) -> int:
        assert self.director is not None
        if not self.ready.wait(BOOT_TIMEOUT) or self.boot_error:
            why = self.boot_error or "still starting"
            session.write(f"ERROR: the undercloud's services are not up: {why}")
            return 1
        return Shell(self.director, self.procs, self.fs, record=self.record)(session)

    def boot(self, prepare: Callable[[], None]) -> threading.Thread:
        """Run ``prepare`` (seeding) in the background; commands wait until it has ended."""
        def run() -> None:
            try:
                prepare()
            except Exception as exc:  # the lab stays up; every command reports this
                log.exception("undercloud %s: seeding failed", self.name)
                self.boot_error = f"{type(exc).__name__}: {exc}"
            finally:
                self.ready.set()

        thread = threading.Thread(target=run, daemon=True, name=f"uc-{self.name}-boot")
        thread.start()
        return thread

    def record(self, event: dict[str, Any]) -> None:
        line = json.dumps({"ts": round(time.time(), 3), **event}) + "\n"
        with self._log_lock, self.history.open("a") as fh:
            fh.write(line)

    def sync_hypervisors(self) -> int:
        """Report every deployed compute node to the sink (a restarted lab's Nova starts empty)."""
        n = 0
        for name in self.stacks.names():
            stack = self.stacks.get(name)
            if stack is None or not stack.cloud:
                continue
            for group in stack.roles.values():
                for m in group.members.values() if group.hypervisor else ():
                    self.sink.add(stack.cloud, m.hostname, m.node_uuid, m.vcpus, m.memory_mb)
                    n += 1
        return n
