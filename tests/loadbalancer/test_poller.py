"""The shared member poller against the twin's NITRO emulator: waiters on different service
groups of one appliance share one bulk read (``bulkbindings=yes``) per poll, each read a waiter
gets was answered after it asked, and a failed read reaches every waiter."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from lifecycle.lab.base import TlsFiles, make_ca
from lifecycle.lab.netscaler import NetScalerEmulator
from lifecycle.loadbalancer import Nitro, NitroError
from lifecycle.loadbalancer.members import MEMBER_BINDING
from lifecycle.loadbalancer.poller import MemberPoller

PASSWORD = "twin-nitro-poller-s3cret"


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NetScalerEmulator, TlsFiles]]:
    tls = make_ca(tmp_path_factory.mktemp("ns-ca"))
    up = {"10.22.0.1"}

    def probe(ip: str, port: int, monitor: dict[str, Any]) -> tuple[bool, str]:
        return (ip in up, "probe")

    e = NetScalerEmulator(tls=tls, password=PASSWORD, probe=probe).start()
    yield e, tls
    e.stop()


def nitro(emu: NetScalerEmulator, tls: TlsFiles, password: str = PASSWORD) -> Nitro:
    return Nitro(emu.url, "nsroot", password, verify=str(tls.ca), auth="headers", timeout=10)


@pytest.fixture(scope="module")
def groups(emu: tuple[NetScalerEmulator, TlsFiles]) -> Nitro:
    n = nitro(*emu)
    for sg, ip in (("sg-p1", "10.22.0.1"), ("sg-p2", "10.22.0.2")):
        n.add("servicegroup", {"servicegroupname": sg, "servicetype": "HTTP"})
        n.bind("servicegroup_lbmonitor_binding", {"servicegroupname": sg, "monitor_name": "tcp-default"})
        n.bind(MEMBER_BINDING, {"servicegroupname": sg, "ip": ip, "port": 80})
    return n


def test_waiters_on_different_groups_share_one_read(emu: tuple[NetScalerEmulator, TlsFiles],
                                                     groups: Nitro) -> None:
    n = nitro(*emu)
    poller = MemberPoller(n)
    before = time.time()
    # p2 would not ask for an hour: the read p1 asks for serves it too
    with poller.waiting("sg-p1", first=0.05) as p1, poller.waiting("sg-p2", first=3600) as p2, \
            poller.waiting("sg-none", first=3600) as gone:
        got = {}
        t = threading.Thread(target=lambda: got.update(p2=p2.next(30)))
        t.start()
        one, read_at = p1.next(30)
        t.join(30)
        assert [(x.ip, x.port) for x in one] == [("10.22.0.1", 80)]
        two, read_at2 = got["p2"]
        assert [(x.ip, x.svrstate) for x in two] == [("10.22.0.2", "DOWN")]
        assert read_at2 == read_at >= before  # the same read, answered after they asked
        assert gone.next(30)[0] == []  # a group the appliance does not have: no members
        assert poller.reads == 1 and n.calls == 1  # one GET ...?bulkbindings=yes for all three
        # p1 polls on, and sees its member UP when the monitor says so
        deadline = time.monotonic() + 30
        while not all(x.serving for x in one):
            assert time.monotonic() < deadline, one
            one, later = p1.next(30)
            assert later > read_at
        assert n.calls == poller.reads


def test_a_waiter_gets_only_reads_made_after_it_asked(emu: tuple[NetScalerEmulator, TlsFiles],
                                                      groups: Nitro) -> None:
    poller = MemberPoller(nitro(*emu))
    with poller.waiting("sg-p1", first=0.05, most=0.05) as p1:
        _, first = p1.next(30)
        asked = time.time()
        with poller.waiting("sg-p2", first=3600) as late:
            _, seen = late.next(30)  # the next read p1's schedule makes, not the one before
        assert seen >= asked > first


def test_a_failed_read_reaches_every_waiter(emu: tuple[NetScalerEmulator, TlsFiles], groups: Nitro) -> None:
    poller = MemberPoller(nitro(*emu, password="not-the-password"))
    with poller.waiting("sg-p1", first=0.05) as p1, poller.waiting("sg-p2", first=3600) as p2:
        for w in (p1, p2):
            with pytest.raises(NitroError) as err:
                w.next(30)
            assert err.value.errorcode == 354 and not err.value.transient


def test_cancelled_and_timed_out_waits(emu: tuple[NetScalerEmulator, TlsFiles], groups: Nitro) -> None:
    poller = MemberPoller(nitro(*emu))
    stop = threading.Event()
    stop.set()
    with poller.waiting("sg-p1", first=3600) as w:
        with pytest.raises(InterruptedError):
            w.next(30, stop)
        with pytest.raises(TimeoutError):
            w.next(0.3)
    assert poller.reads == 0
