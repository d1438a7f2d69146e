"""DHCP for ZTP: give each new leaf (and each spine of a new DC) its management address and the
ztpserver bootstrap URL.

An Arista switch in Zero Touch Provisioning asks DHCP on Management1 and fetches the script
named by option 67 (bootfile-name); ztpserver serves it at ``<ztp url>/bootstrap``. The leaves
are matched by their system MAC, which the site model records (on 7050X leaves Management1
carries the system MAC). A spine is matched the same way by the ``system_mac`` the site gives it:
on a modular chassis that must be the MAC its supervisor's Management1/1 asks DHCP from.

>>> from pathlib import Path
>>> import lifecycle
>>> from lifecycle.model import load_site
>>> site = load_site(Path(lifecycle.__file__).parents[1] / "examples" / "ie1")  # the repository's
>>> print(render_dhcp(site, ["c02"], "http://ztp.ie1.example.net:8080", fmt="dnsmasq"))
# i2: ZTP DHCP entries for site ie1, racks c02 (generated: do not edit by hand)
...
dhcp-option-force=tag:i2-ztp,67,"http://ztp.ie1.example.net:8080/bootstrap"
dhcp-host=44:4c:a8:03:00:01,set:i2-ztp,10.0.0.25,c02-leaf1
...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from lifecycle.model.schema import Site

FORMATS = ("isc", "dnsmasq")


class MissingMac(ValueError):
    """A switch to serve has no MAC in the site: DHCP could not tell it from another."""


@dataclass(frozen=True)
class Lease:
    name: str
    mac: str
    address: IPv4Address
    network: IPv4Network


def leases(site: Site, racks: list[str], *, planned_only: bool = True,
           spines: Sequence[str] = ()) -> list[Lease]:
    """The leaves (and ``spines``) to serve, sorted by name. Unknown racks or spines raise
    KeyError naming them; a spine without a ``system_mac`` raises MissingMac (DHCP cannot tell
    it from another switch)."""
    out = [_spine_lease(site, name) for name in spines]
    for name in racks:
        rack = site.rack(name)
        if planned_only and rack.state != "planned":
            continue
        for leaf in rack.leaves.leaves:
            iface = IPv4Interface(str(leaf.mgmt))
            out.append(Lease(leaf.name, str(leaf.system_mac).lower(), iface.ip, iface.network))
    return sorted(out, key=lambda lease: lease.name)


def _spine_lease(site: Site, name: str) -> Lease:
    spine = next((s for s in site.spines if s.name == name), None)
    if spine is None:
        raise KeyError(f"no spine {name} in site {site.site.name} "
                       f"(spines: {', '.join(s.name for s in site.spines) or 'none'})")
    if spine.system_mac is None:
        raise MissingMac(f"fabric.yaml: spines[{name}].system_mac is not set: DHCP matches a "
                         "spine in ZTP by its MAC (the one its management port asks from)")
    iface = IPv4Interface(str(spine.mgmt))
    return Lease(name, str(spine.system_mac).lower(), iface.ip, iface.network)


def bootstrap_url(ztp_url: str) -> str:
    return ztp_url.rstrip("/") + "/bootstrap"


def _header(site: Site, racks: list[str], spines: Sequence[str] = ()) -> str:
    what = ([f"spines {', '.join(spines)}"] if spines else []) + \
        ([f"racks {', '.join(racks)}"] if racks or not spines else [])
    return (f"# i2: ZTP DHCP entries for site {site.site.name}, {', '.join(what)} "
            "(generated: do not edit by hand)\n")


def render_isc(site: Site, racks: list[str], ztp_url: str, router: str | None = None,
               spines: Sequence[str] = ()) -> str:
    """ISC dhcpd: one subnet declaration per management network and one host per switch."""
    items = leases(site, racks, spines=spines)
    url = bootstrap_url(ztp_url)
    lines = [_header(site, racks, spines).rstrip()]
    for net in sorted({lease.network for lease in items}):
        lines += ["", f"subnet {net.network_address} netmask {net.netmask} {{"]
        if router:
            lines.append(f"  option routers {router};")
        if site.site.dns_servers:
            lines.append(f"  option domain-name-servers {', '.join(map(str, site.site.dns_servers))};")
        lines.append(f'  option domain-name "{site.site.domain}";')
        if site.site.ntp_servers:
            lines.append(f"  option ntp-servers {', '.join(map(str, site.site.ntp_servers))};")
        lines.append("}")
    for lease in items:
        lines += ["", f"host {lease.name} {{", f"  hardware ethernet {lease.mac};",
                  f"  fixed-address {lease.address};", f'  option host-name "{lease.name}";',
                  f'  option bootfile-name "{url}";', "}"]
    return "\n".join(lines) + "\n"


def render_dnsmasq(site: Site, racks: list[str], ztp_url: str, router: str | None = None,
                   spines: Sequence[str] = ()) -> str:
    """dnsmasq: static ranges per management network, a tagged host per switch, option 67."""
    items = leases(site, racks, spines=spines)
    tag = "i2-ztp"
    lines = [_header(site, racks, spines).rstrip()]
    for net in sorted({lease.network for lease in items}):
        lines.append(f"dhcp-range=set:{tag},{net.network_address},static,{net.netmask}")
    if router:
        lines.append(f"dhcp-option=tag:{tag},option:router,{router}")
    if site.site.dns_servers:
        lines.append(f"dhcp-option=tag:{tag},option:dns-server,{','.join(map(str, site.site.dns_servers))}")
    lines.append(f"dhcp-option=tag:{tag},option:domain-name,{site.site.domain}")
    if site.site.ntp_servers:
        lines.append(f"dhcp-option=tag:{tag},option:ntp-server,{','.join(map(str, site.site.ntp_servers))}")
    lines.append(f'dhcp-option-force=tag:{tag},67,"{bootstrap_url(ztp_url)}"')
    for lease in items:
        lines.append(f"dhcp-host={lease.mac},set:{tag},{lease.address},{lease.name}")
    return "\n".join(lines) + "\n"


def render_dhcp(site: Site, racks: list[str], ztp_url: str, *, fmt: str = "isc",
                router: str | None = None, spines: Sequence[str] = ()) -> str:
    """The DHCP entries for ``racks``' planned leaves and for ``spines`` (by name)."""
    if fmt not in FORMATS:
        raise ValueError(f"DHCP format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if router is not None:
        IPv4Address(router)  # a typo must not reach the DHCP server
    render = render_isc if fmt == "isc" else render_dnsmasq
    return render(site, racks, ztp_url, router, spines)
