"""Render, from the site model, every file ``openstack overcloud deploy`` of a Train cloud needs.

The Jinja2 templates are in ``lifecycle/tripleo/templates/``; the roles come from the real
tripleo-heat-templates 11.6.0 tree (``scripts/lib/tht.sh``), as ``openstack overcloud roles
generate`` would copy them. The Nuage plugin gets the cloud's own VSD user (``vsd.plugins`` of the
endpoints file), never i2's account. Secrets (that user's password, the Nuage metadata proxy
secret, the Pure API token: each its own secret reference) go only into ``secrets.yaml``, written
0600; ``manifest.json`` records what the deploy uses, in order, for
``lifecycle.tripleo.validate``.

Example (needs the THT tree of ``scripts/lib/tht.sh``)::

    r = render_overcloud(site, "ie1-new", endpoints, Path("out"))
    r.command[:3], sorted(r.files)[:2]
    # (['openstack', 'overcloud', 'deploy'], ['ips-from-pool.yaml', 'ironic.yaml'])

What the files are rendered from (roles, networks, addresses) is planned in
:mod:`lifecycle.tripleo.plan`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import yaml

from lifecycle.model.endpoints import Endpoints, SecretMissing, SecretStore, VsdPlugin
from lifecycle.model.schema import Cloud, Site
from lifecycle.tripleo.errors import RenderError
from lifecycle.tripleo.paths import (
    TEMPLATES_DIR,
    THT_VERSION,
    UNDERCLOUD_THT,
    missing_message,
    tht_ready,
    tht_tree,
)
from lifecycle.tripleo.plan import (
    NetPlan,
    RolePlan,
    base_role,
    default_nodes,
    group_members,
    hostname,
    name_lower,
    plan_cloud,
)

MANIFEST = "manifest.json"
SECRETS_FILE = "secrets.yaml"
# Parameters only secrets.yaml may set: validate refuses them anywhere else.
SECRET_PARAMETERS = ("NeutronNuageVSDPassword", "CinderPureAPIToken", "NuageMetadataProxySharedSecret",
                     "NeutronMetadataProxySharedSecret")
# i2's environment files in the order the deploy command passes them (after THT's own).
OPERATOR_ENVS = ("network-environment.yaml", "node-info.yaml", "scheduler-hints.yaml",
                 "ips-from-pool.yaml", "nuage.yaml", "pure.yaml", "ironic.yaml", "ntp-dns.yaml",
                 SECRETS_FILE)


@dataclass
class Rendered:
    """What :func:`render_overcloud` wrote: file name (relative to ``out_dir``) -> path, and the
    deploy command as an argument list (paths as they will be on the undercloud)."""

    files: dict[str, Path]
    command: list[str]
    out_dir: Path = Path(".")
    environments: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)



# --- secrets and endpoints --------------------------------------------------------------------


def _host_port(url: str, default_port: int) -> str:
    parts = urlsplit(url if "//" in url else f"https://{url}")
    return f"{parts.hostname}:{parts.port or default_port}"


def plugin_account(cloud: Cloud, endpoints: Endpoints) -> VsdPlugin:
    """The cloud's own Nuage plugin account (``vsd.plugins.<cloud>``). A cloud without one is an
    error, never a fallback to i2's own VSD account."""
    vsd = endpoints.vsd
    if vsd is None:
        raise RenderError(f"cloud {cloud.name} uses Nuage: the endpoints file needs a vsd section "
                          "(url, username, password)")
    plugin = vsd.plugins.get(cloud.name)
    if plugin is None:
        raise RenderError(
            f"cloud {cloud.name} uses Nuage: the endpoints file's vsd.plugins has no {cloud.name} "
            f"(username, password, metadata_secret): the plugin's own VSD user, made by the VSD "
            f"bootstrap; i2 never gives an overcloud its own account ({vsd.username})")
    return plugin


def _secrets(cloud: Cloud, endpoints: Endpoints, store: SecretStore) -> dict[str, str]:
    out: dict[str, str] = {}
    what = ""
    try:
        if cloud.nuage is not None:
            plugin = plugin_account(cloud, endpoints)
            what = f"vsd.plugins.{cloud.name}.password"
            out["NeutronNuageVSDPassword"] = store.get(plugin.password)
            what = f"vsd.plugins.{cloud.name}.metadata_secret"
            secret = store.get(plugin.metadata_secret)
            out["NuageMetadataProxySharedSecret"] = secret
            out["NeutronMetadataProxySharedSecret"] = secret
        if cloud.pure is not None:
            assert endpoints.pure is not None
            what = "pure.api_token"
            out["CinderPureAPIToken"] = store.get(endpoints.pure.api_token)
    except SecretMissing as exc:
        raise RenderError(f"cloud {cloud.name}: {what}: {exc}") from None
    return out


def _check_endpoints(cloud: Cloud, endpoints: Endpoints) -> None:
    if cloud.nuage is not None:
        plugin_account(cloud, endpoints)
    if cloud.pure is not None and endpoints.pure is None:
        raise RenderError(f"cloud {cloud.name} has a Pure backend: the endpoints file needs a pure "
                          "section (url, api_token)")


# --- rendering --------------------------------------------------------------------------------


def _yaml_filter(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False, width=1000).rstrip("\n")


@cache
def _jinja() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False)
    env.filters["tojson"] = lambda v: json.dumps(v)
    env.filters["yaml"] = _yaml_filter
    return env


def _write(path: Path, text: str, *, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if private:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
    else:
        path.write_text(text)


def render_overcloud(site: Site, cloud_name: str, endpoints: Endpoints, out_dir: str | Path, *,
                     nodes: Mapping[str, Sequence[tuple[str, int]]] | None = None,
                     cms_id: str | None = None, tht: Path | None = None,
                     templates_dir: str = UNDERCLOUD_THT, remote_dir: str | None = None,
                     extra_environments: Sequence[str] = (),
                     secrets: SecretStore | None = None, counts: Mapping[str, int] | None = None,
                     removed: Mapping[str, Sequence[int]] | None = None) -> Rendered:
    """Write the overcloud files of ``cloud_name`` into ``out_dir`` and return them with the
    deploy command.

    ``nodes``: role -> [(node name, node index)], the ``node:<role>-N`` tags from Ironic, for
    ``HostnameMap`` and ``<Role>IPs``; by default the site's servers of the role in name order.
    ``cms_id``: the CMS id VSD gave the cloud's ``cms_name`` (``NeutronNuageCMSId``).
    ``templates_dir``/``remote_dir``: where THT and these files will be on the undercloud.
    ``secrets``: the store secrets are read through (its ``seen`` feeds redaction).
    ``counts``: role -> ``<Role>Count`` instead of the site's (what the stack has, scaled);
    ``removed``: role -> indices Heat must never reuse (``<Role>RemovalPolicies``).
    """
    try:
        cloud = site.cloud(cloud_name)
    except KeyError as exc:
        raise RenderError(exc.args[0]) from None
    if not cloud.managed:
        raise RenderError(f"cloud {cloud.name} is not managed by i2 (managed: false)")
    if cloud.release != "train":
        raise RenderError(f"cloud {cloud.name} is {cloud.release}: i2 renders Train (OSP 16) "
                          f"overclouds, the last release with the Nuage integration")
    tree = Path(tht) if tht else tht_tree()
    if not tht_ready(tree):
        raise RenderError(missing_message())
    _check_endpoints(cloud, endpoints)
    store = secrets or SecretStore(endpoints)
    secret_values = _secrets(cloud, endpoints, store)
    roles_data, nets, plans, redis = plan_cloud(site, cloud, tree, nodes, counts, removed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    remote = (remote_dir or f"/home/stack/i2/{cloud.name}").rstrip("/")
    tht_remote = templates_dir.rstrip("/")
    vsd_ip = _host_port(endpoints.vsd.url, 8443) if endpoints.vsd and cloud.nuage else ""
    drivers = ["nuage", "nuage_baremetal"] if cloud.ironic else ["nuage"]
    ctx: dict[str, Any] = {
        "cloud": cloud, "tht": tht_remote, "tht_version": THT_VERSION, "remote_dir": remote,
        "roles": plans, "networks": nets, "roles_data": roles_data, "redis_vip": redis,
        "any_hostnames": any(p.hostnames for p in plans),
        "nuage": cloud.nuage, "cms_id": cms_id, "vsd_ip": vsd_ip,
        # the plugin's own user, in the cloud's net-partition (lifecycle/nuage/bootstrap.py)
        "vsd_username": plugin_account(cloud, endpoints).username if cloud.nuage else "",
        "vsd_organisation": cloud.nuage.net_partition if cloud.nuage else "",
        "mechanism_drivers": drivers, "pure": cloud.pure,
        "pure_san_ip": urlsplit(endpoints.pure.url).hostname if endpoints.pure else "",
        "ntp_servers": [str(x) for x in site.site.ntp_servers],
        "dns_servers": [str(x) for x in site.site.dns_servers], "domain": site.site.domain,
        "secrets": secret_values,
    }
    env = _jinja()
    files: dict[str, Path] = {}

    def emit(name: str, template: str, private: bool = False, **extra: Any) -> None:
        text = env.get_template(template).render(**ctx, **extra)
        _write(out / name, text, private=private)
        files[name] = out / name

    emit("roles_data.yaml", "roles_data.yaml.j2")
    emit("network_data.yaml", "network_data.yaml.j2")
    for plan in plans:
        emit(f"nic-configs/{plan.nic_config}", "nic-config.yaml.j2", role=plan)
    wanted = {"nuage.yaml": cloud.nuage is not None, "pure.yaml": cloud.pure is not None,
              "ironic.yaml": cloud.ironic}
    operator = [n for n in OPERATOR_ENVS if wanted.get(n, True)]
    for name in operator:
        emit(name, f"{name}.j2", private=name == SECRETS_FILE)
    tht_envs = ["environments/network-isolation.yaml"]
    if cloud.ironic:
        tht_envs.append("environments/services/ironic-overcloud.yaml")
    if cloud.nuage is not None:
        tht_envs += ["environments/neutron-nuage-config.yaml", "environments/nova-nuage-config.yaml"]
    if cloud.pure is not None:
        tht_envs.append("environments/cinder-pure-config.yaml")
    # Extra files (e.g. containers-prepare-parameter.yaml) go before secrets.yaml.
    ordered = [{"tht": e} for e in tht_envs] + [{"file": n} for n in operator if n != SECRETS_FILE] \
        + [{"path": p} for p in extra_environments] + [{"file": SECRETS_FILE}]
    environments = [f"{tht_remote}/{e['tht']}" if "tht" in e else
                    f"{remote}/{e['file']}" if "file" in e else e["path"] for e in ordered]
    command = ["openstack", "overcloud", "deploy", "--templates", tht_remote, "--stack", cloud.stack,
               "-r", f"{remote}/roles_data.yaml", "-n", f"{remote}/network_data.yaml"]
    for path in environments:
        command += ["-e", path]
    manifest = {
        "i2_manifest": 1, "cloud": cloud.name, "stack": cloud.stack, "tht_version": THT_VERSION,
        "templates": tht_remote, "remote_dir": remote, "roles_data": "roles_data.yaml",
        "network_data": "network_data.yaml", "environments": ordered,
        "operator_files": operator, "hot_templates": [f"nic-configs/{p.nic_config}" for p in plans],
        "roles": {p.name: {"count": p.count, "removed": p.removed, "slots": p.slots,
                           "capability": p.capability,
                           "hostname_format": p.hostname_format} for p in plans},
        "command": command,
    }
    _write(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    files[MANIFEST] = out / MANIFEST
    return Rendered(files=files, command=command, out_dir=out, environments=environments,
                    manifest=manifest)


def load_manifest(out_dir: str | Path) -> dict[str, Any]:
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        raise RenderError(f"{out_dir} has no {MANIFEST}: render it first (i2 overcloud render)")
    return json.loads(path.read_text())


__all__ = [
    "MANIFEST",
    "OPERATOR_ENVS",
    "SECRETS_FILE",
    "SECRET_PARAMETERS",
    "NetPlan",
    "RenderError",
    "Rendered",
    "RolePlan",
    "base_role",
    "default_nodes",
    "group_members",
    "hostname",
    "load_manifest",
    "name_lower",
    "plan_cloud",
    "plugin_account",
    "render_overcloud",
]
