"""The inspection floor of a build-out, per undercloud: servers to introspect x the undercloud's
ironic-inspector ``[DEFAULT] introspection_delay``.

Inspector starts one introspection per delay across the whole undercloud (a global lock,
``_wait_for_turn`` in ``ironic_inspector/introspect.py``, when inspector manages boot, as it does
for i2's ``POST /v1/introspection/<uuid>``), so no ``--parallel-racks`` goes below the floor
(docs/performance.md, "Build-out: bounded by the slowest rack?").

The delay is read from the undercloud over SSH (host key verified), only the lines that matter:
section headers and ``introspection_delay``, never the file's passwords. The file is the
inspector's (root-owned, not world-readable): ``sudo -n``, which the stack user has without a
password on a director. Anything short of a value (no such option, file, access, undercloud)
falls back to inspector's default and says so: the floor never fails a plan.

>>> parse_delay("[DEFAULT]\\nintrospection_delay = 2\\n[processing]\\nintrospection_delay = 9")
2
>>> parse_delay("[DEFAULT]\\n#introspection_delay = 2\\n") is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from lifecycle.model.schema import Server
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.rack.observe import Change

DEFAULT_DELAY = 5  # ironic_inspector/conf/default.py: IntOpt introspection_delay, default 5
OPTION = "introspection_delay"
# Where the inspector the director runs reads its configuration, per release. OSP 16 (Train):
# the ironic_inspector container's /etc/ironic-inspector, as container-puppet rendered it (THT's
# ironic-inspector-container-puppet.yaml mounts this directory as kolla's config source).
# OSP 10 (Newton): inspector runs on the host.
CONF = {"train": "/var/lib/config-data/puppet-generated/ironic_inspector/etc/ironic-inspector/inspector.conf",
        "newton": "/etc/ironic-inspector/inspector.conf"}
READ_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0  # the readiness rows already waited on an unreachable undercloud
READ = "read"
NOT_READ = "default, not read"


@dataclass
class Floor:
    """One undercloud's floor: ``servers`` x ``delay_s`` = ``floor_s`` at least."""

    undercloud: str
    servers: int
    delay_s: int
    source: str  # READ or NOT_READ
    detail: str  # where it was read from, or why it was not

    @property
    def floor_s(self) -> int:
        return self.servers * self.delay_s

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "floor_s": self.floor_s}

    def line(self) -> str:
        """The operator's line.

        >>> Floor("uc-1", 320, 5, NOT_READ, "not set").line()
        'uc-1: inspection floor 320 servers x 5 s = 26 min 40 s at least (default, not read: not set)'
        """
        return (f"{self.undercloud}: inspection floor {self.servers} servers x {self.delay_s} s = "
                f"{_duration(self.floor_s)} at least ({self.source}: {self.detail})")


def _duration(seconds: int) -> str:
    minutes, s = divmod(seconds, 60)
    return f"{minutes} min {s} s" if minutes else f"{s} s"


def parse_delay(text: str) -> int | None:
    """``[DEFAULT] introspection_delay`` as oslo.config reads an ini file (comments ``#``/``;``,
    indented lines continue a value, ``=`` or ``:``, quotes stripped, the last value wins);
    None when absent. A value inspector could not start with raises ValueError."""
    section, value = "", None
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line[0] in "#;" or line[0].isspace():
            continue
        if line.startswith("["):
            section = line[1:line.index("]")] if "]" in line else ""
            continue
        cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if cut < 0 or section != "DEFAULT" or line[:cut].strip() != OPTION:
            continue
        value = line[cut + 1:].strip()
        if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{OPTION} = {value!r} is not an integer") from None


def read_delay(uc: object, release: str) -> tuple[int, str, str]:
    """(delay, source, detail) from a connected :class:`~lifecycle.tripleo.undercloud.Undercloud`."""
    path = CONF.get(release)
    if path is None:
        return DEFAULT_DELAY, NOT_READ, f"no known inspector.conf for release {release}"
    # only headers and the option's lines leave the undercloud (the file holds passwords)
    status, out = uc.output(["sudo", "-n", "grep", "-E", rf"^(\[|{OPTION})", path],  # type: ignore[attr-defined]
                            timeout=READ_TIMEOUT)
    if status == 1 and not out.strip():
        return DEFAULT_DELAY, NOT_READ, f"{OPTION} not set in {path}"
    if status != 0:
        why = (out.strip().splitlines() or [f"exit status {status}"])[-1]
        return DEFAULT_DELAY, NOT_READ, f"cannot read {path}: {why}"
    try:
        delay = parse_delay(out)
    except ValueError as exc:
        return DEFAULT_DELAY, NOT_READ, f"{path}: {exc}"
    if delay is None:
        return DEFAULT_DELAY, NOT_READ, f"{OPTION} not set in {path}"
    return max(delay, 0), READ, path  # inspector sleeps only a positive delay


def to_inspect(svc: Services, servers: Sequence[Server], changes: Sequence[Change]) -> dict[str, int]:
    """Per undercloud, the servers the plan's Ironic rows say still go through inspection: no
    node yet, or a node short of ``available`` (an already inspected ``manageable`` node counts
    too: the floor errs high). A server without a row (Ironic unreachable) counts."""
    rows = {c.object: c for c in changes if c.system == "ironic"}
    out: dict[str, int] = {}
    for s in servers:
        row = rows.get(s.name)
        todo = row is None or row.action == "create" or (
            row.action == "change" and "-> available" in row.detail)
        uc = svc.site.cloud(s.cloud).undercloud
        out[uc] = out.get(uc, 0) + int(todo)  # an undercloud with nothing to inspect: a floor of 0
    return out


def floors(svc: Services, servers: Sequence[Server], changes: Sequence[Change]) -> list[Floor]:
    """Each undercloud's floor, its delay read from it when it answers; never raises."""
    from lifecycle.tripleo.undercloud import Undercloud

    release = {svc.site.cloud(s.cloud).undercloud: svc.site.cloud(s.cloud).release for s in servers}
    out = []
    for name, count in sorted(to_inspect(svc, servers, changes).items()):
        try:
            with Undercloud.connect(svc.endpoints, name, svc.secrets, timeout=CONNECT_TIMEOUT) as uc:
                delay, source, detail = read_delay(uc, release[name])
        except Exception as exc:  # unreachable, refused, no entry: the plan goes on with the default
            delay, source, detail = DEFAULT_DELAY, NOT_READ, str(exc)
        out.append(Floor(name, count, delay, source, detail))
    return out
