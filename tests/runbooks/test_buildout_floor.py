"""The build-out plan's inspection floor (lifecycle.runbooks.buildout.floor): oslo.config's reading
of ``[DEFAULT] introspection_delay``, and the read over SSH from a twin undercloud (its SSH
server and shell only, no Ironic behind it), host key verified, falling back to inspector's
default 5 s and saying so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from lifecycle.lab.undercloud import RecordingSink, UndercloudHost
from lifecycle.lab.undercloud.keys import ensure_key, write_known_hosts
from lifecycle.model import load_site
from lifecycle.model.endpoints import Endpoints, load_endpoints
from lifecycle.runbooks.buildout import floor as fl
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.rack.observe import Change
from lifecycle.tripleo.undercloud import Undercloud

CONF, DEFAULT_DELAY, NOT_READ, READ = fl.CONF, fl.DEFAULT_DELAY, fl.NOT_READ, fl.READ
Floor, floors, parse_delay, read_delay = fl.Floor, fl.floors, fl.parse_delay, fl.read_delay
TRAIN = CONF["train"]
SITE = Path(__file__).resolve().parents[2] / "examples" / "ie2-buildout"


@pytest.mark.parametrize(("text", "delay"), [
    ("[DEFAULT]\nintrospection_delay = 2\n", 2),
    ("[DEFAULT]\nintrospection_delay=0\n", 0),
    ("[DEFAULT]\nintrospection_delay: 7\n", 7),  # oslo takes ':' as '='
    ('[DEFAULT]\nintrospection_delay = "3"\n', 3),  # and strips matching quotes
    ("[DEFAULT]\nintrospection_delay = 2\nintrospection_delay = 4\n", 4),  # the last one wins
    ("[DEFAULT]\ntimeout = 3600\n[processing]\nintrospection_delay = 9\n[DEFAULT]\n"
     "introspection_delay = 1\n", 1),  # a section may come back
    ("[DEFAULT]\nintrospection_delay_drivers = .*\nintrospection_delay = 6\n", 6),
])
def test_the_option_is_read_as_oslo_config_reads_it(text: str, delay: int) -> None:
    assert parse_delay(text) == delay


@pytest.mark.parametrize("text", [
    "",
    "[DEFAULT]\n#introspection_delay = 2\n",  # the packaged sample: commented out
    "[DEFAULT]\n;introspection_delay = 2\n",
    "[DEFAULT]\ntimeout = 10\n  introspection_delay = 2\n",  # indented: a continuation of timeout
    "[processing]\nintrospection_delay = 2\n",  # another section's
    "introspection_delay = 2\n",  # before any section header
])
def test_an_absent_option_is_none(text: str) -> None:
    assert parse_delay(text) is None


def test_a_value_inspector_could_not_start_with_is_refused() -> None:
    with pytest.raises(ValueError, match=r"introspection_delay = '2\.5' is not an integer"):
        parse_delay("[DEFAULT]\nintrospection_delay = 2.5\n")


def test_the_floor_is_servers_times_delay() -> None:
    f = Floor("uc-1", 15, 5, READ, TRAIN)
    assert f.as_dict() == {"undercloud": "uc-1", "servers": 15, "delay_s": 5, "source": "read",
                           "detail": TRAIN, "floor_s": 75}
    assert f.line() == f"uc-1: inspection floor 15 servers x 5 s = 1 min 15 s at least (read: {TRAIN})"


# -- over SSH, from the twin's undercloud ----------------------------------------------------------

@pytest.fixture(scope="module")
def uc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[UndercloudHost, Endpoints]]:
    """A Train director whose inspector runs with introspection_delay 2 (no Ironic: the floor's
    read needs its shell only)."""
    work = tmp_path_factory.mktemp("helper-floor")
    running = work / "inspector.conf"  # the twin's ironic-inspector process's own config
    running.write_text("[DEFAULT]\nintrospection_delay = 2\nauth_strategy = noauth\n"
                       "[processing]\nadd_ports = pxe\nkeep_ports = all\n")
    key = ensure_key(work / "id_ed25519")
    host = UndercloudHost("uc-ie2", work / "uc", ironic_url="http://127.0.0.1:9", clouds={},
                          sink=RecordingSink(work / "hv.json"), authorized=[key], release="train",
                          inspector_conf=running).start()
    host.boot(lambda: None)
    try:
        write_known_hosts(work / "known_hosts", [("127.0.0.1", host.port, host.host_key)])
        (work / "endpoints.yaml").write_text(yaml.safe_dump({"underclouds": {"uc-ie2": {
            "host": "127.0.0.1", "port": host.port, "username": "stack",
            "key_file": {"file": "id_ed25519"}, "known_hosts": "known_hosts"}}}))
        yield host, load_endpoints(work / "endpoints.yaml")
    finally:
        host.stop()


def test_the_delay_is_read_from_the_undercloud_the_inspector_runs_with(
        uc: tuple[UndercloudHost, Endpoints]) -> None:
    host, ep = uc
    with Undercloud.connect(ep, "uc-ie2") as conn:
        assert read_delay(conn, "train") == (2, READ, TRAIN)
        # the file is root's on a director: the stack user reads it through sudo only
        status, out = conn.output(["cat", TRAIN])
        assert status == 1 and out == f"cat: {TRAIN}: Permission denied"
    history = (host.dir / "history.jsonl").read_text()
    assert "sudo -n grep -E" in history and "auth_strategy" not in history


def test_an_absent_option_or_file_falls_back_to_the_default_and_says_so(
        uc: tuple[UndercloudHost, Endpoints]) -> None:
    host, ep = uc
    path = host.fs / TRAIN.lstrip("/")
    text = path.read_text()
    try:
        path.write_text("[DEFAULT]\n#introspection_delay = 2\ntimeout = 3600\n")
        with Undercloud.connect(ep, "uc-ie2") as conn:
            assert read_delay(conn, "train") == (DEFAULT_DELAY, NOT_READ,
                                                 f"introspection_delay not set in {TRAIN}")
            path.unlink()
            delay, source, detail = read_delay(conn, "train")
    finally:
        path.write_text(text)
    assert (delay, source) == (5, NOT_READ)
    assert detail == f"cannot read {TRAIN}: grep: {TRAIN}: No such file or directory"


def test_the_plan_counts_the_servers_still_to_inspect_and_reads_their_undercloud(
        uc: tuple[UndercloudHost, Endpoints], tmp_path: Path) -> None:
    ep = uc[1]
    site = load_site(SITE)
    servers = [s for r in site.racks if r.dc == "ie2-dc1" for s in site.servers_in(r.name)]
    a, b, c, *rest = [s.name for s in servers]
    rows = [Change("ironic", a, "none", "available, node:0"),  # inspected and provided
            Change("ironic", b, "change", "tag node:1"),  # available: only its tag changes
            Change("ironic", c, "change", "manageable -> available, tag node:2"),  # inspection to do
            *(Change("ironic", n, "create", "enroll, manage, inspect, tag, provide") for n in rest[1:])]
    # rest[0] has no row (as when its Ironic cannot be observed): counted
    svc = Services(site_dir=SITE, endpoints_file=ep.path("endpoints.yaml"), site=site, endpoints=ep)
    assert [f.as_dict() for f in floors(svc, servers, rows)] == [{
        "undercloud": "uc-ie2", "servers": len(servers) - 2, "delay_s": 2, "source": READ,
        "detail": TRAIN, "floor_s": (len(servers) - 2) * 2}]

    # an undercloud i2 cannot reach: the default, said so; the plan goes on
    (tmp_path / "endpoints.yaml").write_text(yaml.safe_dump({"underclouds": {"uc-ie2": {
        "host": "127.0.0.1", "port": 9, "username": "stack", "key_file": {"file": "id_ed25519"},
        "known_hosts": str(ep.path("known_hosts"))}}}))
    (tmp_path / "id_ed25519").write_text(ep.path("id_ed25519").read_text())
    down = load_endpoints(tmp_path / "endpoints.yaml")
    svc = Services(site_dir=SITE, endpoints_file=tmp_path / "endpoints.yaml", site=site, endpoints=down)
    (f,) = floors(svc, servers, rows)
    assert (f.servers, f.delay_s, f.source, f.floor_s) == (len(servers) - 2, DEFAULT_DELAY, NOT_READ,
                                                           (len(servers) - 2) * 5)
    assert f.detail.startswith("undercloud uc-ie2: cannot reach 127.0.0.1:9"), f.detail
