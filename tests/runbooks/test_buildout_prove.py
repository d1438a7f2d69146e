"""Each cloud's proof in the build-out (``overcloud/<cloud>/prove``) against the twin's cloud and
VSD emulators, through openstacksdk and vspk unmodified: after the VSD bootstrap, a cloud whose
Neutron logs into the VSD as the cloud's own plugin user (as the rendered overcloud configures
it) proves the Nuage plugin loaded, its net-partition the VSD's enterprise, and its Pure
cinder-volume up; a disabled cinder-volume and a plugin that cannot reach the VSD are named and
retried, never passed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lifecycle.engine import TransientError
from lifecycle.lab.base import TlsFiles
from lifecycle.lab.nuage import VsdEmulator
from lifecycle.lab.openstack import OpenStackCloud, VsdAccess
from lifecycle.model import load_site
from lifecycle.runbooks.buildout.prove import ProveCloud
from lifecycle.runbooks.buildout.vsd import KEY, BootstrapVsd
from tests.lab.nuage import conftest as nuage
from tests.nuage.buildout_env import PLUGIN_PASSWORDS, SITE_DIR, context, services, view

tls, vsd, vsd_factory = nuage.tls, nuage.vsd, nuage.vsd_factory  # the VSD emulator's fixtures
CLOUD = "ie1-new"
PROOF = f"overcloud/{CLOUD}/prove"


@pytest.fixture
def started() -> Iterator[list[OpenStackCloud]]:
    clouds: list[OpenStackCloud] = []
    yield clouds
    for c in clouds:
        c.stop()


def start_cloud(started: list[OpenStackCloud], tls: TlsFiles, access: VsdAccess | None,
                cms_id: str | None = None) -> OpenStackCloud:
    cloud = OpenStackCloud(load_site(SITE_DIR).cloud(CLOUD), tls=tls, admin_password="admin-secret",
                           vsd=access, cms_id=cms_id).start()
    started.append(cloud)
    return cloud


def prove(tmp_path: Path, vsd: VsdEmulator, tls: TlsFiles, cloud: OpenStackCloud) -> ProveCloud.Outputs:
    svc = services(tmp_path, vsd, tls, clouds={CLOUD: cloud.clouds_yaml_entry()})
    return ProveCloud(svc).apply(view(PROOF, ProveCloud, ProveCloud.Params(cloud=CLOUD)), context(PROOF))


def test_after_the_bootstrap_the_cloud_proves_its_nuage_plugin_and_pure_backend(
        tmp_path, vsd, tls, started) -> None:
    boot = BootstrapVsd(services(tmp_path, vsd, tls)).apply(
        view(KEY, BootstrapVsd, BootstrapVsd.Params(clouds=sorted(PLUGIN_PASSWORDS))), context(KEY))
    # the overcloud's Neutron as rendered: its own plugin user in its net-partition, the CMS id
    access = VsdAccess(vsd.url, f"{CLOUD}-neutron", PLUGIN_PASSWORDS[CLOUD], "IE1", ca=tls.ca)
    cloud = start_cloud(started, tls, access, boot.cms[CLOUD])
    (ent,) = vsd.store.find("enterprise", name="IE1")

    first = {c.check: c for c in prove(tmp_path, vsd, tls, cloud).checks}
    assert all(c.ok for c in first.values()) and sorted(first) == ["cinder", "neutron", "vsd"]
    assert first["vsd"].detail == f"net-partition IE1 linked by i2: the VSD's enterprise {ent['ID']}"
    assert first["cinder"].detail == "cinder-volume hostgroup@pure-ie1 enabled and up"
    assert "net-partition extension" in first["neutron"].detail
    again = {c.check: c for c in prove(tmp_path, vsd, tls, cloud).checks}
    assert again["vsd"].detail == f"net-partition IE1 found: the VSD's enterprise {ent['ID']}"

    conn = ProveCloud(services(tmp_path, vsd, tls, clouds={CLOUD: cloud.clouds_yaml_entry()})).svc.cloud(
        CLOUD).conn
    (volume,) = [s for s in conn.block_storage.services(binary="cinder-volume")]
    conn.block_storage.disable_service(volume, reason="array maintenance")
    with pytest.raises(TransientError, match=r"cinder: no cinder-volume @pure-ie1 enabled and up "
                                             r"\(hostgroup@pure-ie1 disabled/up\)"):
        prove(tmp_path, vsd, tls, cloud)


def test_a_nuage_plugin_that_cannot_reach_the_vsd_is_named_and_retried(tmp_path, vsd, tls, started) -> None:
    BootstrapVsd(services(tmp_path, vsd, tls)).apply(
        view(KEY, BootstrapVsd, BootstrapVsd.Params(clouds=sorted(PLUGIN_PASSWORDS))), context(KEY))
    cloud = start_cloud(started, tls, None)  # a Neutron with no VSD session
    with pytest.raises(TransientError, match="Cannot communicate with Nuage VSD"):
        prove(tmp_path, vsd, tls, cloud)


def test_before_the_bootstrap_the_missing_enterprise_is_named(tmp_path, vsd, tls, started) -> None:
    cloud = start_cloud(started, tls, None)
    with pytest.raises(TransientError, match="vsd: the VSD has no enterprise IE1"):
        prove(tmp_path, vsd, tls, cloud)
