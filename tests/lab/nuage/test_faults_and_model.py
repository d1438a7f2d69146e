"""Injected faults and latency (component ``vsd``), the model derived from vspk, the store under
concurrent writers, and the package's docstring examples."""

from __future__ import annotations

import doctest
import threading
import time
from collections.abc import Callable

import pytest
import requests
import vspk.v6 as v6
from bambou.exceptions import BambouHTTPError
from vspk import v6 as vsdk

from lifecycle.lab.base import LatencyProfile, TlsFiles, parse_faults
from lifecycle.lab.nuage import VsdEmulator, VsdStore, errors, filters, network, schema
from lifecycle.lab.nuage import auth as auth_mod
from lifecycle.lab.nuage import store as store_mod
from lifecycle.lab.nuage.auth import xrest
from tests.lab.nuage.conftest import PASSWORD, Raw, session

Factory = Callable[..., VsdEmulator]


def test_http5xx_answers_503_with_a_vsd_body(vsd_factory: Factory, tls: TlsFiles) -> None:
    vsd = vsd_factory(faults=parse_faults("vsd.http5xx=1"))
    me = session(vsd, tls.ca).user  # login is exempt: bambou cannot retry it
    with pytest.raises(BambouHTTPError) as exc:
        me.enterprises.get()
    resp = exc.value.connection.response
    assert resp.status_code == 503 and resp.data["errors"][0]["descriptions"][0]["description"]
    assert vsd.faults.injected[("vsd", "http5xx")] == 1


def test_reset_and_timeout(vsd_factory: Factory, tls: TlsFiles) -> None:
    vsd = vsd_factory(faults=parse_faults("vsd.reset=1"))
    raw = Raw(vsd, tls.ca)
    with pytest.raises(requests.exceptions.ConnectionError):
        raw.call("GET", "/enterprises")
    vsd = vsd_factory(faults=parse_faults("vsd.timeout=1"), timeout_seconds=1.0)
    raw = Raw(vsd, tls.ca)
    t0 = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        raw.http.get(vsd.api_url + "/enterprises", data="null", timeout=0.3, verify=str(tls.ca),
                     headers={"X-Nuage-Organization": "csp", "Authorization": xrest("csproot", raw.api_key)})
    assert time.monotonic() - t0 < 1.0
    assert vsd.faults.injected[("vsd", "timeout")] == 1


def test_realistic_latency_slows_every_request(vsd_factory: Factory, tls: TlsFiles) -> None:
    vsd = vsd_factory(latency=LatencyProfile("realistic", seed=3))
    raw = Raw(vsd, tls.ca)
    t0 = time.perf_counter()
    for _ in range(4):
        raw.ok("GET", "/enterprises")
    # "vsd" is 30 ms +/- 50% per request in the realistic profile: never under 15 ms.
    assert (time.perf_counter() - t0) / 4 >= 0.015


def test_model_is_vspks_own_metadata() -> None:
    model = schema()
    classes = [getattr(v6, n) for n in v6.__all__ if isinstance(getattr(v6, n), type)]
    with_rest = [c for c in classes
                 if isinstance(getattr(c, "rest_name", None), str) and c.rest_name != "None"]
    assert len(model.kinds) == len(with_rest) > 300
    for cls in with_rest:
        kind = model.kinds[cls.rest_name]
        obj = cls()
        assert model.by_resource[cls.resource_name] is kind
        assert set(kind.attrs) == {a.remote_name for a in obj._attributes.values()}
        assert kind.relations == {r: f.relationship for r, f in obj._fetchers_registry.items()}
    assert model.kind("ingressaclentrytemplate").attrs["locationType"].choices == \
        tuple(vsdk.NUIngressACLEntryTemplate()._attributes["location_type"].choices)


def test_concurrent_writers_cannot_overlap_subnets() -> None:
    st = VsdStore()
    ent = st.create("enterprise", {"name": "e"})["ID"]
    tpl = st.create("domaintemplate", {"name": "t"}, ent)["ID"]
    st.create("zonetemplate", {"name": "z"}, tpl)
    dom = st.create("domain", {"name": "d", "templateID": tpl}, ent)["ID"]
    zone = st.list("zone", dom)[0]["ID"]
    won: list[str] = []
    refused: list[int] = []

    def writer(i: int) -> None:
        try:  # every writer asks for a /24 inside the same /16
            won.append(st.create("subnet", {"name": f"s{i}", "address": "10.9.0.0", "netmask": "255.255.0.0"},
                                 zone)["ID"])
        except errors.VsdError as exc:
            refused.append(exc.code or 0)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and refused == [errors.OVERLAP] * 7


@pytest.mark.parametrize("module", [store_mod, filters, errors, network, auth_mod])
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.failed == 0 and result.attempted > 0


def test_password_is_never_shown(vsd: VsdEmulator, tls: TlsFiles) -> None:
    me = session(vsd, tls.ca, password=PASSWORD).user
    ent = vsdk.NUEnterprise(name="e")
    me.create_child(ent)
    user = vsdk.NUUser(user_name="bob", password="pw", first_name="B", last_name="L", email="b@x.test")
    ent.create_child(user)
    assert user.password is None
    user.first_name = "Bobby"
    user.save()  # sends password null back: the password stays
    session(vsd, tls.ca, user="bob", password="pw", enterprise="e")
