"""Cinder manage/unmanage across the old and the new cloud through the one shared array: the
Pure driver's renames, nothing copied (the array serial never changes), a double manage refused."""

from __future__ import annotations

from typing import Any

import openstack
import pytest

from lifecycle.lab.array import PureArray
from tests.lab.openstack.conftest import Clouds, connect, wait_for

HOST = "hostgroup@pure-ie1#pure-ie1"


def manage(conn: openstack.connection.Connection, ref: str, name: str) -> Any:
    """POST /manageable_volumes at 3.8, where both releases accept it.

    (openstacksdk 4.22's ``manage_volume`` sends microversion 3.71, which a Train Cinder (max 3.59)
    refuses with 406, as the test below shows.)"""
    resp = conn.block_storage.post(
        "/manageable_volumes",
        microversion="3.8",
        json={"volume": {"host": HOST, "ref": {"name": ref}, "name": name}},
    )
    assert resp.status_code == 202, resp.text
    vid = resp.json()["volume"]["id"]
    return wait_for(
        lambda: (v := conn.block_storage.get_volume(vid)).status in ("available", "error") and v,
        what=f"manage of {ref}",
    )


def manageable(conn: openstack.connection.Connection) -> dict[str, Any]:
    """GET /manageable_volumes/detail at 3.8 (``block_storage.manageable_volumes()`` sends no
    microversion, so Cinder answers 404: the list exists from 3.8 on)."""
    resp = conn.block_storage.get("/manageable_volumes/detail", params={"host": HOST}, microversion="3.8")
    assert resp.status_code == 200, resp.text
    return {m["reference"]["name"]: m for m in resp.json()["manageable-volumes"]}


def test_volume_moves_from_old_to_new_without_copy(clouds: Clouds) -> None:
    array = PureArray("pure-ie1")
    old = clouds.start("ie1-old", "newton", array=array)
    new = clouds.start("ie1-new", "train", array=array)
    a, b = connect(old), connect(new)
    vol = a.block_storage.create_volume(size=100, name="orders-prd-db")
    a.block_storage.wait_for_status(vol, "available", interval=0.02, wait=5)
    name_a = f"volume-{vol.id}-cinder"
    serial = array.view(name_a).serial
    # the new cloud sees it on the array, but another cloud manages it
    seen = manageable(b)[name_a]
    assert (seen["safe_to_manage"], seen["reason_not_safe"], seen["cinder_id"]) == (
        False,
        "Volume already managed",
        None,
    )
    refused = manage(b, name_a, "orders-prd-db")
    assert refused.status == "error"
    assert array.view(name_a).owner == "ie1-old"  # untouched
    message = b.block_storage.get("/messages", microversion="3.3").json()["messages"][-1]["user_message"]
    assert (
        message
        == f"manage existing volume: Unable to manage existing volume. Volume {name_a} already managed."
    )
    # the old cloud lists its own volume as managed by it
    mine = manageable(a)[name_a]
    assert (mine["safe_to_manage"], mine["cinder_id"]) == (False, vol.id)
    # unmanage in the old cloud: the Pure driver's -unmanaged rename, gone from the old Cinder
    a.block_storage.unmanage_volume(vol)
    wait_for(lambda: a.block_storage.find_volume(vol.id, ignore_missing=True) is None, what="unmanaged")
    released = f"{name_a}-unmanaged"
    assert array.view(released).owner is None and manageable(b)[released]["safe_to_manage"] is True
    # manage into the new cloud: renamed to its Cinder name, same serial, same size: not a copy
    moved = manage(b, released, "orders-prd-db")
    assert (moved.status, moved.size) == ("available", 100)
    now = array.view(f"volume-{moved.id}-cinder")
    assert (now.serial, now.owner, now.renames) == (serial, "ie1-new", (name_a, released))
    assert [v.serial for v in array.snapshot()] == [serial]
    # a second manage of the old name finds nothing (it was renamed)
    again = manage(b, released, "orders-prd-db-2")
    assert again.status == "error"


def test_manage_refuses_attached_volume_and_unknown_ref(clouds: Clouds) -> None:
    array = PureArray("pure-ie1")
    array.create("legacy-db", 20)
    array.connect("legacy-db", "c01-s01")
    cloud = clouds.start(array=array)
    conn = connect(cloud)
    assert manageable(conn)["legacy-db"]["reason_not_safe"] == "Volume connected to host c01-s01"
    assert manage(conn, "legacy-db", "x").status == "error"
    assert manage(conn, "no-such-volume", "y").status == "error"
    messages = [
        m["user_message"] for m in conn.block_storage.get("/messages", microversion="3.3").json()["messages"]
    ]
    assert messages[0].endswith(
        "cannot manage a volume connected to hosts. Please disconnect this volume from "
        "existing hosts before importing"
    )
    assert messages[1].endswith("Unable to find Purity ref with name=no-such-volume")
    array.disconnect("legacy-db", "c01-s01")
    assert manage(conn, "legacy-db", "legacy").status == "available"


def test_sdk_manage_volume_sends_a_microversion_train_refuses(clouds: Clouds) -> None:
    cloud = clouds.start(release="train", array=PureArray())
    cloud.array.create("legacy-db", 5)
    with pytest.raises(openstack.exceptions.HttpException) as exc:
        connect(cloud).block_storage.manage_volume(host=HOST, ref={"name": "legacy-db"})
    assert exc.value.status_code == 406 and "maximum is 3.59" in str(exc.value)


def test_volume_services_pools_and_types(clouds: Clouds) -> None:
    conn = connect(clouds.start(release="newton"))
    assert {(s.binary, s.host) for s in conn.block_storage.services()} == {
        ("cinder-scheduler", "hostgroup"),
        ("cinder-volume", "hostgroup@pure-ie1"),
    }
    assert [p.name for p in conn.block_storage.backend_pools()] == [HOST]
    assert [t.name for t in conn.block_storage.types()] == ["pure-ie1"]
