"""The switch catalog: which port names a cable may name on each Arista model."""

from __future__ import annotations

import pytest

from lifecycle.model.catalog import SWITCH_MODELS, ports_of


def test_leaf_ports():
    ports = ports_of("DCS-7050SX3-48YC8")
    assert {"Ethernet1", "Ethernet48", "Ethernet49/1", "Ethernet56/4", "Management1"} <= ports
    assert not {"Ethernet0", "Ethernet49", "Ethernet57/1", "Ethernet49/5", "Ethernet62"} & ports
    assert len(ports) == 48 + 8 * 4 + 1
    assert "Ethernet60/4" in ports_of("DCS-7050SX3-48YC12")
    assert "Ethernet1" not in ports_of("DCS-7050CX3-32S")
    assert "Ethernet32/4" in ports_of("DCS-7050CX3-32S")


def test_spine_ports():
    small, big = ports_of("DCS-7504R3"), ports_of("DCS-7508R3")
    assert {"Ethernet3/1", "Ethernet6/36", "Ethernet3/1/4", "Management1/2"} <= small
    assert not {"Ethernet2/1", "Ethernet7/1", "Ethernet3/37"} & small
    assert small < big and {"Ethernet10/36", "Ethernet10/36/1"} <= big and "Ethernet11/1" not in big
    assert sum(1 for p in big if p.count("/") == 1 and not p.startswith("Management")) == 8 * 36


def test_unknown_model_names_the_known_ones():
    with pytest.raises(KeyError) as exc:
        ports_of("DCS-7280SR")
    assert "DCS-7280SR" in str(exc.value)
    assert all(model in str(exc.value) for model in SWITCH_MODELS)
