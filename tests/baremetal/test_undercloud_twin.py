"""i2's negotiation against the twin's underclouds as the site's releases play them: Train
(uc-new, ironic-inspector, Keystone) and Newton (uc-old), reached through the release gateway.

One lab for the module (no rack racked: the underclouds are what is under test), its
underclouds' tokens living :data:`LIFETIME` seconds."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from lifecycle.baremetal import Baremetal, BaremetalError, node_spec
from lifecycle.baremetal.releases import newer
from lifecycle.model import load_site
from lifecycle.model.endpoints import load_endpoints
from tests.lab.ironic.conftest import require_venv
from tests.runbooks.twin import SITE, endpoints, i2_json, lab

pytestmark = pytest.mark.slow(45)  # started first by the suite (tests/conftest.py)

# keystoneauth takes a new token once its own expires within 120 s (MIN_TOKEN_LIFE_SECONDS):
# a token of this lab is fresh to it for its first 15 s, enough for each test's calls.
MARGIN = 120
LIFETIME = MARGIN + 15


@pytest.fixture(scope="module")
def labdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    require_venv()
    with lab(tmp_path_factory.mktemp("uc-twin"), rack=None, token_lifetime=LIFETIME) as d:
        yield d


def asked(labdir: Path, uc: str) -> list[dict[str, object]]:
    """Every request the undercloud's gateway logged (method, path, service, version, status)."""
    path = labdir / "ironic" / uc / "api-versions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_check_reports_release_range_version_auth_and_inspection_path(labdir: Path) -> None:
    ucs = i2_json(labdir, "baremetal", "check")["underclouds"]
    new, old = ucs["uc-new"], ucs["uc-old"]
    assert (new["release"], new["server_max"], new["version"], new["auth"]) == ("train", "1.58", "1.58",
                                                                              "keystone")
    assert new["inspection"] == "inspector" and new["inspector"].startswith("https://127.0.0.1:")
    assert (old["release"], old["server_max"], old["version"], old["inspection"]) == ("newton", "1.22",
                                                                                    "1.22", "none")


def test_newton_refuses_enrolling_with_the_release_and_the_feature(labdir: Path) -> None:
    ep = load_endpoints(endpoints(labdir))
    site = load_site(SITE)
    server = next(s for s in site.servers if s.cloud == "ie1-old")
    bm = Baremetal.connect(ep, "uc-old")
    spec = node_spec(site, server, redfish_address="https://127.0.0.1:1", redfish_system_id="/x",
                     bmc_username="u", bmc_password="p", bmc_ca_file=None, macs={})
    with pytest.raises(BaremetalError) as exc:
        bm.enroll(spec)
    assert "uc-old runs newton (Ironic API 1.22): node hardware interfaces" in exc.value.message
    assert "needs API 1.31" in exc.value.message and not exc.value.transient
    assert bm.node(server.name) is not None  # what the old cloud has deployed: readable at 1.22


def token_requests(bm: Baremetal) -> list[str]:
    """The Keystone token requests of ``bm``'s session from now on (a requests response hook)."""
    seen: list[str] = []

    def hook(resp: object, *args: object, **kwargs: object) -> None:
        req = resp.request  # type: ignore[attr-defined]
        if req.path_url.endswith("/auth/tokens"):
            seen.append(f"{req.method} {req.path_url} {resp.status_code}")  # type: ignore[attr-defined]

    bm.conn.session.session.hooks["response"].append(hook)
    return seen


def test_no_request_exceeds_the_release_and_the_token_is_reused(labdir: Path) -> None:
    ep = load_endpoints(endpoints(labdir))
    for uc, top in (("uc-new", "1.58"), ("uc-old", "1.22")):
        bm = Baremetal.connect(ep, uc)
        tokens = token_requests(bm)
        for _ in range(5):
            list(bm.api.nodes(fields=["uuid", "name"]))
            bm.node("nowhere")
        assert tokens == [], tokens  # the token got when connecting serves every call after it
        # A token Keystone no longer honours (keystoneauth invalidates it on a 401): one new one.
        bm.conn.session.invalidate()
        for _ in range(3):
            bm.node("nowhere")
        assert tokens == ["POST /v3/auth/tokens 201"], tokens
        log = [r for r in asked(labdir, uc) if r["service"] == "ironic"]
        versions = {str(r["version"]) for r in log if r["version"] is not None}
        assert log and versions and not any(newer(v, top) for v in versions), versions
        assert all(r["status"] != 401 for r in log)


def test_the_token_is_renewed_once_before_it_expires(labdir: Path) -> None:
    """Across a token's expiry: keystoneauth renews it ahead (not after a 401), exactly once."""
    ep = load_endpoints(endpoints(labdir))
    bm = Baremetal.connect(ep, "uc-new")
    tokens = token_requests(bm)
    access = bm.conn.session.auth.auth_ref
    first, expires = access.auth_token, access.expires
    assert (expires - access.issued).total_seconds() == pytest.approx(LIFETIME, abs=1)  # lab option
    t0 = time.time()
    time.sleep(max(0.0, (expires - dt.timedelta(seconds=MARGIN) - dt.datetime.now(dt.UTC)).total_seconds())
               + 0.5)
    for _ in range(3):
        list(bm.api.nodes(fields=["uuid", "name"]))
        bm.node("nowhere")
    assert tokens == ["POST /v3/auth/tokens 201"], tokens
    assert bm.conn.session.auth.auth_ref.auth_token != first
    # ahead of expiry: the old token still opens the gateway, and no request of this test got a 401
    ironic = ep.ironic["uc-new"]
    old = requests.get(f"{ironic.url}/v1/nodes", headers={"X-Auth-Token": first},
                       verify=str(ep.path(ironic.ca_file or "")), timeout=30)
    assert old.status_code == 200, old.text
    assert all(r["status"] != 401 for r in asked(labdir, "uc-new") if float(r["t"]) >= t0)
