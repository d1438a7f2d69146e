"""The twin's NetScaler in its world: health monitors that probe the twin's VMs through the VSD's
ACLs, and the brownfield configuration a platform team built long ago, seeded from the site.

Monitor probe (:func:`monitor_probe`): a member ``ip:port`` passes when

1. a VM holding ``ip`` is ACTIVE in either cloud (else the probe times out),
2. the VSD's ACLs let one of the device's SNIPs (``nsip`` of type SNIP) reach ``ip`` on the
   monitor's port (ICMP for PING), by :meth:`lifecycle.lab.nuage.VsdStore.reachable`,
3. its application answers on that port (:meth:`lifecycle.lab.vmhooks.VmDirectory.listens`:
   the ports the site says it serves; not when the fault ``netscaler.app_down=<vm>`` holds),
4. and the answer is what the monitor expects (HTTP: 200 within ``respcode``; ECV: the twin's
   applications answer their health request with the expected ``recv``).

Seeding (:func:`seed`) per device, in process (not over NITRO: the estate existed before i2, and
its API calls are not i2's): SNIPs, the monitors its vservers use, then per application
environment the lbvserver, its servicegroup (bound to the vserver, the monitor bound to it), the
content-switching policy (targeting the lbvserver) and the GSLB vserver with this site's GSLB
service (the VIP, in the GSLB site named after the site) bound to it, if declared, and side A's
VMs (their old-cloud address) as members on the servicegroup's port. :func:`wait_up` then waits
for their monitors to pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from lifecycle.lab.netscaler import members as mb
from lifecycle.lab.netscaler.emulator import NetScalerEmulator
from lifecycle.lab.netscaler.monitor import Probe
from lifecycle.model.schema import Site
from lifecycle.model.schema_lb import LbMonitor


def _respcode_ok(codes: list[Any], code: int) -> bool:
    for c in codes or ["200"]:
        low, _, high = str(c).partition("-")
        if int(low) <= code <= int(high or low):
            return True
    return False


def monitor_probe(vms: Any, store: Any, snips: Callable[[], list[str]]) -> Probe:
    """The probe a device's monitors run (``vms``: a VmDirectory; ``store``: the VSD store)."""

    def probe(ip: str, port: int, monitor: dict[str, Any]) -> tuple[bool, str]:
        kind = str(monitor.get("type", "TCP")).upper()
        icmp = kind == "PING"
        vm = vms.by_ip(ip)
        if vm is None or vm.status != "ACTIVE":
            why = "no host" if vm is None else f"{vm.name} {vm.status}"
            return False, ("Probe timed out" if icmp else
                           "Time out during TCP connection establishment stage") + f" ({why})"
        sources = snips()
        decisions = [store.reachable(s, ip, None if icmp else port, "icmp" if icmp else "tcp")
                     for s in sources]
        if not any(d.allowed for d in decisions):
            why = decisions[0].reason if decisions else "the device has no SNIP"
            return False, f"Time out during TCP connection establishment stage (ACL: {why})"
        if not vms.listens(vm.name, None if icmp else port):
            return False, "TCP connection refused (RST received)"
        if kind == "HTTP" and not _respcode_ok(monitor.get("respcode") or [], 200):
            return False, f"Response code 200 received. Not in {monitor.get('respcode')}"
        return True, {"PING": "ICMP echo reply received.", "HTTP": "HTTP response code 200 received.",
                      "TCP": "TCP syn+ack received."}.get(kind, "Pattern found in response.")

    return probe


def snips_of(emu: NetScalerEmulator) -> Callable[[], list[str]]:
    def snips() -> list[str]:
        with emu.lock:
            return [ip for ip, o in emu.runtime.store.objects["nsip"].items()
                    if o.get("type") == "SNIP" and o.get("state", "ENABLED") == "ENABLED"]

    return snips


def nitro_monitor(m: LbMonitor) -> dict[str, Any]:
    """The site's monitor as an ``lbmonitor`` (field names are NITRO's)."""
    out: dict[str, Any] = {"monitorname": m.monitorname, "type": m.type, "interval": m.interval,
                           "resptimeout": m.resptimeout, "downtime": m.downtime, "retries": m.retries}
    if m.type != "PING":
        out["secure"] = "YES" if m.secure else "NO"
    for key in ("destport", "httprequest", "send", "recv"):
        if getattr(m, key) is not None:
            out[key] = getattr(m, key)
    if m.respcode:
        out["respcode"] = list(m.respcode)
    return out


def seed(emu: NetScalerEmulator, site: Site, device: str, addresses: dict[str, str]) -> list[str]:
    """The device's brownfield configuration; ``addresses``: VM name -> its address on side A.
    Returns the members bound, as ``servicegroup/ip:port``."""
    assert site.loadbalancer is not None
    dev = next(d for d in site.loadbalancer.devices if d.name == device)
    monitors = {m.monitorname: m for m in site.loadbalancer.monitors}
    envs = [(a, env, spec) for a in site.applications for env, spec in a.environments.items()
            if spec.lb is not None and spec.lb.device == device]
    bound: list[str] = []

    def build() -> None:
        rt = emu.runtime
        st = rt.store
        for snip in dev.snips:
            if str(snip) not in st.objects["nsip"]:
                st.add("nsip", {"ipaddress": str(snip), "netmask": "255.255.255.0", "type": "SNIP"})
        for name in sorted({spec.lb.monitor for _, _, spec in envs if spec.lb}):
            if name not in st.objects["lbmonitor"]:
                st.add("lbmonitor", nitro_monitor(monitors[name]))
        for app, _env, spec in envs:
            lb = spec.lb
            assert lb is not None
            vs, sg = lb.lbvserver, lb.servicegroup
            if vs.name in st.objects["lbvserver"]:
                continue  # seeded already
            st.add("lbvserver", {"name": vs.name, "servicetype": vs.servicetype, "ipv46": str(vs.ipv46),
                                 "port": vs.port, "lbmethod": vs.lbmethod})
            st.add("servicegroup", {"servicegroupname": sg.servicegroupname, "servicetype": sg.servicetype})
            st.bind("lbvserver_servicegroup_binding", {"name": vs.name,
                                                       "servicegroupname": sg.servicegroupname})
            st.bind("servicegroup_lbmonitor_binding", {"servicegroupname": sg.servicegroupname,
                                                       "monitor_name": lb.monitor})
            if lb.csvserver is not None:
                cs = lb.csvserver
                if cs.name not in st.objects["csvserver"]:
                    st.add("csvserver", {"name": cs.name, "servicetype": vs.servicetype})
                if cs.policyname not in st.objects["cspolicy"]:
                    st.add("cspolicy", {"policyname": cs.policyname})
                row: dict[str, Any] = {"name": cs.name, "policyname": cs.policyname,
                                       "targetlbvserver": vs.name}
                if cs.priority:
                    row["priority"] = cs.priority
                st.bind("csvserver_cspolicy_binding", row)
            if lb.gslbvserver is not None:
                g = lb.gslbvserver
                if g.name not in st.objects["gslbvserver"]:
                    st.add("gslbvserver", {"name": g.name, "servicetype": vs.servicetype})
                if site.site.name not in st.objects["gslbsite"]:  # this site, its IP a SNIP
                    st.add("gslbsite", {"sitename": site.site.name, "siteipaddress": str(dev.snips[0])})
                if g.servicename not in st.objects["gslbservice"]:  # this site's service: the VIP
                    st.add("gslbservice", {"servicename": g.servicename, "ip": str(vs.ipv46), "port": vs.port,
                                           "servicetype": vs.servicetype, "sitename": site.site.name})
                st.bind("gslbvserver_gslbservice_binding", {"name": g.name, "servicename": g.servicename})
            for vm in spec.vms:
                ip = addresses.get(vm.name)
                if ip is None:
                    raise RuntimeError(f"{app.name}: VM {vm.name} has no address on side A to bind "
                                       f"to servicegroup {sg.servicegroupname}")
                m = mb.bind_member(rt, {"servicegroupname": sg.servicegroupname, "ip": ip, "port": sg.port})
                bound.append(rt.label(m))

    emu.mutate(build)
    return bound


def wait_up(emu: NetScalerEmulator, members: list[str], timeout: float) -> None:
    """Until every member named is UP (its monitors passed); a clear error naming the rest."""
    deadline = time.monotonic() + timeout
    while True:
        states = emu.member_states()
        down = [m for m in members if states.get(m) != "UP"]
        if not down:
            return
        if time.monotonic() > deadline:
            with emu.lock:
                why = {emu.runtime.label(m): "; ".join(r.lastresponse for r in m.runs.values())
                       for m in emu.runtime.members.values()}
            raise RuntimeError(f"NetScaler: {len(down)} seeded member(s) not UP after {timeout:.0f} s: "
                               + ", ".join(f"{m} ({states.get(m)}: {why.get(m) or 'not probed'})"
                                           for m in down[:5]))
        time.sleep(0.05)


def vips(site: Site) -> dict[str, tuple[str, str, int, int]]:
    """"app/env" -> (device, VIP, vserver port, members' port) for every balanced environment."""
    return {f"{a.name}/{env}": (spec.lb.device, str(spec.lb.lbvserver.ipv46), spec.lb.lbvserver.port,
                                spec.lb.servicegroup.port)
            for a in site.applications for env, spec in a.environments.items() if spec.lb is not None}
