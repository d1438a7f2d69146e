"""The NRFU catalog derived from the site passes on a correctly built rack and names the port
of a miswire (ANTA unmodified, over HTTPS verified against the twin CA)."""

from __future__ import annotations

import asyncio

import yaml
from anta.catalog import AntaCatalog
from anta.inventory import AntaInventory
from anta.result_manager import ResultManager
from anta.runner import main as anta_main

from lifecycle.fabric.anta import anta_inventory, nrfu_catalog
from tests.fabric.conftest import PASSWORD


def run(site, fabric, tls, tmp, monkeypatch) -> list[tuple[str, str, str, list[str]]]:
    names = [leaf.name for leaf in site.rack("c02").leaves.leaves]
    path = tmp / "inventory.yml"
    path.write_text(yaml.safe_dump(anta_inventory(
        {n: ("127.0.0.1", fabric[n].https_port) for n in names})))
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    inv = AntaInventory.parse(filename=path, username="i2", password=PASSWORD)
    manager = ResultManager()
    asyncio.run(anta_main(manager, inv, AntaCatalog.from_dict(nrfu_catalog(site, "c02"))))
    return [(r.name, r.test, r.result, r.messages) for r in manager.results]


def test_catalog_passes_then_names_the_miswired_port(built, monkeypatch):
    site, fabric, tls, tmp = built
    results = run(site, fabric, tls, tmp, monkeypatch)
    assert len(results) == 10
    assert [r for r in results if r[2] != "success"] == []

    fabric.miswire("c02-leaf1:Ethernet49/1~c02-leaf2:Ethernet49/1")
    results = run(site, fabric, tls, tmp, monkeypatch)
    lldp = {r[0]: r for r in results if r[1] == "VerifyLLDPNeighbors"}
    assert lldp["c02-leaf1"][2] == "failure"
    assert any("Ethernet49/1" in m for m in lldp["c02-leaf1"][3])
    assert all(r[2] == "success" for r in results if r[1] == "VerifyMlagStatus")
