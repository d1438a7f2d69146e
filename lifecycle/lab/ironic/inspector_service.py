"""Real ironic-inspector 12.5, standalone: one ``ironic-inspector`` process (API + conductor).

A Train undercloud (OSP 16) inspects through ironic-inspector: ``POST /v1/introspection/<node>``
makes inspector set the node's boot device to PXE and reboot it through Ironic; the PXE-booted
ramdisk POSTs its inventory to ``/v1/continue``; inspector's processing hooks patch the node and
its ports, power it off and store the data. The twin runs the real service, configured as
TripleO Train's undercloud configures it where it matters; every deviation is listed in
:data:`TWIN_DEVIATIONS`. It talks to the twin's backend Ironic directly (noauth), and the
release gateway puts Keystone in front of its API.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from lifecycle.lab.ironic.process import (
    ManagedProcess,
    ProcessError,
    free_port,
    get_json,
    http_ok,
    rss_bytes,
)
from lifecycle.lab.ironic.venv import ironic_venv

VERSION = "12.5.0"

# A TripleO Train undercloud's hooks (THT sets puppet-ironic's additional_processing_hooks): the
# defaults plus extra_hardware (the extra-hardware collector's eDeploy list), lldp_basic and
# local_link_connection (switch ports from the LLDP each NIC hears).
PROCESSING_HOOKS = "$default_processing_hooks,extra_hardware,lldp_basic,local_link_connection"

TWIN_DEVIATIONS = """\
- auth_strategy noauth and [ironic] auth_type none + endpoint_override: the release gateway
  checks Keystone tokens in front of inspector's API; inspector reaches the backend Ironic
  directly, as the lab-internal components do (production: keystone, service user, catalog).
- [pxe_filter] driver noop (production: dnsmasq with its own DHCP/TFTP): the twin has no
  provisioning network; the ramdisk stand-in decides who PXE-boots the inspection image.
- [processing] store_data database (OSP 16 default: swift on the undercloud); no ramdisk logs
  (ramdisk_logs_dir unset: the stand-in sends no logs).
- sqlite, one standalone process (transport_url fake://, the in-process RPC of standalone mode),
  no coordination backend (standalone inspector runs without one when memcached is absent).
- add_ports pxe / keep_ports all: inspector's own defaults, which a Train undercloud keeps
  (THT 11.6.0's ironic-inspector-container-puppet.yaml sets neither), so the ports the
  operator enrolled survive inspection and only the PXE NIC's is added if missing.
- timeout 3600, clean_up_period 60 and introspection_delay 5 (power-ons of a batch are 5 s
  apart) are inspector's defaults; nothing shortened.
"""


class InspectorService:
    """Standalone ironic-inspector in ``workdir``: ``inspector.conf``, sqlite db, log, PID file.

    Example (needs the lab's Ironic venv; listens on a loopback port)::

        svc = InspectorService(Path("/tmp/lab/inspector"), ironic_url=ironic.url).start()
        svc.url      # 'http://127.0.0.1:45050'
    """

    def __init__(self, workdir: Path, *, ironic_url: str, port: int = 0, host: str = "127.0.0.1",
                 venv: Path | None = None, add_ports: str = "pxe", keep_ports: str = "all",
                 processing_hooks: str = PROCESSING_HOOKS, timeout: int = 3600,
                 extra_conf: dict[str, dict[str, Any]] | None = None, debug: bool = False,
                 start_timeout: float = 60.0):
        self.workdir = Path(workdir).resolve()
        self.ironic_url = ironic_url
        self.port = port
        self.host = host
        self.venv = Path(venv) if venv else ironic_venv()
        self.add_ports, self.keep_ports = add_ports, keep_ports
        self.processing_hooks = processing_hooks
        self.timeout = timeout
        self.extra_conf = extra_conf or {}
        self.debug = debug
        self.start_timeout = start_timeout
        self.conf_path = self.workdir / "inspector.conf"
        self.log_path = self.workdir / "inspector.log"  # inspector's own log (oslo.log)
        self.start_seconds = 0.0  # measured by start(): schema + spawn -> GET / answers
        self._proc: ManagedProcess | None = None

    # -- config ------------------------------------------------------------------------------

    def config(self) -> dict[str, dict[str, Any]]:
        """The ``inspector.conf`` sections, before ``extra_conf`` is merged in."""
        w = self.workdir
        return {
            "DEFAULT": {
                "auth_strategy": "noauth",
                "standalone": True,
                "transport_url": "fake://",
                "listen_address": self.host,
                "listen_port": self.port,
                "host": "i2-twin-inspector",
                "timeout": self.timeout,
                "clean_up_period": 60,
                "log_dir": w,
                "log_file": self.log_path.name,
                "use_stderr": False,
                "debug": self.debug,
            },
            "database": {"connection": f"sqlite:///{w / 'inspector.sqlite'}"},
            "ironic": {"auth_type": "none", "endpoint_override": self.ironic_url},
            "processing": {
                "store_data": "database",
                "processing_hooks": self.processing_hooks,
                "add_ports": self.add_ports,
                "keep_ports": self.keep_ports,
                "power_off": True,
                "overwrite_existing": True,
            },
            "pxe_filter": {"driver": "noop"},
            "oslo_concurrency": {"lock_path": w / "locks"},
        }

    def write_config(self) -> Path:
        sections = self.config()
        for name, values in self.extra_conf.items():
            sections.setdefault(name, {}).update(values)
        lines = ["# Written by lifecycle.lab.ironic: the twin's standalone ironic-inspector."]
        for name, values in sections.items():
            lines.append(f"\n[{name}]")
            for key, value in values.items():
                text = str(value).lower() if isinstance(value, bool) else str(value)
                lines.append(f"{key} = {text}")
        self.conf_path.write_text("\n".join(lines) + "\n")
        return self.conf_path

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self._proc.pid if self._proc else 0

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "VIRTUAL_ENV"))}
        env["TMPDIR"] = str(self.workdir / "tmp")
        env["PATH"] = f"{self.venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
        return env

    def _create_db(self, env: dict[str, str]) -> None:
        db = self.workdir / "inspector.sqlite"
        if db.exists():
            return
        pristine = self.venv / "i2-inspector-schema.sqlite"  # this inspector's empty schema
        if pristine.exists():
            shutil.copyfile(pristine, db)
            return
        res = subprocess.run([self.venv / "bin" / "ironic-inspector-dbsync", "--config-file",
                              self.conf_path, "upgrade"], env=env, cwd=self.workdir,
                             capture_output=True, text=True)
        if res.returncode:
            raise ProcessError(f"ironic-inspector-dbsync upgrade failed ({res.returncode}):\n"
                               f"{res.stdout[-2000:]}{res.stderr[-2000:]}")
        with contextlib.suppress(OSError):  # a read-only venv only loses the shortcut
            tmp = pristine.with_suffix(f".{os.getpid()}.tmp")
            shutil.copyfile(db, tmp)
            os.replace(tmp, pristine)

    def start(self) -> InspectorService:
        """Write the config, create the schema (first time), start inspector, wait for ``/``."""
        if self._proc and self._proc.alive():
            return self
        for sub in ("tmp", "locks"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port(self.host)
        self.write_config()
        env = self._env()
        t0 = time.monotonic()
        self._create_db(env)
        self._proc = ManagedProcess(
            "ironic-inspector", [self.venv / "bin" / "ironic-inspector", "--config-file", self.conf_path],
            log_path=self.workdir / "inspector.out", env=env, cwd=self.workdir)
        self._proc.start()
        try:
            self._proc.wait_until(lambda: http_ok(f"{self.url}/v1/introspection"), self.start_timeout,
                                  "API on /v1/introspection")
        except ProcessError as exc:
            self.stop()
            raise ProcessError(f"{exc}\n--- {self.log_path}:\n{self._log_tail()}") from None
        self.start_seconds = time.monotonic() - t0
        return self

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self._proc:
            self._proc.stop()

    def healthy(self) -> bool:
        """The process runs and the API answers the introspection list (it reads the db)."""
        if not (self._proc and self._proc.alive()):
            return False
        try:
            return "introspection" in get_json(f"{self.url}/v1/introspection")
        except (OSError, ValueError):
            return False

    def rss(self) -> int:
        """Resident memory of the inspector process tree, in bytes."""
        return rss_bytes(self.pid) if self.pid else 0

    def __enter__(self) -> InspectorService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
