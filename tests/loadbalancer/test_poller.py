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


def test_reads_asked_just_after_one_began_share_the_next(emu: tuple[NetScalerEmulator, TlsFiles],
                                                         groups: Nitro) -> None:
    """Once its burst is spent, a type is read once every ``gap`` s: the steps that ask after a
    read began (too late for it) wait for the next one and share it, each still getting a read
    that began after it asked."""
    n = nitro(*emu)
    # no burst; a wide gap: the threads of a busy test host all ask within it
    poller = MemberPoller(n, gap=2.0, burst=1)
    with poller.waiting("sg-p1", first=0.0) as w:
        _, first = w.next(30)
    got: dict[str, tuple[float, float]] = {}

    def ask(sg: str) -> None:
        asked = time.time()
        with poller.waiting(sg, first=0.0) as w:
            got[sg] = (asked, w.next(30)[1])

    threads = [threading.Thread(target=ask, args=(sg,)) for sg in ("sg-p1", "sg-p2", "sg-none")]
    for t in threads:
        t.start()
        time.sleep(0.05)  # one after the other, as the moves of a wave reach their guards
    for t in threads:
        t.join(30)
    assert poller.reads == 2 and n.calls == 2  # three asks after the first read: one more read
    assert len({read_at for _, read_at in got.values()}) == 1
    assert all(read_at >= asked > first for asked, read_at in got.values())


def test_a_burst_of_reads_is_not_held_back(emu: tuple[NetScalerEmulator, TlsFiles], groups: Nitro) -> None:
    """A lone step's few reads in a row (a guard's, the read after its write, the next step's
    guard) each start at once: the gap holds back only reads beyond the burst."""
    n = nitro(*emu)
    poller = MemberPoller(n, gap=3600.0, burst=3)
    for _ in range(3):
        with poller.waiting("sg-p1", first=0.0) as w:
            w.next(30)  # each within the test's timeout, not an hour
    assert poller.reads == 3
    with poller.waiting("sg-p1", first=0.0) as w, pytest.raises(TimeoutError):
        w.next(0.5)  # the fourth waits for a token
    assert poller.reads == 3
