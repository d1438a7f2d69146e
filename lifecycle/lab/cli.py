"""``i2 lab``: start, inspect and stop the digital twin of a site.

Registered lazily by the main CLI, so the product itself never imports the twin.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.output import emit, err_console, make_table
from lifecycle.lab.base.faults import FaultSpecError, parse_faults
from lifecycle.lab.base.latency import PROFILES
from lifecycle.lab.config import LabConfig, LabState, parse_brownfield
from lifecycle.lab.process import alive, terminate
from lifecycle.model import validate_site

DEFAULT_DIR = Path("state/lab")


def _labdir(path: Path | None) -> Path:
    return (path or Path(os.environ.get("I2_LAB_DIR", DEFAULT_DIR))).resolve()


def _probe(url: str, timeout: float = 2.0) -> bool:
    if not url:
        return True
    parts = urlsplit(url)
    if parts.scheme == "tcp":
        try:
            with socket.create_connection((parts.hostname, parts.port), timeout=timeout):
                return True
        except OSError:
            return False
    try:
        ctx = None
        if parts.scheme == "https":
            import ssl

            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE  # a liveness probe only; clients verify the CA
        with urllib.request.urlopen(url, timeout=timeout, context=ctx) as resp:
            return resp.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


@click.group("lab")
def lab_group() -> None:
    """The digital twin: real Ironic/sushy-tools/ztpserver, emulated OneView, EOS, CVX."""


@lab_group.command("up")
@click.option("--site", "site_opt", type=click.Path(path_type=Path), help="Site directory.")
@click.option("--dir", "labdir_opt", type=click.Path(path_type=Path),
              help="Lab directory (default $I2_LAB_DIR or state/lab).")
@click.option("--latency", type=click.Choice(PROFILES), default="none", show_default=True)
@click.option("--faults", default="", help="Fault spec, e.g. oneview.http5xx=0.05,bmc.dead=c02-s03")
@click.option("--seed", default=0, show_default=True, help="Seed for faults and latency.")
@click.option("--timeout", default=120.0, show_default=True, help="Seconds to wait for health.")
@click.option("--undercloud-release", "plays", multiple=True, metavar="UC=RELEASE",
              help="Make an undercloud play another release than its site cloud's, e.g. "
                   "uc-new=current (the real Ironic's own API range, agent inspection).")
@click.option("--token-lifetime", type=click.IntRange(min=1), default=3600, show_default=True,
              metavar="S", help="Seconds a token of an undercloud's Keystone lives ([token] "
              "expiration); an expired one gets 401 at the undercloud's Ironic.")
@click.option("--greenfield", is_flag=True,
              help="The DC as a build-out finds it: every rack racked, every switch in ZTP, no "
                   "VSD enterprise, no overcloud, no OneView profiles, the array empty. Every "
                   "brownfield switch off.")
@click.option("--brownfield", "brownfield", multiple=True, metavar="NAME=on|off",
              help="Switch one brownfield part of the estate (repeatable; NAME without "
                   "'brownfield_', e.g. vsd_stale_cms=off). Wins over LABDIR/brownfield.yaml.")
@pass_ctx
def up(ctx: Ctx, site_opt: Path | None, labdir_opt: Path | None, latency: str, faults: str,
       seed: int, timeout: float, plays: tuple[str, ...], token_lifetime: int, greenfield: bool,
       brownfield: tuple[str, ...]) -> None:
    """Start the twin of a site in the background (bound to 127.0.0.1 only)."""
    switches = _brownfield_switches(brownfield, greenfield)
    site_dir = (site_opt or ctx.require_site_dir()).resolve()
    _, problems = validate_site(site_dir)
    if problems:
        raise click.ClickException(f"site {site_dir} is not valid ({len(problems)} problem(s)); "
                                   f"run `i2 site validate {site_dir}`")
    try:
        parse_faults(faults, seed)
    except FaultSpecError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from None
    releases = _undercloud_releases(plays)
    labdir = _labdir(labdir_opt)
    state = LabState.load(labdir) if labdir.exists() else None
    if state and alive(state.daemon_pid):
        raise click.ClickException(f"a lab is already running in {labdir} (pid "
                                   f"{state.daemon_pid}); `i2 lab down --dir {labdir}` first")
    labdir.mkdir(parents=True, exist_ok=True)
    os.chmod(labdir, 0o700)
    (labdir / "state.json").unlink(missing_ok=True)
    (labdir / "logs").mkdir(exist_ok=True)
    LabConfig(str(site_dir), latency, faults, seed, undercloud_releases=releases,
              token_lifetime=token_lifetime, greenfield=greenfield, cli_brownfield=switches,
              **switches).save(labdir)
    started = time.monotonic()
    with open(labdir / "logs" / "daemon.log", "ab") as logf:
        proc = subprocess.Popen([sys.executable, "-m", "lifecycle.lab.daemon", str(labdir)],
                                stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=labdir)
    with err_console.status("starting the twin..."):
        while True:
            state = LabState.load(labdir)
            if state and state.ready:
                break
            if proc.poll() is not None or (state and state.error):
                tail = (labdir / "logs" / "daemon.log").read_text()[-3000:]
                terminate(proc.pid)
                raise click.ClickException(f"the twin failed to start: "
                                           f"{state.error if state else 'daemon exited'}\n{tail}")
            if time.monotonic() - started > timeout:
                terminate(proc.pid)
                raise click.ClickException(f"the twin was not ready within {timeout:.0f}s")
            time.sleep(0.1)
    elapsed = time.monotonic() - started
    _show(ctx, labdir, state, f"twin up in {elapsed:.1f}s: use --endpoints "
                              f"{labdir / 'endpoints.yaml'}")


def _brownfield_switches(items: tuple[str, ...], greenfield: bool) -> dict[str, Any]:
    try:
        switches = parse_brownfield(items)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--brownfield") from None
    on = [k.removeprefix("brownfield_") for k, v in switches.items() if v]
    if greenfield and on:
        raise click.BadParameter(f"--greenfield turns every brownfield switch off; asked on: "
                                 f"{', '.join(on)}", param_hint="--brownfield")
    return switches


def _undercloud_releases(plays: tuple[str, ...]) -> dict[str, str]:
    from lifecycle.lab.ironic.releases import ironic_release

    out: dict[str, str] = {}
    for item in plays:
        name, eq, release = item.partition("=")
        if not eq or not name or not release:
            raise click.BadParameter(f"expected UC=RELEASE, got {item!r}", param_hint="--undercloud-release")
        try:
            ironic_release(release)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--undercloud-release") from None
        out[name] = release
    return out


def _show(ctx: Ctx, labdir: Path, state: LabState, message: str) -> None:
    rows, data = [], []
    for c in state.components:
        healthy = alive(c.pid) and _probe(c.health)
        rows.append((c.name, c.kind, c.url or "-", c.pid or "-", "up" if healthy else "DOWN"))
        data.append({"name": c.name, "kind": c.kind, "url": c.url, "port": c.port, "pid": c.pid,
                     "healthy": healthy, **({"detail": c.detail} if c.detail else {})})
    emit({"dir": str(labdir), "daemon_pid": state.daemon_pid, "components": data}, ctx.output,
         table=make_table(f"twin in {labdir}", ["component", "kind", "url", "pid", "health"],
                          rows), message=message)


@lab_group.command("status")
@click.option("--dir", "labdir_opt", type=click.Path(path_type=Path))
@pass_ctx
def status(ctx: Ctx, labdir_opt: Path | None) -> None:
    """Each component of the twin, its URL, PID and health. Exit 1 if any is down."""
    labdir = _labdir(labdir_opt)
    state = LabState.load(labdir)
    if state is None or not alive(state.daemon_pid):
        raise click.ClickException(f"no twin is running in {labdir}")
    _show(ctx, labdir, state, "")
    bad = [c.name for c in state.components if not (alive(c.pid) and _probe(c.health))]
    if bad:
        raise SystemExit(1)


@lab_group.command("down")
@click.option("--dir", "labdir_opt", type=click.Path(path_type=Path))
def down(labdir_opt: Path | None) -> None:
    """Stop every process the twin started, by PID."""
    labdir = _labdir(labdir_opt)
    state = LabState.load(labdir)
    if state is None:
        err_console.print(f"no twin state in {labdir}: nothing to stop")
        return
    terminate(state.daemon_pid, grace=20)
    left = [pid for pid in state.pids() if not terminate(pid, grace=5)]
    if left:
        raise click.ClickException(f"processes still alive: {left}")
    (labdir / "state.json").unlink(missing_ok=True)
    err_console.print(f"twin in {labdir} stopped")


@lab_group.command("rack")
@click.argument("rack")
@click.option("--dir", "labdir_opt", type=click.Path(path_type=Path))
def rack_cmd(rack: str, labdir_opt: Path | None) -> None:
    """Rack RACK in the twin: its servers appear in OneView and its leaves boot into ZTP."""
    _post_control(_labdir(labdir_opt), f"/rack/{rack}")
    err_console.print(f"rack {rack} racked in the twin")


def _post_control(labdir: Path, path: str, body: dict[str, Any] | None = None) -> Any:
    """POST to the running twin's control API; its error message as a ClickException."""
    state = LabState.load(labdir)
    control = next((c for c in (state.components if state else []) if c.name == "control"), None)
    if control is None:
        raise click.ClickException(f"no twin is running in {labdir}")
    req = urllib.request.Request(f"{control.url}{path}", method="POST",
                                 data=json.dumps(body).encode() if body is not None else b"",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raise click.ClickException(json.loads(exc.read() or b"{}").get("message", str(exc))) from None


@lab_group.command("swap-cables")
@click.argument("ends", metavar="DEV:PORT~DEV:PORT")
@click.option("--dir", "labdir_opt", type=click.Path(path_type=Path))
def swap_cables_cmd(ends: str, labdir_opt: Path | None) -> None:
    """Swap the far ends of two cables in the running twin, as a technician moving them: undoes a
    `cable.miswire` fault given the same ends."""
    _post_control(_labdir(labdir_opt), "/cables/swap", {"swap": ends})
    err_console.print(f"cables {ends} swapped in the twin")


@lab_group.command("probes")
@click.option("--dir", "labdir_opt", type=click.Path(path_type=Path))
@click.option("--since", type=float, help="Also show downtime since this epoch time (default: lab start).")
@click.option("--watch", type=float, metavar="SECONDS", help="Refresh every SECONDS until Ctrl-C.")
@pass_ctx
def probes_cmd(ctx: Ctx, labdir_opt: Path | None, since: float | None, watch: float | None) -> None:
    """The workload probes: each consumer -> application, green or red and why, and each
    application's downtime and write freeze so far. Exit 1 while any probe is red."""
    import ssl

    import yaml

    labdir = _labdir(labdir_opt)
    try:
        ep = yaml.safe_load((labdir / "endpoints.yaml").read_text()) or {}
    except OSError:
        raise click.ClickException(f"no twin in {labdir}") from None
    if "probes" not in ep:
        raise click.ClickException(f"the twin in {labdir} runs no probes (its site has no upgrade)")
    tls = ssl.create_default_context(cafile=ep["probes"]["ca_file"])

    def get(path: str) -> dict:
        with urllib.request.urlopen(ep["probes"]["url"] + path, context=tls, timeout=10) as resp:
            return json.loads(resp.read())

    while True:
        try:
            probes = get("/v1/status")["probes"]
            down = get(f"/v1/downtime?since={since}" if since else "/v1/downtime")["apps"]
        except OSError as exc:
            raise click.ClickException(f"probe service: {exc}") from None
        rows = [(p["consumer"], f"{p['app']}/{p['env']}", f"{p['protocol']}/{p['port'] or '*'}",
                 "green" if p["ok"] else "RED", p["detail"]) for p in probes]
        apps = [(k, v["downtime_ms"], v["write_freeze_ms"]) for k, v in sorted(down.items())]
        emit({"probes": probes, "downtime": down}, ctx.output,
             table=make_table(f"probes ({sum(p['ok'] for p in probes)}/{len(probes)} green)",
                              ["consumer", "application", "port", "state", "detail"], rows))
        if ctx.output == "table":
            emit(None, "table", table=make_table("downtime so far", ["application", "downtime ms",
                                                                     "write freeze ms"], apps))
        if not watch:
            break
        time.sleep(watch)
    raise SystemExit(0 if all(p["ok"] for p in probes) else 1)


@lab_group.command("array")
@click.option("--dir", "labdir_opt", type=click.Path(path_type=Path))
@pass_ctx
def array_cmd(ctx: Ctx, labdir_opt: Path | None) -> None:
    """The shared array's volumes: name, size, serial (never changes: a volume moved between
    clouds is the same volume), which cloud's Cinder manages it, its former names."""
    labdir = _labdir(labdir_opt)
    state = LabState.load(labdir)
    control = next((c for c in (state.components if state else []) if c.name == "control"), None)
    if control is None:
        raise click.ClickException(f"no twin is running in {labdir}")
    with urllib.request.urlopen(f"{control.url}/array", timeout=10) as resp:
        volumes = json.loads(resp.read())["volumes"]
    rows = [(v["name"], v["size_gb"], v["serial"], v["owner"] or "-", " <- ".join(v["renames"]))
            for v in volumes]
    emit(volumes, ctx.output, table=make_table("shared array", ["volume", "GB", "serial", "managed by",
                                                                "former names"], rows))
