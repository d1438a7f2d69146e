"""What the twin's ``openstack overcloud deploy`` reads from its command line and files.

The command line is parsed with tripleoclient's option names; environment files are merged as
heatclient does (``deep_update``: mappings merge key by key, anything else is replaced, later
files win); THT's path on the undercloud stands for the real 11.6.0 tree, which THT's own
process-templates renders and Heat validates (lifecycle/lab/undercloud/heatcheck.py).
"""

from __future__ import annotations

import argparse
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lifecycle.lab.undercloud.tht import UNDERCLOUD_THT, tht_tree


class CommandError(Exception):
    """A command-line error: printed as argparse would, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise CommandError(f"{self.prog}: error: {message}")


def deploy_parser() -> Parser:
    p = Parser(prog="openstack overcloud deploy", add_help=False)
    p.add_argument("--templates", nargs="?", const=UNDERCLOUD_THT)
    p.add_argument("--stack", default="overcloud")
    p.add_argument("-r", "--roles-file")
    p.add_argument("-n", "--networks-file")
    p.add_argument("-e", "--environment-file", action="append", default=[], dest="environments")
    p.add_argument("-t", "--timeout", type=int, default=240)
    p.add_argument("-y", "--yes", action="store_true")
    p.add_argument("--ntp-server")
    p.add_argument("--no-cleanup", action="store_true")
    return p


def node_delete_parser() -> Parser:
    p = Parser(prog="openstack overcloud node delete", add_help=False)
    p.add_argument("--stack", default="overcloud")
    p.add_argument("-y", "--yes", action="store_true")
    p.add_argument("-t", "--timeout", type=int, default=240)
    p.add_argument("--templates", nargs="?", const=UNDERCLOUD_THT)
    p.add_argument("-e", "--environment-file", action="append", default=[])
    p.add_argument("nodes", nargs="*")
    return p


def deep_update(base: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """heatclient's environment merge."""
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_update(base[key], value)
        else:
            base[key] = value
    return base


@dataclass
class DeployFiles:
    """The deploy's files, as the undercloud path and the local file that holds it."""

    templates: str  # THT's path on the undercloud
    tree: Path  # the real THT tree it stands for
    root: Path  # the undercloud's filesystem
    roles_file: str
    networks_file: str
    environments: list[str] = field(default_factory=list)

    processed: Path | None = None  # THT's tree after process-templates (set by the validation)

    def local(self, remote: str) -> Path:
        prefix = self.templates.rstrip("/") + "/"
        if remote.startswith(prefix):
            return (self.processed or self.tree) / remote[len(prefix):]
        return self.root / posixpath.normpath(remote).lstrip("/")

    def missing(self) -> list[str]:
        """Files that are not there; a THT file may be one process-templates renders (*.j2.yaml)."""
        out = []
        for p in [self.roles_file, self.networks_file, *self.environments]:
            local = self.local(p)
            if not local.is_file() and not local.with_name(local.stem + ".j2.yaml").is_file():
                out.append(p)
        return out

    def own_dir(self) -> str:
        """The directory holding the operator's files (roles, networks, non-THT environments)."""
        prefix = self.templates.rstrip("/") + "/"
        own = [self.roles_file, self.networks_file,
               *[e for e in self.environments if not e.startswith(prefix)]]
        return posixpath.commonpath([posixpath.dirname(p) for p in own])

    def request(self) -> dict[str, Any]:
        """What the plan check reads (heatcheck.check_plan): every path the undercloud's."""
        own = self.own_dir()
        return {"templates": self.templates.rstrip("/"), "root": str(self.root), "own_dir": own,
                "roles_data": str(self.local(self.roles_file)),
                "roles_label": posixpath.relpath(self.roles_file, own),
                "network_data": str(self.local(self.networks_file)), "environments": self.environments,
                "hot_templates": [posixpath.join(own, t) for t in self.templates_among(own)]}

    def templates_among(self, remote_dir: str) -> list[str]:
        """The HOT templates (NIC configs...) in the operator's directory, relative to it."""
        base = self.local(remote_dir)
        out = []
        for path in sorted(base.rglob("*.yaml")):
            try:
                head = path.read_text(errors="replace")[:4096]
            except OSError:
                continue
            if "heat_template_version" in head:
                out.append(str(path.relative_to(base)))
        return out

    def roles(self) -> list[dict[str, Any]]:
        data = yaml.safe_load(self.local(self.roles_file).read_text()) or []
        return [r for r in data if isinstance(r, dict) and "name" in r]

    def merged(self) -> dict[str, Any]:
        """Every environment merged in order: ``parameter_defaults``, ``resource_registry``."""
        env: dict[str, Any] = {"parameter_defaults": {}, "resource_registry": {}}
        for path in self.environments:
            local = self.local(path)
            if not local.is_file():  # a THT *.j2.yaml the validation could not render
                continue
            data = yaml.safe_load(local.read_text()) or {}
            if isinstance(data, dict):
                deep_update(env, {k: v for k, v in data.items()
                                  if k in ("parameter_defaults", "resource_registry")})
        return env


def remote_path(path: str, home: str = "/home/stack") -> str:
    """A path as the undercloud's shell would resolve it (relative ones from the home)."""
    return posixpath.normpath(posixpath.join(home, path))


def deploy_files(ns: argparse.Namespace, root: Path) -> DeployFiles:
    templates = remote_path(ns.templates or UNDERCLOUD_THT)
    tree = tht_tree() if templates.rstrip("/") == UNDERCLOUD_THT else root / templates.lstrip("/")
    roles = remote_path(ns.roles_file or f"{templates}/roles_data.yaml")
    networks = remote_path(ns.networks_file or f"{templates}/network_data.yaml")
    return DeployFiles(templates=templates, tree=tree, root=root, roles_file=roles, networks_file=networks,
                       environments=[remote_path(e) for e in ns.environments])
