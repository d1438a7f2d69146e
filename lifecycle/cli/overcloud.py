"""``i2 overcloud``: render a Train overcloud's deploy files from the site, validate them with the
real tripleo-heat-templates, Heat and tripleoclient; deploy, scale and remove nodes through the
undercloud (lifecycle/cli/overcloud_deploy.py). See docs/runbooks/overcloud.md."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.output import console, emit, err_console, make_table
from lifecycle.cli.overcloud_options import render_options
from lifecycle.model.endpoints import SecretStore


def _ironic_nodes(ctx: Ctx, cloud_name: str) -> dict[str, dict[int, str]]:
    """Role -> {index: node name} from the node:<role>-N capabilities in the cloud's Ironic."""
    from lifecycle.baremetal import Baremetal, BaremetalError, role_capability

    site, ep = ctx.site(), ctx.endpoints()
    cloud = site.cloud(cloud_name)
    try:
        bm = Baremetal.connect(ep, cloud.undercloud)
        return {r.name: bm.used_indices(role_capability(r.name)) for r in cloud.roles}
    except BaremetalError as exc:
        raise click.ClickException(str(exc)) from None


def site_instackenv(ctx: Ctx, cloud_name: str, path: Path,
                    nodes: dict[str, list[tuple[str, int]]] | None = None) -> int:
    """The cloud's servers as ``i2 baremetal export --no-secrets`` writes them (BMC passwords are
    placeholders: tripleoclient's validation does not read them)."""
    from lifecycle.baremetal import instackenv, node_spec
    from lifecycle.baremetal.export import dump_instackenv
    from lifecycle.tripleo.render import default_nodes

    site, ep = ctx.site(), ctx.endpoints()
    members = nodes or default_nodes(site, site.cloud(cloud_name))
    indices = {name: f"{role.lower()}-{i}" for role, m in members.items() for name, i in m}
    specs = []
    for s in sorted((s for s in site.servers if s.cloud == cloud_name), key=lambda s: s.name):
        addr, sysid = ep.bmc.redfish(s.name, str(s.ilo)) if ep.bmc else (f"https://{s.ilo}",
                                                                           "/redfish/v1/Systems/1")
        specs.append(node_spec(site, s, redfish_address=addr, redfish_system_id=sysid,
                               bmc_username=ep.bmc.username if ep.bmc else "i2",
                               bmc_password="<secret>", bmc_ca_file=None, macs={}))
    path.write_text(dump_instackenv(instackenv(specs, node_indices=indices, include_secrets=False)))
    return len(specs)


def _nodes(tagged: dict[str, dict[int, str]] | None) -> dict[str, list[tuple[str, int]]] | None:
    if tagged is None:
        return None
    return {role: [(name, i) for i, name in sorted(members.items())] for role, members in tagged.items()}


def _check_cloud(ctx: Ctx, cloud: str) -> None:
    try:
        ctx.site().cloud(cloud)
    except KeyError as exc:
        raise click.ClickException(exc.args[0]) from None


@click.group("overcloud")
def overcloud_group() -> None:
    """TripleO overclouds: render and validate against the real Train templates; deploy, scale,
    remove nodes through the undercloud over SSH."""


@overcloud_group.command("render")
@click.argument("cloud")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Write the files here.")
@render_options
@pass_ctx
def render_cmd(ctx: Ctx, cloud: str, out: Path, cms_id: str | None, from_ironic: bool,
               templates_dir: str, remote_dir: str | None, extra_env: tuple[str, ...]) -> None:
    """Render CLOUD's roles_data, network_data, environment files and deploy command into OUT."""
    from lifecycle.tripleo.render import RenderError, render_overcloud

    _check_cloud(ctx, cloud)
    nodes = _nodes(_ironic_nodes(ctx, cloud)) if from_ironic else None
    try:
        rendered = render_overcloud(ctx.site(), cloud, ctx.endpoints(), out, nodes=nodes, cms_id=cms_id,
                                    templates_dir=templates_dir, remote_dir=remote_dir,
                                    extra_environments=extra_env, secrets=SecretStore(ctx.endpoints()))
    except RenderError as exc:
        raise click.ClickException(str(exc)) from None
    data = {"cloud": cloud, "out": str(out), "files": sorted(rendered.files),
            "command": rendered.command}
    rows = [(name, "0600 (secrets)" if name == "secrets.yaml" else "") for name in sorted(rendered.files)]
    if ctx.output != "table":
        emit(data, ctx.output)
        return
    console.print(make_table(f"{cloud}: files in {out}", ["file", "note"], rows))
    console.print("deploy command (on the undercloud, once the files are there):")
    console.print("  " + " \\\n    ".join(_pairs(rendered.command)), soft_wrap=True, markup=False,
                  highlight=False)


def _pairs(command: list[str]) -> list[str]:
    """Shell-ish lines: the command, then each option with its value."""
    out, i = [" ".join(command[:3])], 3
    while i < len(command):
        if command[i].startswith("-") and i + 1 < len(command):
            out.append(f"{command[i]} {command[i + 1]}")
            i += 2
        else:
            out.append(command[i])
            i += 1
    return out


@overcloud_group.command("validate")
@click.argument("cloud")
@click.option("--out", type=click.Path(path_type=Path),
              help="Render into this directory and keep it (default: a temporary directory).")
@click.option("--instackenv", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Validate this instackenv.json (default: the cloud's servers from the site).")
@render_options
@pass_ctx
def validate_cmd(ctx: Ctx, cloud: str, out: Path | None, instackenv: Path | None, cms_id: str | None,
                 from_ironic: bool, templates_dir: str, remote_dir: str | None,
                 extra_env: tuple[str, ...]) -> None:
    """Render CLOUD and validate it with THT's process-templates, Heat and tripleoclient.

    Exit 1 when anything is wrong; every finding names the file and the parameter."""
    from lifecycle.tripleo.render import RenderError
    from lifecycle.tripleo.validate import ValidationUnavailable, validate_overcloud

    _check_cloud(ctx, cloud)
    tagged = _ironic_nodes(ctx, cloud) if from_ironic else None
    with tempfile.TemporaryDirectory(prefix=f"i2-{cloud}-") as tmp:
        target = out or Path(tmp) / "rendered"
        if instackenv is None:
            instackenv = Path(tmp) / "instackenv.json"
            site_instackenv(ctx, cloud, instackenv, _nodes(tagged))
        try:
            _, report = validate_overcloud(ctx.site(), cloud, ctx.endpoints(), target, nodes=_nodes(tagged),
                                           ironic_nodes=tagged, cms_id=cms_id, instackenv=instackenv,
                                           templates_dir=templates_dir, remote_dir=remote_dir,
                                           extra_environments=extra_env)
        except RenderError as exc:
            raise click.ClickException(str(exc)) from None
        except ValidationUnavailable as exc:
            raise click.ClickException(str(exc)) from None
    data = {"cloud": cloud, **report.as_dict()}
    rows = [(f.severity, f.check, f.file, f.parameter, f.message) for f in report.findings]
    total = report.timings.get("total", 0.0)
    if report.ok:
        message = (f"[green]{cloud}: valid[/green] ({report.stats.get('templates', 0)} templates, "
                   f"{report.stats.get('nested_stacks', 0)} nested stacks validated by Heat, {total:.1f} s)")
    else:
        message = f"[red]{cloud}: {len(report.errors)} error(s)[/red] ({total:.1f} s)"
    if ctx.output == "table":
        if rows:
            console.print(make_table(f"{cloud}: findings", ["severity", "check", "file", "parameter",
                                                           "message"], rows))
        console.print(message)
    else:
        emit(data, ctx.output)
    if out:
        err_console.print(f"rendered files kept in {out}")
    if not report.ok:
        raise SystemExit(1)


def _register() -> None:
    from lifecycle.cli.overcloud_deploy import deploy_cmd, remove_cmd, scale_cmd

    for cmd in (deploy_cmd, scale_cmd, remove_cmd):
        overcloud_group.add_command(cmd)


_register()
