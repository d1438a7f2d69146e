"""``i2 baremetal``: the nodes of a rack in its undercloud's Ironic; TripleO node files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.output import console, emit, err_console, make_table
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


def _undercloud_rows(ctx: Ctx, names: list[str], cache: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What each undercloud's Ironic offers and what i2 will use of it (or why not)."""
    from lifecycle.baremetal import Baremetal, BaremetalError

    out: dict[str, dict[str, Any]] = {}
    for uc in names:
        try:
            if uc not in cache:
                cache[uc] = Baremetal.connect(ctx.endpoints(), uc)
            info = cache[uc].info
            out[uc] = info.as_dict() if info is not None else {"undercloud": uc}
        except BaremetalError as exc:
            out[uc] = {"undercloud": uc, "error": exc.message}
    return out


def _undercloud_table(data: dict[str, dict[str, Any]]) -> Any:
    rows = []
    for uc, d in data.items():
        if "error" in d:
            rows.append((uc, "", "", "", "", "", Text(d["error"], style="red")))
            continue
        path = d["inspection"] + (f" ({d['inspector']})" if d.get("inspector") else "")
        release = d["release"] or Text("not recorded", style="yellow")
        rows.append((uc, release, f"{d['server_min']}-{d['server_max']}",
                     d["version"] + (f" (cap {d['cap']})" if d.get("cap") else ""), d["auth"], path, ""))
    return make_table("underclouds: Ironic API and inspection path",
                      ["undercloud", "release", "server offers", "i2 uses", "auth", "inspection", "error"],
                      rows)


@baremetal_group.command("check")
@click.argument("rack", required=False)
@pass_ctx
def check_cmd(ctx: Ctx, rack: str | None) -> None:
    """Each undercloud's Ironic: its release, the API versions it offers and i2 uses, the auth and
    the inspection path; with RACK, also each node's inspection data against its hardware
    profile and the cabling plan. Exit 1 on a refused undercloud or a mismatch."""
    from lifecycle.baremetal import inventory_findings
    from lifecycle.baremetal.spec import PortSpec, expected_cabling

    site = ctx.site()
    cache: dict[str, Any] = {}
    servers = _servers(ctx, rack) if rack else []
    names = sorted({site.cloud(s.cloud).undercloud for s in servers} if rack
                   else {c.undercloud for c in site.clouds})
    ucs = _undercloud_rows(ctx, names, cache)
    out: dict[str, list[str]] = {}
    for s in servers:
        uc = site.cloud(s.cloud).undercloud
        if "error" in ucs[uc]:
            out[s.name] = [f"undercloud {uc}: {ucs[uc]['error']}"]
            continue
        try:
            inventory, plugin = cache[uc].inventory(s.name)
        except Exception as exc:  # a refused feature, an unreachable inspector: name it per server
            out[s.name] = [str(exc)]
            continue
        if not inventory:
            out[s.name] = ["no inspection data"]
            continue
        profile = site.hardware_profiles[s.hardware_profile]
        pxe = {n.name for n in profile.nics if n.pxe}
        cab = expected_cabling(site, s)
        ports = [PortSpec(n.name, n.mac.lower(), n.name in pxe, *(cab.get(n.name) or (None, None)))
                 for n in s.nics]
        out[s.name] = inventory_findings(s.name, profile, ports, inventory, plugin)
    data: dict[str, Any] = {"underclouds": ucs}
    if rack:
        data["servers"] = out
    if ctx.output == "table":
        console.print(_undercloud_table(ucs))
    rows = [(name, Text("ok", style="green") if not f else Text("mismatch", style="red"), "\n".join(f))
            for name, f in out.items()]
    emit(data, ctx.output, table=make_table(f"rack {rack}: inspection vs profile and cabling",
                                            ["server", "result", "findings"], rows) if rack else None)
    sys.exit(1 if any(out.values()) or any("error" in d for d in ucs.values()) else 0)


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
