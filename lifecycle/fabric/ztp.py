"""The ztpserver data_root: a rack's new leaves, recognised by their spine cabling, and the spines,
recognised by their serial (static nodes, see :func:`ztp_spines`).

Layout written (ztpserver 2.1.0): ``bootstrap/bootstrap`` (the stock client, as installed with
ztpserver), ``bootstrap/bootstrap.conf``, ``actions/`` (stock), ``definitions/<leaf>``,
``files/configs/<leaf>`` (the rendered startup-config) and ``neighbordb`` with one pattern per
leaf naming the spine ports its uplinks are cabled to. LLDP may report FQDNs, so spine names
match ``regex('<spine>(\\..*)?$')``. Spines: ``files/configs/<spine>`` and the static node
``nodes/<serial>/{definition,pattern}`` (:func:`ztp_spines`).
"""

from __future__ import annotations

import os
import re
import shutil
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import yaml

from lifecycle.fabric.render import SecretHash, render_leaf, render_spine
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


def write_client(data_root: Path, syslog: tuple[str, ...], changed: list[str],
                 dry_run: bool = False) -> None:
    """The stock bootstrap client, its config and the stock actions, as ztpserver installed them."""
    share = ztpserver_share()
    _write_file(data_root / "bootstrap" / "bootstrap",
                (share / "bootstrap" / "bootstrap").read_text(), changed, data_root, dry_run)
    conf = {"logging": [{"destination": d, "level": "DEBUG"} for d in syslog], "xmpp": {}}
    _write_file(data_root / "bootstrap" / "bootstrap.conf", yaml.safe_dump(conf), changed,
                data_root, dry_run)
    for action in sorted((share / "actions").iterdir()):
        _write_file(data_root / "actions" / action.name, action.read_text(), changed, data_root,
                    dry_run)


def write_data_root(site: Site, rack: str, data_root: Path, *, secret_hash: SecretHash,
                    username: str = "i2", cvx_hosts: tuple[str, ...] = (),
                    syslog: tuple[str, ...] = (), dry_run: bool = False) -> list[str]:
    """Write what ztpserver serves for ``rack``'s leaves; return the files that changed (with
    ``dry_run``: the files that would change, writing nothing). Files are 0600, dirs 0700."""
    r = site.rack(rack)
    changed: list[str] = []

    def _write(path: Path, text: str, changed: list[str], root: Path) -> None:
        _write_file(path, text, changed, root, dry_run)

    write_client(data_root, syslog, changed, dry_run)
    old_patterns: list[dict] = []
    db_path = data_root / "neighbordb"
    if db_path.exists() and db_path.read_text().strip():
        old_patterns = (yaml.safe_load(db_path.read_text()) or {}).get("patterns", [])
    mine: dict[str, dict] = {}
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
        mine[leaf.name] = {"name": leaf.name, "definition": leaf.name, "interfaces": interfaces}
    # a rack's patterns stay where they are: moving them to the end rewrote neighbordb on every
    # stage of every other rack (a second apply must change nothing)
    patterns = [mine.pop(p["definition"]) if p.get("definition") in mine else p for p in old_patterns]
    patterns += list(mine.values())
    _write(db_path, yaml.safe_dump({"patterns": patterns}, sort_keys=False), changed, data_root)
    return changed


def clear_node(data_root: Path, serial: str) -> bool:
    """Forget a node ztpserver has staged, so the switch can be provisioned again."""
    node = data_root / "nodes" / serial
    if node.exists():
        shutil.rmtree(node)
        return True
    return False


# -- spines ------------------------------------------------------------------------------------
# A spine comes up before any leaf: its only LLDP neighbours are leaves still in ZTP (no name
# yet), so no neighbordb pattern can recognise it by what it sees. Its serial from the site's
# inventory does: ztpserver serves a static node ``nodes/<serial>/`` (``identifier =
# serialnumber``, ztpserver's default) with its definition, validated against ``pattern``.
# ztpserver's positive constraints demand a neighbour on the port (a spine must provision with
# no leaf up), so the pattern is made of negative ones that only veto: no port may see a leaf
# on an uplink the plan cables to another spine, nor another spine (spines are not cabled to
# each other). A chassis whose serial was swapped with its twin's is refused once leaves are up.


def _names_re(names: list[str]) -> str:
    """A ztpserver ``regex()`` matching these switch names, bare or as FQDNs (no ':': ztpserver
    splits the neighbour on it)."""
    return "regex('^(" + "|".join(re.escape(n) for n in sorted(names)) + ")(\\..*)?$')"


def spine_pattern(site: Site, spine: str) -> dict[str, object]:
    """The topology validation pattern of ``spine``'s static node (see above)."""
    others = sorted(s.name for s in site.spines if s.name != spine)
    elsewhere: dict[str, set[str]] = {}  # leaf port -> leaves whose port goes to another spine
    for rack in site.racks:
        for leaf in rack.leaves.leaves:
            for up in leaf.uplinks:
                peer = site.peer_of(f"{leaf.name}:{up.port}")
                if peer and Cable.split(peer)[0] != spine:
                    elsewhere.setdefault(up.port, set()).add(leaf.name)
    interfaces: list[dict[str, str]] = []
    if others:
        interfaces.append({"none": f"{_names_re(others)}:any"})
    for port in sorted(elsewhere):
        interfaces.append({"none": f"{_names_re(sorted(elsewhere[port]))}:{port}"})
    return {"name": f"{spine} by serial, cabling vetoes", "interfaces": interfaces}


def spine_names(site: Site, spines: list[str] | None) -> list[str]:
    """``spines`` checked against the site (all of them when None); unknown names raise KeyError."""
    known = [s.name for s in site.spines]
    if spines is None:
        return known
    unknown = [n for n in spines if n not in known]
    if unknown:
        raise KeyError(f"no spine {', '.join(unknown)} in site {site.site.name} "
                       f"(spines: {', '.join(known) or 'none'})")
    return list(spines)


def ztp_spines(site: Site, data_root: Path, *, secret_hash: SecretHash, username: str = "i2",
               spines: list[str] | None = None, cvx_hosts: tuple[str, ...] = (),
               syslog: tuple[str, ...] = (), dry_run: bool = False) -> list[str]:
    """Stage ``spines`` (default: every spine of the site) on ztpserver: ``files/configs/<spine>``
    (the rendered startup-config) and the static node ``nodes/<serial>/{definition,pattern}``.
    Return the files that changed (with ``dry_run``: that would change, writing nothing)."""
    changed: list[str] = []
    write_client(data_root, syslog, changed, dry_run)
    by_name = {s.name: s for s in site.spines}
    for name in spine_names(site, spines):
        spine = by_name[name]
        cfg = render_spine(site, spine, username=username, secret_hash=secret_hash,
                           cvx_hosts=cvx_hosts)
        _write_file(data_root / "files" / "configs" / name, cfg, changed, data_root, dry_run)
        definition = {"name": name, "actions": [{
            "action": "replace_config", "name": f"startup-config of {name}",
            "attributes": {"url": f"files/configs/{name}"}}]}
        node = data_root / "nodes" / spine.serial
        _write_file(node / "definition", yaml.safe_dump(definition, sort_keys=False), changed,
                    data_root, dry_run)
        _write_file(node / "pattern", yaml.safe_dump(spine_pattern(site, name), sort_keys=False),
                    changed, data_root, dry_run)
    return changed
