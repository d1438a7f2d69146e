"""Helpers for the overcloud deploy tests on the twin: what the twin's undercloud recorded, what
its Ironic shows, and c02's servers enrolled straight into Ironic (fake-hardware, tagged as the
rack runbook tags them) so a test needs neither ZTP nor OneView."""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from lifecycle.model import load_site
from tests.runbooks.twin import SITE

C02 = [f"c02-s{i:02d}" for i in range(1, 9)]


def history(labdir: Path, undercloud: str = "uc-new") -> list[dict[str, Any]]:
    path = labdir / "underclouds" / undercloud / "history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def deploys(labdir: Path) -> list[dict[str, Any]]:
    """``openstack overcloud deploy`` processes the undercloud ran (detached ones too)."""
    return [e for e in history(labdir) if e["event"] == "process" and "overcloud deploy" in e["command"]]


def hypervisors(labdir: Path, cloud: str = "ie1-new") -> set[str]:
    """The hypervisors the cloud's Nova lists (openstacksdk, the lab's clouds.yaml)."""
    from lifecycle.clouds import Cloud
    from lifecycle.model.endpoints import load_endpoints

    return {h.name for h in Cloud.connect(load_endpoints(labdir / "endpoints.yaml"), cloud).hypervisors()}


def ironic(labdir: Path) -> Any:
    from tests.runbooks.twin import undercloud_ironic

    return undercloud_ironic(labdir)


def nodes(labdir: Path) -> dict[str, Any]:
    return {n.name: n for n in ironic(labdir).baremetal.nodes(details=True)}


def states(labdir: Path, names: list[str] = C02) -> dict[str, str]:
    got = nodes(labdir)
    return {n: got[n].provision_state for n in names}


def enroll_c02(labdir: Path) -> None:
    """c02's eight servers as available fake-hardware nodes tagged node:computenuage-0..7."""
    conn = ironic(labdir)
    inv = load_site(SITE).hardware_profiles["dl360g9-compute"].inventory
    made = []
    for i, name in enumerate(C02):
        made.append(conn.baremetal.create_node(
            name=name, driver="fake-hardware", resource_class="baremetal.compute",
            is_automated_clean_enabled=False,
            properties={"cpus": inv.cpus, "memory_mb": inv.memory_mb, "local_gb": 447, "cpu_arch": "x86_64",
                        "capabilities": f"node:computenuage-{i},profile:compute,boot_mode:uefi"}))
    for verb, target in (("manage", "manageable"), ("provide", "available")):
        for node in made:
            conn.baremetal.set_node_provision_state(node, verb)
        deadline = time.monotonic() + 120  # a safety net, not a performance assertion
        while set(states(labdir).values()) != {target}:
            assert time.monotonic() < deadline, states(labdir)
            time.sleep(0.5)


def step_events(labdir: Path, run_id: str, step: str) -> list[tuple[str, str]]:
    db = sqlite3.connect(labdir / "runs.db")
    try:
        return db.execute("select type, message from events where run_id=? and step_key=? order by id",
                          (run_id, step)).fetchall()
    finally:
        db.close()


def stack(labdir: Path, name: str = "overcloud") -> dict[str, Any]:
    """The twin undercloud's record of the stack (status, deployment status, deploys run)."""
    return json.loads((labdir / "underclouds" / "uc-new" / "stacks" / f"{name}.json").read_text())


class Relay:
    """A TCP relay on loopback in front of the undercloud's SSH port; :meth:`cut` drops every
    connection through it (a network blip, a firewall's idle timeout), new ones still pass."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.open: list[socket.socket] = []
        self.cuts = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            with self._lock:
                self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with self._lock:
            conns, self.open = self.open, []
            self.cuts += 1
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.sock.close()
        self.cut()
