"""Front-panel ports of the Arista models the estate uses.

The cabling plan is checked against these, so a cable to ``Ethernet61`` on a 48-port leaf is an
error before anything is plugged in.  Breakout lanes are named ``EthernetN/L`` as EOS does.

>>> "Ethernet49/1" in ports_of("DCS-7050SX3-48YC8")
True
"""

from __future__ import annotations

from functools import cache


def _fixed(sfp: int, qsfp: range, lanes: int = 4) -> frozenset[str]:
    ports = {f"Ethernet{i}" for i in range(1, sfp + 1)}
    ports |= {f"Ethernet{q}/{lane}" for q in qsfp for lane in range(1, lanes + 1)}
    return frozenset(ports | {"Management1"})


def _modular(slots: range, per_card: int) -> frozenset[str]:
    ports = {f"Ethernet{s}/{p}" for s in slots for p in range(1, per_card + 1)}
    ports |= {f"Ethernet{s}/{p}/{lane}" for s in slots for p in range(1, per_card + 1)
              for lane in range(1, 5)}
    return frozenset(ports | {"Management1/1", "Management1/2"})


SWITCH_MODELS: dict[str, frozenset[str]] = {
    # 7050X3 leaves: 48 x 25G SFP28 + 8 x 100G QSFP28 (breakout lanes /1-/4)
    "DCS-7050SX3-48YC8": _fixed(48, range(49, 57)),
    "DCS-7050SX3-48YC12": _fixed(48, range(49, 61)),
    "DCS-7050CX3-32S": _fixed(0, range(1, 33)),
    # 7500R3 spines with 36-port 100G line cards in slots 3-6 (7504) or 3-10 (7508)
    "DCS-7504R3": _modular(range(3, 7), 36),
    "DCS-7508R3": _modular(range(3, 11), 36),
}


@cache
def ports_of(model: str) -> frozenset[str]:
    """The port names of a switch model; ``KeyError`` names the known models."""
    try:
        return SWITCH_MODELS[model]
    except KeyError:
        known = ", ".join(sorted(SWITCH_MODELS))
        raise KeyError(f"unknown switch model {model!r} (known: {known})") from None
