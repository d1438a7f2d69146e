"""Hazard 10 (issue 12): errors that look like waiting. On the twin's EOS emulator with unmodified
pyeapi: a leaf that answers but refuses i2's credentials, or whose certificate i2 does not trust,
fails the ZTP wait at once with the real message; only a switch that does not answer is waited for.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import yaml

from lifecycle.engine import ActionContext, PermanentError, StepView
from lifecycle.runbooks.common import Services, safe_observe
from lifecycle.runbooks.rack.fabric import AwaitZtp, leaf_hostname
from tests.fabric.conftest import PASSWORD

LEAF = "c02-leaf1"


def _services(tmp: Path, fabric, tls, *, password: str = PASSWORD, ca: bool = True,
              port: int | None = None) -> Services:
    """An endpoints file for the emulated fabric, with the given password, CA and leaf port."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "secrets.yaml").write_text(yaml.safe_dump({"eapi": password}))
    devices = {n: {"host": "127.0.0.1", "port": sw.https_port} for n, sw in fabric.switches.items()}
    if port is not None:
        devices[LEAF]["port"] = port
    defaults = {"transport": "https", "username": "i2", "password": {"secret": "eapi"}}
    if ca:
        defaults["ca_file"] = str(tls.ca)
    (tmp / "endpoints.yaml").write_text(yaml.safe_dump({
        "secrets_file": "secrets.yaml", "fabric": {"defaults": defaults, "devices": devices}}))
    return Services(site_dir="examples/ie1", endpoints_file=tmp / "endpoints.yaml")


def _await(svc: Services, ztp_timeout: float) -> tuple[float, BaseException | None]:
    step = StepView(key=f"ztp:{LEAF}", target=LEAF, action=AwaitZtp.name,
                    params=AwaitZtp.Params(leaf=LEAF, ztp_timeout=ztp_timeout), attempt=1,
                    dep_outputs={}, run_id="hazard10")
    t0 = time.monotonic()
    try:
        AwaitZtp(svc).apply(step, ActionContext("hazard10", step.key, cancelled=threading.Event()))
    except Exception as exc:
        return time.monotonic() - t0, exc
    return time.monotonic() - t0, None


def _closed_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there (connection refused)
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_hazard10_ztp_wait_fails_at_once_on_a_wrong_switch_password(built, tmp_path):
    _, fabric, tls, _ = built
    took, exc = _await(_services(tmp_path, fabric, tls, password="not-the-fabric-password"), 20)
    assert isinstance(exc, PermanentError), exc
    assert took < 10, f"waited {took:.0f} s on an authentication error"
    assert str(exc).startswith(f"{LEAF}: authentication failed: Unauthorized"), str(exc)


def test_hazard10_ztp_wait_fails_at_once_on_an_untrusted_certificate(built, tmp_path):
    _, fabric, tls, _ = built
    took, exc = _await(_services(tmp_path, fabric, tls, ca=False), 20)  # system CAs: not the twin's
    assert isinstance(exc, PermanentError), exc
    assert took < 10, f"waited {took:.0f} s on a TLS error"
    assert "TLS failed" in str(exc) and "CERTIFICATE_VERIFY_FAILED" in str(exc), str(exc)


def test_hazard10_a_switch_that_does_not_answer_is_still_waited_for(built, tmp_path):
    _, fabric, tls, _ = built
    svc = _services(tmp_path, fabric, tls, port=_closed_port())
    assert leaf_hostname(svc, LEAF) is None
    took, exc = _await(svc, 4)
    assert isinstance(exc, PermanentError) and "not provisioned after 4 s of ZTP" in str(exc), exc
    assert took >= 4


def test_hazard10_observe_blocks_on_unreachable_and_reports_real_errors(built, tmp_path):
    _, fabric, tls, _ = built
    good = _services(tmp_path / "good", fabric, tls)
    assert leaf_hostname(good, LEAF) == LEAF
    blocked: list[str] = []
    failed: list[str] = []

    def hostname(svc: Services) -> object:
        return svc.switch(LEAF, timeout=5).enable(["show hostname"])

    down = _services(tmp_path / "down", fabric, tls, port=_closed_port())
    assert safe_observe(lambda: hostname(down), blocked.append, failed.append) is None
    assert failed == [] and len(blocked) == 1 and blocked[0].startswith("cannot observe: unreachable:")
    wrong = _services(tmp_path / "wrong", fabric, tls, password="not-the-fabric-password")
    assert safe_observe(lambda: hostname(wrong), blocked.append, failed.append) is None
    assert len(blocked) == 1 and failed[0].startswith("authentication failed: Unauthorized"), failed
    with pytest.raises(ZeroDivisionError):  # without a place for errors, a bug is raised
        safe_observe(lambda: 1 / 0, blocked.append)
