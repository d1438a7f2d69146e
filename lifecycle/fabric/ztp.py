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

from lifecycle.fabric.render import SecretHash, render_leaf
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


FILE_MODE, DIR_MODE = 0o600, 0o700  # configs hold the admin password hash: i2 (and ztpserver,
# run as the same user) only


def private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents 0700 (existing ones are the operator's: left as
    they are; the files in them are 0600 anyway)."""
    for parent in reversed([path, *path.parents]):
        if not parent.exists():
            try:
                parent.mkdir(mode=DIR_MODE)
            except FileExistsError:  # made meanwhile by another writer
                continue
            os.chmod(parent, DIR_MODE)  # mkdir's mode passes through the umask


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` 0600 (dirs 0700), renamed into place: never readable by others,
    not even while it is being written."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.i2-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, FILE_MODE)  # O_CREAT's mode does not apply to a leftover tmp file
    os.replace(tmp, path)


def _write_file(path: Path, text: str, changed: list[str], root: Path, dry_run: bool = False) -> None:
    if path.exists() and path.read_text() == text:
        if not dry_run and path.stat().st_mode & 0o777 != FILE_MODE:
            os.chmod(path, FILE_MODE)  # written by an older i2: tighten, the content is right
        return
    if not dry_run:
        # ztpserver serves the data_root live: a switch asking while the file is half written
        # would get a truncated bootstrap (an empty one exits 0 and ends its ZTP). Renamed in.
        write_private(path, text)
    changed.append(str(path.relative_to(root)))


def write_data_root(site: Site, rack: str, data_root: Path, *, secret_hash: SecretHash,
                    username: str = "i2", cvx_hosts: tuple[str, ...] = (),
                    syslog: tuple[str, ...] = (), dry_run: bool = False) -> list[str]:
    """Write what ztpserver serves for ``rack``'s leaves; return the files that changed (with
    ``dry_run``: the files that would change, writing nothing). Files are 0600, dirs 0700."""
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
