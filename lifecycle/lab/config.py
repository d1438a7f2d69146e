"""A lab directory: what `i2 lab up` was asked for and what it started.

``LABDIR/lab.yaml``    the request (site, latency, faults, seed), written before anything starts
``LABDIR/state.json``  what runs: each component's URL, port, PID and health URL
``LABDIR/endpoints.yaml``, ``clouds.yaml``, ``secrets.yaml``  what i2 uses to reach the twin
"""

from __future__ import annotations

import json
import os
import secrets as pysecrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml


@dataclass
class LabConfig:
    site: str
    latency: str = "none"
    faults: str = ""
    seed: int = 0
    # undercloud -> the release it plays instead of its site cloud's ("current": Ironic 39's own)
    undercloud_releases: dict[str, str] = field(default_factory=dict)
    # seconds a token of an undercloud's Keystone lives (keystone.conf [token] expiration)
    token_lifetime: int = 3600
    # Greenfield (docs/twin.md "Greenfield"): the DC as a build-out finds it. Every rack racked,
    # every switch in ZTP, no estate written (VSD, clouds, OneView, undercloud, NetScaler); it
    # turns every brownfield switch below off.
    greenfield: bool = False
    # what `i2 lab up --brownfield NAME=on|off` set, by field: applied over LABDIR/brownfield.yaml
    cli_brownfield: dict[str, Any] = field(default_factory=dict)
    # Brownfield, as operators find it (docs/twin.md "Brownfield"): what other teams and tools left
    # in the estate before i2. Each is on unless set false (a flavor name: "" is off).
    brownfield_vsd_foreign_entries: bool = True  # other teams' ACL entries next to the site's
    brownfield_vsd_team_objects: bool = True  # network macros and policy groups made by teams
    brownfield_vsd_extra_subnets: bool = True  # a subnet per domain that is not in the site
    brownfield_vsd_stale_cms: bool = True  # a CMS id of a cloud that no longer exists
    brownfield_cloud_foreign: bool = True  # servers, networks, volumes in projects, not in the site
    brownfield_cloud_flavor_drift: str = "m1.xlarge"  # same name, other size in the new cloud
    brownfield_cloud_image_aliases: bool = True  # the new cloud's images under a second name
    brownfield_cloud_tight_quota: bool = True  # a project's quota nearly exhausted in the new cloud
    # in-service switches typed by hand: other order, comments, `vlan add`, old defaults, and
    # drift (extra descriptions, VLAN 999, a shut spare port)
    brownfield_switches: bool = True
    # in-service servers with OneView profiles from the platform team's template (not i2's)
    brownfield_hardware_profiles: bool = True
    brownfield_hardware_old_firmware: bool = True  # one in-service server below every SPP baseline
    # in-service servers powered On at their BMCs (serving: iLO, OneView and Ironic agree)
    brownfield_hardware_powered_on: bool = True
    # one in-service server's BMC an iLO 4 2.40 (Redfish 1.0.0, Oem.Hp), below the profiles' iLO minimum
    brownfield_hardware_old_redfish: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.token_lifetime, bool) or not isinstance(self.token_lifetime, int) \
                or self.token_lifetime < 1:
            raise ValueError(f"lab.yaml token_lifetime: expected whole seconds >= 1, "
                             f"got {self.token_lifetime!r}")
        if self.greenfield:  # nothing of another team's exists yet
            for name, f in brownfield_fields().items():
                setattr(self, name, "" if f.type in (str, "str") else False)

    @classmethod
    def load(cls, labdir: Path) -> LabConfig:
        data = yaml.safe_load((labdir / "lab.yaml").read_text())
        # an operator's switches, kept across `i2 lab up` (which rewrites lab.yaml)
        extra = labdir / "brownfield.yaml"
        if extra.exists():
            data |= {k: v for k, v in (yaml.safe_load(extra.read_text()) or {}).items()
                     if k.startswith("brownfield_")}
        data |= data.get("cli_brownfield") or {}  # this start's flags win over the file
        return cls(**data)

    def save(self, labdir: Path) -> None:
        (labdir / "lab.yaml").write_text(yaml.safe_dump(asdict(self), sort_keys=False))


BROWNFIELD = "brownfield_"


def brownfield_fields() -> dict[str, Any]:
    """Every brownfield switch of :class:`LabConfig`: field name -> its dataclass field."""
    return {f.name: f for f in fields(LabConfig) if f.name.startswith(BROWNFIELD)}


def parse_brownfield(items: Iterable[str]) -> dict[str, Any]:
    """``NAME=on|off`` (NAME without ``brownfield_``) -> ``{field: value}``. ``on`` is the
    switch's default (a flavor name for ``cloud_flavor_drift``), ``off`` False or ``""``.

    >>> parse_brownfield(["vsd_stale_cms=off", "cloud_flavor_drift=on"])
    {'brownfield_vsd_stale_cms': False, 'brownfield_cloud_flavor_drift': 'm1.xlarge'}
    """
    known = brownfield_fields()
    out: dict[str, Any] = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or value not in ("on", "off"):
            raise ValueError(f"expected NAME=on|off, got {item!r}")
        f = known.get(BROWNFIELD + name)
        if f is None and name in known:
            raise ValueError(f"{item!r}: name the switch without {BROWNFIELD!r} "
                             f"({name.removeprefix(BROWNFIELD)}={value})")
        if f is None:
            names = ", ".join(n.removeprefix(BROWNFIELD) for n in known)
            raise ValueError(f"no brownfield switch {name!r} (known: {names})")
        is_str = f.type in (str, "str")
        out[f.name] = (f.default if is_str else True) if value == "on" else ("" if is_str else False)
    return out


@dataclass
class Component:
    name: str
    kind: str  # emulator | process
    url: str = ""
    port: int = 0
    pid: int = 0
    health: str = ""  # URL or "tcp://host:port" used by `i2 lab status`
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class LabState:
    daemon_pid: int
    components: list[Component]
    ready: bool = False
    error: str = ""

    def save(self, labdir: Path) -> None:
        tmp = labdir / "state.json.tmp"
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(labdir / "state.json")  # atomic: `status` never reads half a file

    @classmethod
    def load(cls, labdir: Path) -> LabState | None:
        path = labdir / "state.json"
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        return cls(daemon_pid=data["daemon_pid"], ready=data.get("ready", False),
                   error=data.get("error", ""),
                   components=[Component(**c) for c in data.get("components", [])])

    def pids(self) -> list[int]:
        return [p for p in [self.daemon_pid, *(c.pid for c in self.components)] if p]


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (secrets, keys)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def lab_secrets(labdir: Path) -> dict[str, str]:
    """The lab's generated credentials (created once, 0600), e.g. the OneView password."""
    path = labdir / "secrets.yaml"
    if path.exists():
        return yaml.safe_load(path.read_text()) or {}
    values = {name: pysecrets.token_urlsafe(12)
              for name in ("oneview", "eapi", "cvx", "bmc", "vsd", "keystone", "pure")}
    write_private(path, yaml.safe_dump(values))
    return values


def ensure_secret(labdir: Path, secrets: dict[str, str], name: str) -> str:
    """The lab secret ``name``, generated and added to ``secrets.yaml`` (0600) when missing
    (e.g. ``undercloud-uc-new``, each undercloud's Keystone admin password)."""
    if name not in secrets:
        secrets[name] = pysecrets.token_urlsafe(12)
        write_private(labdir / "secrets.yaml", yaml.safe_dump(secrets))
    return secrets[name]
