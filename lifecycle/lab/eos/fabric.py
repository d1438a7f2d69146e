"""The switches of a site and the cables between them: what every ``show`` is derived from.

>>> from lifecycle.lab.world import Link
>>> from lifecycle.lab.eos.switch import Switch
>>> a = Switch("a", "vEOS", "S1", "00:1c:73:00:00:01", config="hostname a\\n")
>>> b = Switch("b", "vEOS", "S2", "00:1c:73:00:00:02", config="hostname b\\n")
>>> fab = Fabric([a, b], [Link("a", "Ethernet1", "b", "Ethernet1"), Link("a", "Ethernet2", "b", "Ethernet2")])
>>> [(n.system_name, n.port) for n in a.oper.intfs["Ethernet1"].lldp]
[('b', 'Ethernet1')]
>>> fab.miswire("a:Ethernet1~a:Ethernet2")  # swap the far ends of a's two cables
>>> [(n.system_name, n.port) for n in a.oper.intfs["Ethernet1"].lldp]
[('b', 'Ethernet2')]
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from lifecycle.lab.base import FaultPlan, TlsFiles
from lifecycle.lab.eos.state import End, FabricOper, Memory, derive
from lifecycle.lab.eos.switch import Switch
from lifecycle.lab.world import Link, World, miswire


class Fabric:
    """Switches plus links. All eAPI requests of all switches run under :attr:`lock`."""

    def __init__(
        self,
        switches: Iterable[Switch] = (),
        links: Iterable[Link] = (),
        *,
        host_up: Callable[[str, str], bool] | None = None,
    ):
        self.lock = threading.RLock()
        self.switches: dict[str, Switch] = {}
        self.links: list[Link] = list(links)
        self.host_up = host_up  # (device, port) -> is that server NIC up? (default: yes)
        self._memory = Memory()
        self._generation = 0
        self._cache: tuple[int, FabricOper] | None = None
        self.add(*switches)

    def add(self, *switches: Switch) -> Fabric:
        with self.lock:
            for sw in switches:
                self.switches[sw.name] = sw
                sw.attach(self)
            self.changed()
        return self

    def __getitem__(self, name: str) -> Switch:
        return self.switches[name]

    def changed(self) -> None:
        """Something that state derives from moved: the next ``show`` recomputes."""
        with self.lock:
            self._generation += 1

    def oper(self) -> FabricOper:
        with self.lock:
            if self._cache is None or self._cache[0] != self._generation:
                self._cache = (
                    self._generation,
                    derive(self.switches, self.cables(), self._memory, self.host_up),
                )
            return self._cache[1]

    # -- cabling ---------------------------------------------------------------------------------

    def cables(self) -> dict[End, End]:
        out: dict[End, End] = {}
        for link in self.links:
            a, b = link.ends()
            out[a] = b
            out[b] = a
        return out

    def set_links(self, links: Iterable[Link]) -> None:
        with self.lock:
            self.links = list(links)
            self.changed()

    def cable(self, a: str, b: str) -> None:
        """Plug a cable between ``dev:port`` and ``dev:port``."""
        (ad, ap), (bd, bp) = a.split(":", 1), b.split(":", 1)
        self.set_links([*self.links, Link(ad, ap, bd, bp)])

    def uncable(self, end: str) -> None:
        dev, port = end.split(":", 1)
        self.set_links([x for x in self.links if (dev, port) not in x.ends()])

    def miswire(self, spec: str) -> None:
        """Swap the far ends of two cables, ``devA:portA~devB:portB`` naming their near ends."""
        self.set_links(miswire(self.links, spec))

    # -- lab helpers -----------------------------------------------------------------------------

    @classmethod
    def from_world(
        cls,
        world: World,
        *,
        configs: Mapping[str, str] | None = None,
        flash_root: Path | None = None,
        password: str | None = None,
        version: str | None = None,
        extra: Iterable[Switch] = (),
        **kwargs: Any,
    ) -> Fabric:
        """One switch per racked :class:`~lifecycle.lab.world.SwitchSpec` (planned racks' leaves
        come later with :meth:`add`), cabled as ``world.links`` (miswires included).

        ``configs`` maps switch names to startup-config text; a switch with none boots into ZTP
        when its spec says so, else with an empty config and ZTP disabled.
        """
        configs = configs or {}
        switches = []
        for spec in world.switches:
            if not spec.racked:
                continue
            switches.append(
                cls.switch_for(
                    spec,
                    config=configs.get(spec.name),
                    flash_root=flash_root,
                    password=password,
                    version=version,
                    **kwargs,
                )
            )
        return cls([*switches, *extra], world.links)

    @staticmethod
    def switch_for(
        spec: Any,
        *,
        config: str | None = None,
        flash_root: Path | None = None,
        password: str | None = None,
        version: str | None = None,
        **kwargs: Any,
    ) -> Switch:
        flash = flash_root / spec.name if flash_root else None
        if version:
            kwargs["version"] = version
        sw = Switch.from_spec(
            spec, config=config, flash_dir=flash, password=password, ztp=spec.ztp and config is None, **kwargs
        )
        if config is None and not spec.ztp and sw.startup_config is None:
            sw.write_file("zerotouch-config", "DISABLE=True\n")
            sw.ztp_mode = "disabled"
        return sw

    def serve(
        self,
        *,
        tls: TlsFiles | None = None,
        unix_dir: Path | None = None,
        faults: FaultPlan | None = None,
        **kwargs: Any,
    ) -> Fabric:
        """Start every switch's eAPI listeners (unix sockets in ``unix_dir/<name>.sock``)."""
        for name, sw in self.switches.items():
            unix = str(unix_dir / f"{name}.sock") if unix_dir else None
            sw.serve(tls=tls, unix_path=unix, faults=faults, **kwargs)
        return self

    def endpoints(self) -> dict[str, dict[str, str]]:
        """Where each switch's eAPI listens: ``{name: {"https": url, "http": url, "unix": path}}``."""
        out: dict[str, dict[str, str]] = {}
        for name, sw in self.switches.items():
            out[name] = {x.transport: x.unix_path if x.transport == "unix" else x.url for x in sw.listeners}
        return out

    def stop(self) -> None:
        # socketserver's shutdown() waits out a 0.5 s poll: stop all listeners at once, not in turn.
        threads = [threading.Thread(target=sw.stop) for sw in self.switches.values()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
