"""i2's undercloud readiness (lifecycle.tripleo.readiness) against the twin's undercloud: a
Train director installed with no overcloud, over SSH with its host key verified."""

from __future__ import annotations

from lifecycle.tripleo.paths import UNDERCLOUD_THT
from lifecycle.tripleo.readiness import check_undercloud
from tests.lab.undercloud.conftest import Twin


def _checks(twin: Twin, release: str = "train") -> dict[str, tuple[bool, str]]:
    with twin.connect() as uc:
        return {c.check: (c.ok, c.detail) for c in check_undercloud(uc, release=release, stack="overcloud")}


def test_an_installed_train_undercloud_with_no_overcloud_is_ready(twin: Twin) -> None:
    checks = _checks(twin)
    assert all(ok for ok, _ in checks.values()), checks
    assert checks["release"][1] == "Red Hat OpenStack Platform release 16.2.4 (Train)"
    assert checks["tht"][1] == UNDERCLOUD_THT
    assert checks["stack"][1] == "overcloud: not deployed yet"


def test_an_undercloud_of_another_release_is_refused_naming_both(twin: Twin) -> None:
    ok, detail = _checks(twin, release="newton")["release"]
    assert not ok
    assert "(train)" in detail and "the site's cloud is newton" in detail


def test_a_missing_tht_tree_and_release_file_are_named(twin: Twin) -> None:
    link = twin.host.fs / UNDERCLOUD_THT.lstrip("/")
    release = twin.host.fs / "etc" / "rhosp-release"
    target, text = link.readlink(), release.read_text()
    link.unlink()
    release.unlink()
    try:
        checks = _checks(twin)
    finally:
        link.symlink_to(target, target_is_directory=True)
        release.write_text(text)
    assert checks["tht"] == (False, f"{UNDERCLOUD_THT} is missing (install openstack-tripleo-heat-templates)")
    assert not checks["release"][0] and "/etc/rhosp-release" in checks["release"][1]
    assert checks["services"][0]  # the rest is still read: one run names everything missing
