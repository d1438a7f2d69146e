"""Real Ironic 39, standalone: one ``ironic`` process (API + conductor), sqlite, no auth, no RPC.

Configured as a production standalone Ironic would be, except for what keeps it light on a
2-core machine (see :data:`TWIN_DEVIATIONS`); every deviation is a documented config value.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
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

LAUNCHER = Path(__file__).with_name("launch_ironic.py")

# What the fake systems of sushy-tools support, per wire-facts: no agent, no BIOS/firmware/RAID.
INTERFACES: dict[str, list[str]] = {
    "bios": ["fake", "no-bios"],
    "boot": ["fake", "redfish-virtual-media"],
    "console": ["fake", "no-console"],
    "deploy": ["fake", "ramdisk", "direct"],
    "firmware": ["fake", "no-firmware"],
    "inspect": ["fake", "no-inspect", "redfish", "agent"],
    "management": ["fake", "redfish"],
    "network": ["noop"],
    "power": ["fake", "redfish"],
    "raid": ["fake", "no-raid"],
    "rescue": ["fake", "no-rescue"],
    "storage": ["fake", "noop"],
    "vendor": ["fake", "no-vendor", "redfish"],
}

INSPECTION_HOOKS = ("$default_hooks,memory,cpus,cpu-capabilities,root-device,parse-lldp,"
                    "local-link-connection")

TWIN_DEVIATIONS = """\
- [conductor] sync_power_state_interval 600 s (default 60) and enable_health_monitoring off:
  every Redfish poll of Ironic 39 costs a PBKDF2 derivation.
- [redfish] connection_attempts 2, connection_retry_interval 1, connect/read_timeout 3 s
  (defaults 5, 4, 30, 60): sushy retries each request 10 times, so a dead BMC fails a verify in
  about 2 minutes instead of about 50; the code path and the error are the same.
- PBKDF2 memoised in the Ironic process (launch_ironic.py): the same keys, without the repeated
  CPU cost (~1.2 CPU-s per Redfish operation otherwise).
- sqlite and one combined process instead of a database server and separate API/conductor.
"""


@dataclass
class RedfishTiming:
    """Ironic's ``[redfish]`` retry/timeout knobs (production defaults: 5, 4, 30, 60)."""

    connection_attempts: int = 2
    connection_retry_interval: int = 1
    connect_timeout: int = 3
    read_timeout: int = 3


class IronicService:
    """Standalone Ironic in ``workdir``: ``ironic.conf``, sqlite db, logs, PID file.

    Example (needs the lab's Ironic venv; listens on a loopback port)::

        svc = IronicService(Path("/tmp/lab/ironic")).start()
        svc.url      # 'http://127.0.0.1:43121'
    """

    def __init__(self, workdir: Path, *, port: int = 0, venv: Path | None = None,
                 host: str = "127.0.0.1", sync_power_state_interval: int = 600,
                 redfish: RedfishTiming | None = None, memoize_pbkdf2: bool = True,
                 automated_clean: bool | None = None,
                 extra_conf: dict[str, dict[str, Any]] | None = None, debug: bool = False,
                 start_timeout: float = 90.0):
        self.workdir = Path(workdir).resolve()
        self.venv = Path(venv) if venv else ironic_venv()
        self.host = host
        self.port = port
        self.sync_power_state_interval = sync_power_state_interval
        self.redfish = redfish or RedfishTiming()
        self.memoize_pbkdf2 = memoize_pbkdf2
        self.automated_clean = automated_clean
        self.extra_conf = extra_conf or {}
        self.debug = debug
        self.start_timeout = start_timeout
        self.conf_path = self.workdir / "ironic.conf"
        self.log_path = self.workdir / "ironic.log"  # Ironic's own log (oslo.log)
        self.start_seconds = 0.0  # measured by start(): schema creation + spawn -> /v1 answers
        self._proc: ManagedProcess | None = None

    # -- config ------------------------------------------------------------------------------

    def config(self) -> dict[str, dict[str, Any]]:
        """The ``ironic.conf`` sections, before ``extra_conf`` is merged in."""
        w = self.workdir
        default: dict[str, Any] = {
            "auth_strategy": "noauth",
            "rpc_transport": "none",
            "host": "i2-twin-conductor",
            "my_ip": self.host,
            "enabled_hardware_types": "fake-hardware,redfish",
            "tempdir": w / "tmp",
            "log_dir": w,
            "log_file": self.log_path.name,
            "use_stderr": False,
            "debug": self.debug,
        }
        for iface, names in INTERFACES.items():
            default[f"enabled_{iface}_interfaces"] = ",".join(names)
        default["default_network_interface"] = "noop"
        conductor: dict[str, Any] = {
            "sync_power_state_interval": self.sync_power_state_interval,
            "enable_health_monitoring": False,
        }
        if self.automated_clean is not None:
            # Ironic's default (True) cleans on provide; redfish nodes of the twin have no agent
            # to clean with, so they opt out per node (automated_clean=False) as i2 would.
            conductor["automated_clean"] = self.automated_clean
        return {
            "DEFAULT": default,
            "api": {"host_ip": self.host, "port": self.port, "api_workers": 1},
            "database": {"connection": f"sqlite:///{w / 'ironic.sqlite'}"},
            "dhcp": {"dhcp_provider": "none"},
            "oslo_concurrency": {"lock_path": w / "locks"},
            "conductor": conductor,
            "redfish": {
                "connection_attempts": self.redfish.connection_attempts,
                "connection_retry_interval": self.redfish.connection_retry_interval,
                "connect_timeout": self.redfish.connect_timeout,
                "read_timeout": self.redfish.read_timeout,
            },
            "nova": {"send_power_notifications": False},  # standalone: there is no Nova
            # Virtual media ISOs are handed to the BMC by URL (as for an HTTP-served IPA ISO).
            "deploy": {"http_root": w / "httpboot", "ramdisk_image_download_source": "http"},
            # In-band inspection: the hooks a TripleO undercloud relies on, LLDP included.
            "inspector": {"hooks": INSPECTION_HOOKS},
            # The callback URL the ramdisk is told (no Keystone catalog in standalone mode).
            "service_catalog": {"endpoint_override": self.url},
        }

    def write_config(self) -> Path:
        sections = self.config()
        for name, values in self.extra_conf.items():
            sections.setdefault(name, {}).update(values)
        lines = ["# Written by lifecycle.lab.ironic: the twin's standalone Ironic."]
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

    def start(self) -> IronicService:
        """Write the config, create the schema (first time), start Ironic, wait for ``/v1``."""
        if self._proc and self._proc.alive():
            return self
        for sub in ("tmp", "locks", "httpboot"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port(self.host)
        self.write_config()
        env = self._env()
        bindir = self.venv / "bin"
        t0 = time.monotonic()
        db = self.workdir / "ironic.sqlite"
        pristine = self.venv / "i2-ironic-schema.sqlite"  # this Ironic's empty schema, made once
        if not db.exists() and pristine.exists():
            shutil.copyfile(pristine, db)  # ironic-dbsync takes 4 s, a copy 1 ms
        elif not db.exists():
            # create_schema refuses a db that has tables: only on a fresh work directory.
            res = subprocess.run([bindir / "ironic-dbsync", "--config-file", self.conf_path,
                                  "create_schema"], env=env, cwd=self.workdir,
                                 capture_output=True, text=True)
            if res.returncode:
                raise ProcessError(f"ironic-dbsync create_schema failed ({res.returncode}):\n"
                                   f"{res.stdout[-2000:]}{res.stderr[-2000:]}")
            with contextlib.suppress(OSError):  # a read-only venv only loses the shortcut
                tmp = pristine.with_suffix(f".{os.getpid()}.tmp")
                shutil.copyfile(db, tmp)
                os.replace(tmp, pristine)
        cmd = ([bindir / "python", LAUNCHER] if self.memoize_pbkdf2 else [bindir / "ironic"])
        self._proc = ManagedProcess("ironic", [*cmd, "--config-file", self.conf_path],
                                    log_path=self.workdir / "ironic.out", env=env, cwd=self.workdir)
        self._proc.start()
        try:
            self._proc.wait_until(lambda: http_ok(f"{self.url}/v1"), self.start_timeout, "API on /v1")
        except ProcessError as exc:
            self.stop()
            raise ProcessError(f"{exc}\n--- {self.log_path}:\n{self._ironic_log_tail()}") from None
        self.start_seconds = time.monotonic() - t0
        return self

    def _ironic_log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self._proc:
            self._proc.stop()

    def healthy(self) -> bool:
        """The process runs and the API lists the conductor's drivers."""
        if not (self._proc and self._proc.alive()):
            return False
        try:
            return bool(get_json(f"{self.url}/v1/drivers").get("drivers"))
        except (OSError, ValueError):
            return False

    def rss(self) -> int:
        """Resident memory of the whole Ironic process tree, in bytes."""
        return rss_bytes(self.pid) if self.pid else 0

    def __enter__(self) -> IronicService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
