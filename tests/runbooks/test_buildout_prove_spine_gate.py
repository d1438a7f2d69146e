"""The rack runbook's spine gate (``i2 rack apply``'s ``ztp/stage``): a rack's leaves are staged
on ztpserver only once the spines they hang off verify; spines that do not answer are named,
the step is retried, and nothing is written. The build-out, which verifies its spines in steps
of their own, plans its racks' staging without the gate."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from lifecycle.engine import PermanentError, TransientError
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.rack.fabric import StageZtp
from lifecycle.runbooks.rack.leaves import leaf_steps
from tests.nuage.buildout_env import SITE_DIR, context, view


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Refuses(BaseHTTPRequestHandler):
    """An eAPI that answers and refuses i2's credentials, as EOS does (401)."""

    def do_POST(self) -> None:
        self.send_response(401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuses)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def services(tmp_path: Path, port: int | None = None) -> Services:
    port = port or closed_port()  # by default the spines do not answer (not up yet, or down)
    spines = {s: {"host": "127.0.0.1", "port": port} for s in ("ie1-spine1", "ie1-spine2")}
    (tmp_path / "endpoints.yaml").write_text(yaml.safe_dump({
        "secrets_file": "secrets.yaml",
        "ztp": {"url": "http://127.0.0.1:8080", "data_root": str(tmp_path / "ztp")},
        "fabric": {"defaults": {"username": "i2", "password": {"secret": "fabric"}, "transport": "http"},
                   "devices": spines}}))
    (tmp_path / "secrets.yaml").write_text(yaml.safe_dump({"fabric": "switch-secret"}))
    return Services(site_dir=SITE_DIR, endpoints_file=tmp_path / "endpoints.yaml")


def test_leaves_are_not_staged_while_their_spines_do_not_verify(tmp_path: Path) -> None:
    action = StageZtp(services(tmp_path))
    assert action.retry is not None and action.retry.max_attempts > 1  # the gate waits by retrying
    step = view("ztp/stage", StageZtp, StageZtp.Params(rack="c02", gate_spines=True))
    with pytest.raises(TransientError, match=r"rack c02: not staging its leaves for ZTP, spine "
                                             r"ie1-spine1, ie1-spine2 unhealthy: ie1-spine1: eapi \("):
        action.apply(step, context("ztp/stage"))
    assert not (tmp_path / "ztp").exists() or not any((tmp_path / "ztp").rglob("*.*"))  # nothing staged

    ungated = view("ztp/stage", StageZtp, StageZtp.Params(rack="c02", gate_spines=False))
    out = action.apply(ungated, context("ztp/stage"))
    assert out.changed and out.spines == []  # the same step without the gate writes the rack's files


def test_spines_refusing_i2s_credentials_fail_the_gate_at_once(tmp_path: Path, refusing: int) -> None:
    action = StageZtp(services(tmp_path, refusing))
    step = view("ztp/stage", StageZtp, StageZtp.Params(rack="c02", gate_spines=True))
    refused = r"rack c02: not staging its leaves for ZTP: ie1-spine1: .*Unauthorized"
    with pytest.raises(PermanentError, match=refused):
        action.apply(step, context("ztp/stage"))  # no retry can fix a refused password (hazard 10)
    assert not (tmp_path / "ztp").exists() or not any((tmp_path / "ztp").rglob("*.*"))


def test_the_rack_runbook_plans_the_gate_and_the_buildout_does_not() -> None:
    from lifecycle.model import load_site

    rack = load_site(SITE_DIR).rack("c02")
    rack_run, _ = leaf_steps(rack, batch="rack:c02")
    assert rack_run[0].key == "ztp/stage" and rack_run[0].params["gate_spines"] is True
    assert rack_run[0].description.endswith("once its spines verify")
    buildout, _ = leaf_steps(rack, batch="rack:c02", stage_key="c02/ztp/stage",
                             deps=["ie1-spine1/verify"], gate_spines=False)
    assert buildout[0].params["gate_spines"] is False and buildout[0].deps == ["ie1-spine1/verify"]
    # a run stored before the gate existed resumes staging without it
    assert StageZtp.Params.model_validate({"rack": "c02"}).gate_spines is False
