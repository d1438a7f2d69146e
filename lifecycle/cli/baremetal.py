"""``i2 baremetal``: the nodes of a rack in its undercloud's Ironic; TripleO node files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.output import emit, err_console, make_table
from lifecycle.model.schema import Server


def _servers(ctx: Ctx, rack: str) -> list[Server]:
    site = ctx.site()
    try:
        site.rack(rack)
    except KeyError as exc:
        raise click.ClickException(exc.args[0]) from None
    return site.servers_in(rack)


def _bm(ctx: Ctx, server: Server, cache: dict[str, Any]) -> Any:
    from lifecycle.baremetal import Baremetal, BaremetalError

    uc = ctx.site().cloud(server.cloud).undercloud
    if uc not in cache:
        try:
            cache[uc] = Baremetal.connect(ctx.endpoints(), uc)
        except BaremetalError as exc:
            raise click.ClickException(str(exc)) from None
    return cache[uc]


@click.group("baremetal")
def baremetal_group() -> None:
    """Ironic nodes of a rack: state, inspection findings, TripleO node files."""


@baremetal_group.command("list")
@click.argument("rack")
@pass_ctx
def list_cmd(ctx: Ctx, rack: str) -> None:
    """Each server of RACK as its undercloud's Ironic sees it. Exit 1 if one is not available."""
    from lifecycle.baremetal import parse_capabilities

    cache: dict[str, Any] = {}
    data, rows = [], []
    for s in _servers(ctx, rack):
        node = _bm(ctx, s, cache).node(s.name)
        if node is None:
            item = {"server": s.name, "state": "not enrolled"}
        else:
            caps = parse_capabilities((node.properties or {}).get("capabilities"))
            item = {"server": s.name, "uuid": node.id, "state": node.provision_state,
                    "power": node.power_state, "resource_class": node.resource_class,
                    "profile": caps.get("profile"), "node": caps.get("node"),
                    "last_error": node.last_error or ""}
        data.append(item)
        rows.append((s.name, Text(str(item["state"]), style="green" if item["state"] == "available"
                                  else "yellow"), item.get("power") or "", item.get("profile") or "",
                     item.get("node") or "", item.get("last_error") or ""))
    emit(data, ctx.output, table=make_table(f"rack {rack}: Ironic nodes",
                                            ["server", "state", "power", "profile", "node", "last error"],
                                            rows))
    sys.exit(0 if all(d["state"] in ("available", "active") for d in data) else 1)


@baremetal_group.command("check")
@click.argument("rack")
@pass_ctx
def check_cmd(ctx: Ctx, rack: str) -> None:
    """Compare each node's inspection data with its hardware profile and the cabling plan."""
    from lifecycle.baremetal import inventory_findings
    from lifecycle.baremetal.spec import PortSpec, expected_cabling

    site = ctx.site()
    cache: dict[str, Any] = {}
    out: dict[str, list[str]] = {}
    for s in _servers(ctx, rack):
        inventory, plugin = _bm(ctx, s, cache).inventory(s.name)
        if not inventory:
            out[s.name] = ["no inspection data"]
            continue
        profile = site.hardware_profiles[s.hardware_profile]
        pxe = {n.name for n in profile.nics if n.pxe}
        cab = expected_cabling(site, s)
        ports = [PortSpec(n.name, n.mac.lower(), n.name in pxe, *(cab.get(n.name) or (None, None)))
                 for n in s.nics]
        out[s.name] = inventory_findings(s.name, profile, ports, inventory, plugin)
    rows = [(name, Text("ok", style="green") if not f else Text("mismatch", style="red"), "\n".join(f))
            for name, f in out.items()]
    emit(out, ctx.output, table=make_table(f"rack {rack}: inspection vs profile and cabling",
                                           ["server", "result", "findings"], rows))
    sys.exit(1 if any(out.values()) else 0)


@baremetal_group.command("export")
@click.argument("rack")
@click.option("--instackenv", type=click.Path(path_type=Path), help="Write instackenv.json here (0600).")
@click.option("--deployment", type=click.Path(path_type=Path),
              help="Write baremetal_deployment.yaml here.")
@click.option("--no-secrets", is_flag=True, help="BMC passwords as a placeholder (for review).")
@pass_ctx
def export_cmd(ctx: Ctx, rack: str, instackenv: Path | None, deployment: Path | None,
               no_secrets: bool) -> None:
    """TripleO's node files for RACK, from the site and the nodes' tags in Ironic."""
    from lifecycle.baremetal import baremetal_deployment, node_spec, parse_capabilities
    from lifecycle.baremetal import instackenv as make_instackenv
    from lifecycle.baremetal.export import dump_deployment, dump_instackenv, write_private
    from lifecycle.model.endpoints import SecretStore

    site, ep = ctx.site(), ctx.endpoints()
    if ep.bmc is None:
        raise click.ClickException("the endpoints file has no bmc section")
    password = SecretStore(ep).get(ep.bmc.password)
    cache: dict[str, Any] = {}
    specs, indices = [], {}
    roles: dict[str, list[tuple[str, str]]] = {}
    formats: dict[str, str] = {}
    for s in _servers(ctx, rack):
        addr, sysid = ep.bmc.redfish(s.name, str(s.ilo))
        specs.append(node_spec(site, s, redfish_address=addr, redfish_system_id=sysid,
                               bmc_username=ep.bmc.username, bmc_password=password,
                               bmc_ca_file=None, macs={}))
        node = _bm(ctx, s, cache).node(s.name)
        caps = parse_capabilities(((node.properties or {}) if node else {}).get("capabilities"))
        if caps.get("node"):
            indices[s.name] = caps["node"]
        role = next(r for r in site.cloud(s.cloud).roles if r.name == s.role)
        fmt = role.hostname_format or f"%stackname%-{s.role.lower()}-%index%"
        formats[s.role] = fmt
        index = caps.get("node", "").rpartition("-")[2]
        roles.setdefault(s.role, []).append((s.name, fmt.replace("%index%", index or "?")
                                             .replace("%stackname%", site.cloud(s.cloud).stack)))
    env = make_instackenv(specs, node_indices=indices, include_secrets=not no_secrets)
    dep = baremetal_deployment(roles, formats)
    if instackenv:
        write_private(instackenv, dump_instackenv(env))
        err_console.print(f"wrote {instackenv} ({len(specs)} nodes)")
    if deployment:
        deployment.write_text(dump_deployment(dep))
        err_console.print(f"wrote {deployment}")
    if not instackenv and not deployment:
        shown = make_instackenv(specs, node_indices=indices, include_secrets=False)
        emit({"instackenv": shown, "baremetal_deployment": dep}, "yaml" if ctx.output == "table"
             else ctx.output)
