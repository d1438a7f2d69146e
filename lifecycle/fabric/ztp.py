"""The ztpserver data_root for a rack's new leaves: each leaf is recognised by its spine cabling.

Layout written (ztpserver 2.1.0): ``bootstrap/bootstrap`` (the stock client, as installed with
ztpserver), ``bootstrap/bootstrap.conf``, ``actions/`` (stock), ``definitions/<leaf>``,
``files/configs/<leaf>`` (the rendered startup-config) and ``neighbordb`` with one pattern per
leaf naming the spine ports its uplinks are cabled to. LLDP may report FQDNs, so spine names
match ``regex('<spine>(\\..*)?$')``.
"""

from __future__ import annotations

import os
import shutil
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import yaml

from lifecycle.fabric.render import render_leaf
from lifecycle.model.schema import Cable, Site


def ztpserver_share() -> Path:
    """Where pip installed ztpserver's data files (the client and the actions)."""
    try:
        dist = distribution("ztpserver")
    except PackageNotFoundError:
        raise RuntimeError("ztpserver is not installed") from None
    for f in dist.files or []:
        if str(f).replace("\\", "/").endswith("ztpserver/bootstrap/bootstrap"):
            return Path(str(dist.locate_file(f))).resolve().parents[1]
    raise RuntimeError("ztpserver's bootstrap client is not among its installed files")


def _write_file(path: Path, text: str, changed: list[str], root: Path, dry_run: bool = False) -> None:
    if path.exists() and path.read_text() == text:
        return
    if not dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        # ztpserver serves the data_root live: a switch asking while the file is half written
        # would get a truncated bootstrap (an empty one exits 0 and ends its ZTP). Renamed in.
        tmp = path.with_name(f".{path.name}.i2-tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    changed.append(str(path.relative_to(root)))


def write_data_root(site: Site, rack: str, data_root: Path, *, secret_hash: str,
                    username: str = "i2", cvx_hosts: tuple[str, ...] = (),
                    syslog: tuple[str, ...] = (), dry_run: bool = False) -> list[str]:
    """Write what ztpserver serves for ``rack``'s leaves; return the files that changed (with
    ``dry_run``: the files that would change, writing nothing)."""
    r = site.rack(rack)
    changed: list[str] = []
    share = ztpserver_share()

    def _write(path: Path, text: str, changed: list[str], root: Path) -> None:
        _write_file(path, text, changed, root, dry_run)

    _write(data_root / "bootstrap" / "bootstrap",
           (share / "bootstrap" / "bootstrap").read_text(), changed, data_root)
    conf = {"logging": [{"destination": d, "level": "DEBUG"} for d in syslog], "xmpp": {}}
    _write(data_root / "bootstrap" / "bootstrap.conf", yaml.safe_dump(conf), changed, data_root)
    for action in sorted((share / "actions").iterdir()):
        _write(data_root / "actions" / action.name, action.read_text(), changed, data_root)
    patterns = []
    db_path = data_root / "neighbordb"
    if db_path.exists() and db_path.read_text().strip():
        old = yaml.safe_load(db_path.read_text()) or {}
        names = {leaf.name for leaf in r.leaves.leaves}
        patterns = [p for p in old.get("patterns", []) if p.get("definition") not in names]
    for i, leaf in enumerate(r.leaves.leaves):
        cfg = render_leaf(site, r, i, username=username, secret_hash=secret_hash,
                          cvx_hosts=cvx_hosts)
        _write(data_root / "files" / "configs" / leaf.name, cfg, changed, data_root)
        definition = {"name": leaf.name, "actions": [{
            "action": "replace_config", "name": f"startup-config of {leaf.name}",
            "attributes": {"url": f"files/configs/{leaf.name}"}}]}
        _write(data_root / "definitions" / leaf.name, yaml.safe_dump(definition, sort_keys=False),
               changed, data_root)
        interfaces = []
        for up in leaf.uplinks:
            peer = site.peer_of(f"{leaf.name}:{up.port}")
            if peer:
                device, port = Cable.split(peer)
                interfaces.append({up.port: f"regex('{device}(\\..*)?$'):{port}"})
        patterns.append({"name": leaf.name, "definition": leaf.name, "interfaces": interfaces})
    _write(db_path, yaml.safe_dump({"patterns": patterns}, sort_keys=False), changed, data_root)
    return changed


def clear_node(data_root: Path, serial: str) -> bool:
    """Forget a node ztpserver has staged, so the switch can be provisioned again."""
    node = data_root / "nodes" / serial
    if node.exists():
        shutil.rmtree(node)
        return True
    return False
