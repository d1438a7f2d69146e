"""The build-out's ``vsd/bootstrap`` step against the VSD emulator, with unmodified vspk: an empty
VSD is observed not done, applied, then observed done from a new process (a second apply, a
resume after the step's intent, changes nothing); a cloud without its plugin user is refused
before any call; a priority someone else holds fails the step by name after the rest is made;
nothing the step reports holds a password."""

from __future__ import annotations

import json

import pytest

from lifecycle.engine import PermanentError
from lifecycle.runbooks.buildout.vsd import KEY, BootstrapVsd
from tests.lab.nuage import conftest as nuage
from tests.nuage.buildout_env import PLUGIN_PASSWORDS, context, hold_dns_priority, services, view

tls, vsd, vsd_factory = nuage.tls, nuage.vsd, nuage.vsd_factory  # the VSD emulator's fixtures

CLOUDS = ["ie1-new", "ie1-old"]


def step() -> object:
    return view(KEY, BootstrapVsd, BootstrapVsd.Params(clouds=CLOUDS))


def test_observed_not_done_then_made_then_observed_done_by_a_new_process(tmp_path, vsd, tls) -> None:
    action = BootstrapVsd(services(tmp_path, vsd, tls))
    assert action.observe(step(), context(KEY)) is None  # an empty VSD: not done
    assert vsd.store.version == 0  # observing wrote nothing
    done = action.apply(step(), context(KEY))
    store = vsd.store
    assert any(c.startswith("create   enterprise") and c.endswith("IE1") for c in done.changes)
    assert sum(c.startswith("create   user") for c in done.changes) == 2  # a plugin user per cloud
    assert done.cms == {c["name"]: c["ID"] for c in store.list("cms")} and sorted(done.cms) == CLOUDS
    text = json.dumps(done.stored())
    assert all(p not in text for p in [*PLUGIN_PASSWORDS.values(), nuage.PASSWORD])

    version = store.version
    again = BootstrapVsd(services(tmp_path, vsd, tls)).observe(step(), context(KEY))  # a resume, a 2nd apply
    assert again is not None and again.changes == [] and again.objects == done.objects
    assert again.cms == done.cms
    assert store.version == version


def test_a_cloud_without_its_plugin_user_is_refused_before_any_call(tmp_path, vsd, tls) -> None:
    action = BootstrapVsd(services(tmp_path, vsd, tls, plugins=("ie1-old",)))
    requests = vsd.requests
    with pytest.raises(PermanentError, match=r"vsd\.plugins names no plugin user for ie1-new"):
        action.apply(step(), context(KEY))
    assert vsd.requests == requests and vsd.store.version == 0


def test_a_priority_someone_else_holds_fails_the_step_by_name_after_the_rest_is_made(
        tmp_path, vsd, tls) -> None:
    BootstrapVsd(services(tmp_path, vsd, tls)).apply(step(), context(KEY))
    other = hold_dns_priority(vsd)
    (user,) = vsd.store.find("user", userName="ie1-new-neutron")
    vsd.store.delete(user["ID"])  # made again by the same apply that fails on the entry

    action = BootstrapVsd(services(tmp_path, vsd, tls))
    assert action.observe(step(), context(KEY)) is None
    with pytest.raises(PermanentError) as err:
        action.apply(step(), context(KEY))
    assert ("acl-entry IE1/ie1-prd/ingress:allow-dns:53: priority 1000 is held by netops: something"
            in str(err.value))
    assert "i2 runs resume" in str(err.value)
    assert vsd.store.find("user", userName="ie1-new-neutron")  # the rest was made
    assert vsd.store.get(other["ID"])["priority"] == 1000  # never moved
