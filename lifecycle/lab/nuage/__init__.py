"""Nuage VSD emulator of the twin: the VSD's REST API (``/nuage/api/v6``, HTTPS on the twin CA)
over an in-memory object model derived at run time from vspk's own class metadata, so that
unmodified vspk 20.10 / bambou 3.1 and the Nuage Neutron plugin's REST calls work against it;
plus the reachability function workload probes use. Operator documentation: docs/twin-nuage.md.

Starting it and talking to it::

    from lifecycle.lab.base import make_ca
    from lifecycle.lab.nuage import VsdEmulator
    from vspk import v6 as vsdk

    vsd = VsdEmulator(username="csproot", password="s3cret", tls=make_ca(tls_dir),
                      latency=lab.latency, faults=lab.faults, organisation="csp").start()
    session = vsdk.NUVSDSession(username="csproot", password="s3cret", enterprise="csp",
                                api_url=vsd.url)          # https://127.0.0.1:PORT
    session.start()
    ent = vsdk.NUEnterprise(name="ie1-old")
    session.user.create_child(ent)
    ...
    vsd.stop()

(bambou 3.1.3 passes ``verify=False`` to requests on every call; to check the VSD's certificate,
mount a requests adapter that verifies against the CA on ``session.requests_session`` - the
contract tests do, see tests/lab/nuage/conftest.py.)

In process, ``vsd.store`` (a :class:`VsdStore`, thread-safe) has ``create/update/delete/assign``,
``get``, ``list``, ``find`` and the reachability function::

    store.reachable(src, dst, port=None, protocol="tcp", *, source_port=None,
                    src_domain=None, dst_domain=None) -> Decision

``src``/``dst`` are IPv4 addresses. A VM interface's address locates it (vport, subnet, zone,
domain, policy groups); an address in a VSD subnet with no VM interface is denied ("no VM
interface holds ..."); any other address is external. The connection is allowed when the
source domain's ingress policy and the destination domain's egress policy forward it, and the
replies pass the reverse policies unless the forwarding entry was stateful; policies are
evaluated in priority order with the implicit drop at the end (see :mod:`lifecycle.lab.nuage.reach`).
``Decision.allowed`` is the answer; ``Decision.entry`` the deciding ACL entry (its main
attributes) or a reason string such as ``"implicit drop"``; ``Decision.reason`` and
``Decision.explain()`` say it in words. Answers are cached until a subnet, vport, VM, policy
group, macro or ACL changes (``store.generation``). An address held by VM interfaces in two
domains raises ValueError unless ``src_domain``/``dst_domain`` says which.

Example (a running emulator's store; a worked example is in :mod:`lifecycle.lab.nuage.reach`)::

    d = vsd.store.reachable("10.0.1.5", "10.0.2.7", 443)
    d.allowed, d.reason      # (False, 'egress 6f0c...: implicit drop')
"""

from lifecycle.lab.nuage.emulator import VsdEmulator
from lifecycle.lab.nuage.errors import VsdError
from lifecycle.lab.nuage.reach import Decision, Endpoint, Verdict
from lifecycle.lab.nuage.schema import Schema, schema
from lifecycle.lab.nuage.store import VsdStore

__all__ = ["Decision", "Endpoint", "Schema", "Verdict", "VsdEmulator", "VsdError", "VsdStore", "schema"]
