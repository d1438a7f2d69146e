"""Fixtures for the VSD emulator's contract tests: a twin CA, emulators, and unmodified vspk
sessions that verify the emulator's certificate against the twin CA.

bambou 3.1.3 passes ``verify=False`` to requests on every call, so a session verifies only if
its ``requests_session`` (a public attribute of NURESTSession) has an adapter that insists on
the CA; that is configuration of the transport, not a change to vspk or bambou.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from vspk import v6 as vsdk

from lifecycle.lab.base import LatencyProfile, TlsFiles, make_ca
from lifecycle.lab.nuage import VsdEmulator

PASSWORD = "twin-secret"


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_ca(tmp_path_factory.mktemp("twin-ca"))


class VerifyingAdapter(HTTPAdapter):
    """Verifies every HTTPS request against ``ca``, whatever ``verify`` the caller passed."""

    def __init__(self, ca: Path | str):
        super().__init__()
        self.ca = str(ca)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["verify"] = self.ca
        return super().send(request, **kwargs)


def session(vsd: VsdEmulator, ca: Path | str, *, user: str = "csproot", password: str = PASSWORD,
            enterprise: str = "csp", start: bool = True) -> vsdk.NUVSDSession:
    s = vsdk.NUVSDSession(username=user, password=password, enterprise=enterprise, api_url=vsd.url)
    s.requests_session.mount("https://", VerifyingAdapter(ca))
    return s.start() if start else s


class Raw:
    """Plain HTTPS calls, as the Nuage Neutron plugin's RESTProxyServer makes them (Basic auth with
    the API key after a Basic login, ``X-Nuage-Organization``, a JSON body on every request)."""

    def __init__(self, vsd: VsdEmulator, ca: Path | str, user: str = "csproot", password: str = PASSWORD,
                 org: str = "csp"):
        self.base = vsd.api_url
        self.http = requests.Session()
        self.ca = str(ca)  # per request: Session.verify loses to $REQUESTS_CA_BUNDLE
        self.org, self.user = org, user
        resp = self.call("GET", "/me", auth=(user, password))
        assert resp.status_code == 200, resp.text
        self.api_key = resp.json()[0]["APIKey"]

    def call(self, method: str, path: str, body: Any = "", *, auth: tuple[str, str] | None = None,
             headers: dict[str, str] | None = None) -> requests.Response:
        user, secret = auth or (self.user, self.api_key)
        hdrs = {"Content-Type": "application/json", "X-Nuage-Organization": self.org,
                "Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}
        hdrs.update(headers or {})
        return self.http.request(method, self.base + path, data=json.dumps(body), headers=hdrs, timeout=10,
                                 verify=self.ca)

    def ok(self, method: str, path: str, body: Any = "", **kw: Any) -> Any:
        resp = self.call(method, path, body, **kw)
        assert resp.status_code < 300, (resp.status_code, resp.text)
        return resp.json() if resp.content else None


@pytest.fixture
def vsd_factory(tls: TlsFiles) -> Iterator[Callable[..., VsdEmulator]]:
    started: list[VsdEmulator] = []

    def make(**kwargs: Any) -> VsdEmulator:
        kwargs.setdefault("latency", LatencyProfile("none"))
        emu = VsdEmulator(password=PASSWORD, tls=tls, **kwargs).start()
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


@pytest.fixture
def vsd(vsd_factory: Callable[..., VsdEmulator]) -> VsdEmulator:
    return vsd_factory()


@pytest.fixture
def me(vsd: VsdEmulator, tls: TlsFiles) -> vsdk.NUMe:
    return session(vsd, tls.ca).user


@pytest.fixture
def raw(vsd: VsdEmulator, tls: TlsFiles) -> Raw:
    return Raw(vsd, tls.ca)


def build_domain(me: vsdk.NUMe, *, enterprise: str = "ie1", zones: tuple[str, ...] = ("app1", "app2"),
                 ) -> tuple[vsdk.NUEnterprise, vsdk.NUDomainTemplate, vsdk.NUDomain]:
    """An enterprise, an L3 domain template with zone templates and implicit-drop ACL templates,
    and a domain instantiated from it: the shape the immutable-cloud upgrade works in."""
    ent = vsdk.NUEnterprise(name=enterprise)
    me.create_child(ent)
    tpl = vsdk.NUDomainTemplate(name=f"{enterprise}-l3")
    ent.create_child(tpl)
    for name in zones:
        tpl.create_child(vsdk.NUZoneTemplate(name=name, description=f"zone of {name}"))
    tpl.create_child(vsdk.NUIngressACLTemplate(name="in", active=True, default_allow_ip=False,
                                               default_allow_non_ip=False, priority_type="NONE"))
    tpl.create_child(vsdk.NUEgressACLTemplate(name="out", active=True, default_allow_ip=False,
                                              default_allow_non_ip=False, priority_type="NONE"))
    dom = vsdk.NUDomain(name="prod")
    ent.instantiate_child(dom, tpl)
    return ent, tpl, dom
