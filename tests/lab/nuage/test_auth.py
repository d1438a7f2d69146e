"""Login with unmodified vspk over verified HTTPS: XREST and Basic, API keys, 401, 419 renewal."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable

import pytest
import requests
from bambou.exceptions import BambouHTTPError
from vspk import v6 as vsdk

from lifecycle.lab.base import TlsFiles, make_ca
from lifecycle.lab.nuage import VsdEmulator
from lifecycle.lab.nuage.auth import basic, xrest
from tests.lab.nuage.conftest import PASSWORD, Raw, session


def test_login_returns_api_key_and_session_uses_it(vsd: VsdEmulator, tls: TlsFiles) -> None:
    s = session(vsd, tls.ca)
    me = s.user
    assert me.role == "CSPROOT" and me.user_name == "csproot"
    assert me.enterprise_id == vsd.store.csp_id
    assert me.api_key == vsd.accounts.root.api_key
    assert isinstance(me.api_key_expiry, int) and me.api_key_expiry > 0  # epoch ms on the wire
    # bambou authenticates every later call with user:APIKey (not the password).
    assert s.login_controller.get_authentication_header() == xrest("csproot", me.api_key)
    assert me.enterprises.get() == []


def test_bad_credentials_are_401(vsd: VsdEmulator, tls: TlsFiles) -> None:
    with pytest.raises(BambouHTTPError, match="401"):
        session(vsd, tls.ca, password="wrong")
    with pytest.raises(BambouHTTPError, match="401"):
        session(vsd, tls.ca, enterprise="other-org")
    with pytest.raises(BambouHTTPError, match="401"):
        session(vsd, tls.ca, user="nobody")


def test_basic_and_xrest_both_accepted(vsd: VsdEmulator, tls: TlsFiles) -> None:
    url = vsd.api_url + "/me"
    for header in (basic("csproot", PASSWORD), xrest("csproot", PASSWORD)):
        resp = requests.get(url, headers={"Authorization": header, "X-Nuage-Organization": "csp"},
                            data="null", verify=str(tls.ca), timeout=5)
        assert resp.status_code == 200 and resp.json()[0]["APIKey"]
    resp = requests.get(url, headers={"Authorization": basic("csproot", PASSWORD)}, verify=str(tls.ca),
                        timeout=5)
    assert resp.status_code == 401  # no organisation header
    assert resp.json()["errors"][0]["descriptions"][0]["description"]


def test_expired_api_key_is_419_and_bambou_logs_in_again(vsd: VsdEmulator, tls: TlsFiles) -> None:
    s = session(vsd, tls.ca)
    me = s.user
    me.create_child(vsdk.NUEnterprise(name="before"))
    key, expiry = me.api_key, me.api_key_expiry
    logins = vsd.accounts.logins
    vsd.expire_api_keys()
    raw = requests.get(vsd.api_url + "/enterprises", data="null", verify=str(tls.ca), timeout=5,
                       headers={"Authorization": xrest("csproot", key), "X-Nuage-Organization": "csp"})
    assert raw.status_code == 419
    # The same session keeps working: bambou got 419, restarted the session, retried the call.
    assert [e.name for e in me.enterprises.get()] == ["before"]
    assert vsd.accounts.logins == logins + 1
    assert s.user.api_key == key and s.user.api_key_expiry > expiry


def test_enterprise_user_logs_in_with_its_organisation(vsd: VsdEmulator, tls: TlsFiles,
                                                       me: vsdk.NUMe) -> None:
    ent = vsdk.NUEnterprise(name="tenant-a")
    me.create_child(ent)
    ent.create_child(vsdk.NUUser(user_name="alice", password="pw-a", first_name="A", last_name="L",
                                 email="a@example.test"))
    alice = session(vsd, tls.ca, user="alice", password="pw-a", enterprise="tenant-a").user
    assert alice.enterprise_id == ent.id and alice.user_name == "alice"
    assert alice.password is None
    with pytest.raises(BambouHTTPError, match="401"):
        session(vsd, tls.ca, user="alice", password="pw-a", enterprise="csp")


def test_certificate_verifies_against_the_twin_ca_only(vsd: VsdEmulator, tls: TlsFiles,
                                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    Raw(vsd, tls.ca)  # verified against the twin CA
    other = make_ca(tmp_path_factory.mktemp("other-ca"))
    with pytest.raises(requests.exceptions.SSLError):
        Raw(vsd, other.ca)
    ctx = ssl.create_default_context(cafile=str(tls.ca))
    host, port = vsd.server.host, vsd.server.port

    with socket.create_connection((host, port), timeout=5) as sock, \
            ctx.wrap_socket(sock, server_hostname=host) as tls_sock:
        assert tls_sock.getpeercert()["subjectAltName"]


def test_every_call_needs_credentials(vsd_factory: Callable[..., VsdEmulator], tls: TlsFiles) -> None:
    vsd = vsd_factory()
    resp = requests.get(vsd.api_url + "/enterprises", data="null", verify=str(tls.ca), timeout=5,
                        headers={"X-Nuage-Organization": "csp",
                                 "Authorization": xrest("csproot", "not-a-key")})
    assert resp.status_code == 401
