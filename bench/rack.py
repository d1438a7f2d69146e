"""Bench: N servers through enroll -> manageable -> available on the real Ironic 39 playing Train.

Each mode gets a fresh twin undercloud as the lab builds one: the real Ironic 39 behind a Train
release gateway (API up to 1.58, HTTPS with the lab's CA) and a Keystone that every client
authenticates against (fake-hardware nodes: hundreds of redfish nodes would measure PBKDF2, not
Ironic; see wire-facts). Four ways of driving it, ratios against the ceiling in one run:

- ``ceiling``   phase-wise by hand: create all, manage all, provide all, one list call per 0.5 s;
- ``naive``     one node at a time, polling that node every 0.5 s (a sequential script);
- ``threaded``  32 threads, each driving and polling its own node (a per-node poller);
- ``i2``        the rack runbook's way: ``Baremetal.connect`` on an endpoints file (release train,
                Keystone credentials, ``requests_at_once`` 2 as the twin's), engine steps per node
                (enroll, manage, provide) in a run store, 32 at once, every wait shared by one
                list poller (lifecycle.baremetal).

The other three use openstacksdk with the same Keystone credentials at API 1.58.

Usage: ``.venv/bin/python bench/rack.py [--nodes 500] [--json FILE]`` (needs .venv-ironic).
A mode's requests and the versions they asked are in its gateway log (``api-versions.jsonl``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openstack  # noqa: E402
import yaml  # noqa: E402

from lifecycle.baremetal import Baremetal, NodeSpec, PortSpec  # noqa: E402
from lifecycle.engine import (  # noqa: E402
    Action,
    ActionRegistry,
    Engine,
    Plan,
    StepSpec,
    Store,
    TransientError,
)
from lifecycle.lab.base.tls import TlsFiles, make_ca  # noqa: E402
from lifecycle.lab.ironic import IronicService  # noqa: E402
from lifecycle.lab.ironic.gateway import BACKEND_CONF, ReleaseGateway  # noqa: E402
from lifecycle.lab.ironic.identity import UndercloudIdentity  # noqa: E402
from lifecycle.lab.ironic.releases import fmt, ironic_release  # noqa: E402
from lifecycle.model.endpoints import load_endpoints  # noqa: E402

RELEASE = "train"
UC = "uc-bench"
INTERVAL = 0.5
THREADS = 32
I2_PARALLEL = int(__import__("os").environ.get("I2_BENCH_PARALLEL", THREADS))


class Counter:
    """Counts HTTP requests through the SDK's requests session (a response hook)."""

    def __init__(self) -> None:
        self.n = 0
        self._lock = threading.Lock()

    def __call__(self, resp: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.n += 1
        return resp


@dataclass
class Undercloud:
    """One twin undercloud: backend Ironic, its Keystone and the release gateway in front."""

    ironic: IronicService
    ident: UndercloudIdentity
    gw: ReleaseGateway
    tls: TlsFiles
    work: Path

    @property
    def api_max(self) -> str:
        return fmt(self.gw.release.api_max)

    def endpoints(self) -> Path:
        """The endpoints file the lab writes for it (password in a secrets file)."""
        secrets = self.work / "secrets.yaml"
        secrets.write_text(yaml.safe_dump({f"undercloud-{UC}": self.ident.admin_password}))
        secrets.chmod(0o600)
        path = self.work / "endpoints.yaml"
        path.write_text(yaml.safe_dump({"secrets_file": str(secrets), "ironic": {UC: {
            "url": self.gw.url, "ca_file": str(self.tls.ca), "release": RELEASE, "auth": "keystone",
            "keystone": self.ident.auth(password_ref={"secret": f"undercloud-{UC}"}),
            "requests_at_once": 2}}}))
        return path


@contextmanager
def undercloud(work: Path, tls: TlsFiles) -> Iterator[Undercloud]:
    """As the lab starts a Train undercloud (lifecycle.lab.components), without ironic-inspector:
    nothing here inspects."""
    release = ironic_release(RELEASE)
    with ExitStack() as stack:
        ironic = IronicService(work / "ironic", extra_conf=BACKEND_CONF).start()
        stack.callback(ironic.stop)
        ident = UndercloudIdentity(UC, release.identity, tls=tls, admin_password="bench-s3cret").start()
        stack.callback(ident.stop)
        gw = ReleaseGateway(UC, release, ironic_url=ironic.url, tls=tls, check_token=ident.check,
                            keystone_url=ident.url, log_path=work / "api-versions.jsonl").start()
        stack.callback(gw.stop)
        ident.set_catalog(baremetal=gw.url)
        yield Undercloud(ironic, ident, gw, tls, work)


def connect(uc: Undercloud) -> tuple[Any, Counter]:
    """openstacksdk through Keystone (the catalog's baremetal endpoint: the gateway) at the
    release's maximum; the counter sees Keystone's requests too."""
    conn = openstack.connect(auth_type="password", auth=uc.ident.auth(), identity_api_version="3",
                             cacert=str(uc.tls.ca), baremetal_api_version=uc.api_max,
                             load_yaml_config=False, load_envvars=False)
    counter = Counter()
    conn.session.session.hooks["response"].append(counter)
    return conn, counter


def mac(i: int) -> str:
    return f"52:54:00:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}"


def spec(i: int) -> NodeSpec:
    return NodeSpec(name=f"bench-{i:04d}", driver="fake-hardware", driver_info={}, interfaces={},
                    properties={"cpu_arch": "x86_64"}, resource_class="baremetal.compute",
                    ports=[PortSpec("nic1", mac(i), True)])


def settled(n: Any) -> bool:
    return not n.target_provision_state


def wait_one(conn: Any, uuid: str, state: str) -> None:
    while True:
        n = conn.baremetal.get_node(uuid, fields=["uuid", "provision_state", "target_provision_state",
                                                  "last_error"])
        if settled(n) and n.provision_state == state:
            return
        if settled(n) and n.last_error:
            raise RuntimeError(f"{uuid}: {n.last_error}")
        time.sleep(INTERVAL)


def one_node(conn: Any, i: int) -> None:
    s = spec(i)
    node = conn.baremetal.create_node(name=s.name, driver=s.driver, resource_class=s.resource_class)
    conn.baremetal.create_port(node_id=node.id, address=s.ports[0].mac, is_pxe_enabled=True)
    for action, state in (("manage", "manageable"), ("provide", "available")):
        conn.baremetal.set_node_provision_state(node.id, action)
        wait_one(conn, node.id, state)


def run_naive(uc: Undercloud, n: int) -> Counter:
    conn, counter = connect(uc)
    for i in range(n):
        one_node(conn, i)
    return counter


def run_threaded(uc: Undercloud, n: int) -> Counter:
    conn, counter = connect(uc)
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda i: one_node(conn, i), range(n)))
    return counter


def run_ceiling(uc: Undercloud, n: int) -> Counter:
    conn, counter = connect(uc)
    ids = []
    for i in range(n):
        s = spec(i)
        node = conn.baremetal.create_node(name=s.name, driver=s.driver, resource_class=s.resource_class)
        conn.baremetal.create_port(node_id=node.id, address=s.ports[0].mac, is_pxe_enabled=True)
        ids.append(node.id)
    for action, state in (("manage", "manageable"), ("provide", "available")):
        for uuid in ids:
            conn.baremetal.set_node_provision_state(uuid, action)
        while True:
            nodes = list(conn.baremetal.nodes(fields=["uuid", "provision_state", "target_provision_state"]))
            if all(settled(x) and x.provision_state == state for x in nodes):
                break
            time.sleep(INTERVAL)
    return counter


class _Step(Action):
    system = "ironic"

    def __init__(self, bm: Baremetal, name: str, fn: Callable[[Baremetal, str], Any]):
        self.bm, self.name, self.fn = bm, name, fn

    def apply(self, step: Any, ctx: Any) -> dict[str, Any]:
        try:
            self.fn(self.bm, step.params["i"])
        except Exception as exc:
            raise TransientError(str(exc)) from exc
        return {}


def run_i2(uc: Undercloud, n: int) -> Counter:
    bm = Baremetal.connect(load_endpoints(uc.endpoints()), UC, interval=INTERVAL)
    counter = Counter()
    bm.conn.session.session.hooks["response"].append(counter)
    registry = ActionRegistry([
        _Step(bm, "enroll", lambda b, i: b.enroll(spec(i))),
        _Step(bm, "manage", lambda b, i: b.manage(spec(i).name)),
        _Step(bm, "provide", lambda b, i: b.provide(spec(i).name)),
    ])
    steps = []
    for i in range(n):
        k = spec(i).name
        steps += [StepSpec(key=f"{k}/enroll", target=f"server:{k}", action="enroll", params={"i": i}),
                  StepSpec(key=f"{k}/manage", target=f"server:{k}", action="manage", params={"i": i},
                           deps=[f"{k}/enroll"]),
                  StepSpec(key=f"{k}/provide", target=f"server:{k}", action="provide", params={"i": i},
                           deps=[f"{k}/manage"])]
    store = Store.open(f"sqlite:///{uc.work / 'runs.db'}")
    run_id = store.create_run(Plan(kind="bench", target="bench", runbook="bench.rack:none", steps=steps))
    result = Engine(store, registry, limits={"ironic": I2_PARALLEL}).execute(run_id)
    if result.status != "succeeded":
        raise RuntimeError(f"i2 run {result.status}")
    return counter


def _tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its children (Ironic forks its workers)."""
    import os

    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(d.name) == pid or int(stat[1]) == pid:  # fields after ')': state, ppid, ...
            total += (int(stat[11]) + int(stat[12])) / tick
    return total


def measure(mode: str, n: int, work: Path, tls: TlsFiles) -> dict[str, Any]:
    """``client_cpu_s`` is this process: the client and, in-process like the lab's, the gateway
    and Keystone."""
    runs = {"naive": run_naive, "threaded": run_threaded, "ceiling": run_ceiling, "i2": run_i2}
    with undercloud(work / mode, tls) as uc:
        t0 = time.monotonic()
        cpu0 = time.process_time()
        server0 = _tree_cpu(uc.ironic.pid or 0)
        counter = runs[mode](uc, n)
        elapsed = time.monotonic() - t0
        client_cpu = time.process_time() - cpu0
        server_cpu = _tree_cpu(uc.ironic.pid or 0) - server0
        tokens = len(uc.ident.keystone.tokens)  # issued by its Keystone to the mode's client
        conn, _ = connect(uc)
        states = {x.provision_state for x in conn.baremetal.nodes(fields=["uuid", "provision_state"])}
        assert states == {"available"}, states
        log = [json.loads(line) for line in uc.gw.log_path.read_text().splitlines()]
        top = uc.gw.release.api_max
    asked = {r["version"] for r in log if r["version"]}
    # every request at or below the release's maximum (the gateway would have answered 406)
    assert all(tuple(map(int, v.split("."))) <= top for v in asked), asked
    return {"mode": mode, "nodes": n, "seconds": round(elapsed, 1), "nodes_per_s": round(n / elapsed, 2),
            "api_calls_per_node": round(counter.n / n, 1), "client_cpu_s": round(client_cpu, 1),
            "ironic_cpu_s": round(server_cpu, 1), "keystone_tokens": tokens,
            "versions_asked": sorted(asked), "unauthorized": sum(r["status"] == 401 for r in log)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=500)
    ap.add_argument("--modes", default="ceiling,i2,threaded,naive")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="i2-bench-rack-") as tmp:
        tls = make_ca(Path(tmp) / "tls")
        for mode in args.modes.split(","):
            try:
                rows.append(measure(mode, args.nodes, Path(tmp), tls))
            except Exception as exc:  # a mode Ironic cannot take (e.g. resets) is a result too
                why = f"{type(exc).__name__}: {exc}"[:300]
                rows.append({"mode": mode, "nodes": args.nodes, "error": why})
            print(json.dumps(rows[-1]), flush=True)
    ceiling = next((r for r in rows if r["mode"] == "ceiling" and "error" not in r), None)
    print(f"\n{'mode':10} {'nodes/s':>8} {'vs ceiling':>10} {'API calls/node':>15}")
    for r in rows:
        if "error" in r:
            print(f"{r['mode']:10} failed: {r['error']}")
            continue
        ratio = r["nodes_per_s"] / ceiling["nodes_per_s"] if ceiling else float("nan")
        r["vs_ceiling"] = round(ratio, 2)
        print(f"{r['mode']:10} {r['nodes_per_s']:8.2f} {ratio:10.2f} {r['api_calls_per_node']:15.1f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
