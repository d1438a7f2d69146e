"""SharedReads: concurrent callers share one request, never one sent before they asked; polls
take the last answer sent since their previous poll; an error reaches every caller."""

from __future__ import annotations

import threading
import time

import pytest

from lifecycle.clouds.shared import SharedReads


class Backend:
    """A read whose requests are held until the test releases them, recording what each asked."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []
        self.started = threading.Semaphore(0)
        self.release = threading.Event()
        self.version = 0  # changes between requests: who got which answer
        self.fail: Exception | None = None

    def read(self, names: frozenset[str]) -> dict[str, tuple[str, int]]:
        self.asked.append(sorted(names))
        self.version += 1
        version = self.version
        self.started.release()
        self.release.wait()
        if self.fail is not None:
            raise self.fail
        return {n: (n.upper(), version) for n in names}


def call(shared: SharedReads, backend: Backend, name: str, out: dict[str, object],
         **kw: object) -> threading.Thread:
    def run() -> None:
        try:
            out[name] = shared.read("k", [name], backend.read, **kw)[name]
        except Exception as exc:
            out[name] = exc
    t = threading.Thread(target=run)
    t.start()
    return t


def waiting_on(shared: SharedReads, n: int) -> None:
    """Until ``n`` callers have joined the request not sent yet."""
    while shared.pending("k") < n:
        threading.Event().wait(0.001)


def test_callers_arriving_during_a_request_share_the_next_one_not_the_one_under_way():
    shared, backend, out = SharedReads(), Backend(), {}
    first = call(shared, backend, "a", out)
    backend.started.acquire()  # a's request is under way: b and c asked after it was sent
    later = [call(shared, backend, n, out) for n in ("b", "c")]
    waiting_on(shared, 2)
    backend.release.set()
    for t in [first, *later]:
        t.join(5)
    assert backend.asked == [["a"], ["b", "c"]]  # one request for b and c, sent after a's ended
    assert out == {"a": ("A", 1), "b": ("B", 2), "c": ("C", 2)}


def test_a_lone_caller_reads_again_every_time():
    shared, backend = SharedReads(), Backend()
    backend.release.set()
    assert shared.read("k", ["a"], backend.read)["a"] == ("A", 1)
    assert shared.read("k", ["a"], backend.read)["a"] == ("A", 2)  # nothing kept for a fresh read


def test_an_error_reaches_every_caller_of_the_request():
    shared, backend, out = SharedReads(), Backend(), {}
    first = call(shared, backend, "a", out)
    backend.started.acquire()
    later = [call(shared, backend, n, out) for n in ("b", "c")]
    waiting_on(shared, 2)
    backend.fail = RuntimeError("VSD 503")
    backend.release.set()
    for t in [first, *later]:
        t.join(5)
    assert all(isinstance(out[n], RuntimeError) and str(out[n]) == "VSD 503" for n in "abc")
    assert out["b"] is not out["c"]  # each caller raises its own copy


def test_a_poll_takes_an_answer_sent_since_its_last_poll_that_covers_its_names():
    shared, backend = SharedReads(), Backend()
    backend.release.set()
    with shared.waiting("k", ["b"]):  # b is polling: a's request asks for b too
        before = 0.0
        assert shared.read("k", ["a"], backend.read)["a"] == ("A", 1)
        assert shared.read("k", ["b"], backend.read, after=before)["b"] == ("B", 1)  # a's answer
    assert backend.asked == [["a", "b"]]
    assert shared.read("k", ["b"], backend.read, after=time.monotonic())["b"] == ("B", 2)  # none since
    assert shared.read("k", ["c"], backend.read, after=0.0)["c"] == ("C", 3)  # c was in none


@pytest.mark.parametrize("gather", [0.0, 0.05])
def test_reads_of_other_kinds_do_not_wait_for_each_other(gather: float):
    shared, backend = SharedReads(gather=gather), Backend()
    out: dict[str, object] = {}
    t = call(shared, backend, "a", out)
    backend.started.acquire()  # "k" is under way and held
    other = shared.read("other", ["x"], lambda names: {n: n for n in names})
    assert other == {"x": "x"}
    backend.release.set()
    t.join(5)
    assert out["a"] == ("A", 1)
