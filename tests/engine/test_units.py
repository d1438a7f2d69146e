"""Pure units: redaction, error classification, plan validation, retry policy, registry."""

from __future__ import annotations

import errno
import socket

import pytest

from lifecycle.engine import (
    Action,
    ActionRegistry,
    PermanentError,
    Plan,
    PlanError,
    RetryPolicy,
    StepSpec,
    TransientError,
    UnknownAction,
    check_dag,
    is_transient,
    load_runbook,
    register_classifier,
    unregister_classifier,
)
from lifecycle.redact import MASK, Redactor, is_secret_key

# --- redaction -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["password", "db_password", "PASSWD", "pass", "client_secret", "X-Auth-Token", "api_key",
     "apiKey", "api-key", "credentials", "Authorization", "private_key", "ssh-private-key"],
)
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)
    assert Redactor().redact({key: "v", "nested": [{key: {"a": 1}}]}) == {
        key: MASK, "nested": [{key: MASK}]
    }


@pytest.mark.parametrize("key", ["username", "host", "port", "name", "description"])
def test_ordinary_keys_kept(key: str) -> None:
    assert not is_secret_key(key)
    assert Redactor().redact({key: "v"}) == {key: "v"}


def test_registered_values_masked_inside_strings() -> None:
    r = Redactor(["hunter2-xyz", "abc"])  # "abc" is too short to register
    r.add("hunter2-xyz-longer")
    data = {
        "msg": "login hunter2-xyz-longer then hunter2-xyz",
        "list": ["x hunter2-xyz", 3, None, ("abc",)],
        "hunter2-xyz": "key holding a secret",
        "password": None,
    }
    assert r.redact(data) == {
        "msg": f"login {MASK} then {MASK}",
        "list": [f"x {MASK}", 3, None, ["abc"]],
        MASK: "key holding a secret",
        "password": None,
    }
    assert r.redact_text("use hunter2-xyz") == f"use {MASK}"
    assert len(r) == 2
    assert data["msg"].startswith("login hunter2")  # the input is not modified


# --- classification ------------------------------------------------------------------------


class _Status(Exception):
    def __init__(self, **attrs: object) -> None:
        super().__init__("http error")
        self.__dict__.update(attrs)


class _Resp:
    def __init__(self, code: int) -> None:
        self.status_code = code


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (TransientError("busy"), True),
        (PermanentError("no"), False),
        (ConnectionResetError(errno.ECONNRESET, "reset"), True),
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (socket.timeout(), True),  # noqa: UP041 - the alias adapters may still raise
        (OSError(errno.ETIMEDOUT, "timed out"), True),
        (OSError(errno.EPIPE, "broken pipe"), True),
        (OSError(errno.ENOENT, "missing"), False),
        (_Status(status_code=503), True),
        (_Status(status_code=429), True),
        (_Status(http_status=502), True),
        (_Status(status=504), True),
        (_Status(status="408"), True),
        (_Status(response=_Resp(500)), True),
        (_Status(status_code=404), False),
        (_Status(status_code=409), False),
        (_Status(status="ERROR"), False),
        (ValueError("bad"), False),
        (KeyError("x"), False),
    ],
)
def test_is_transient(exc: BaseException, expected: bool) -> None:
    assert is_transient(exc) is expected


def test_is_transient_follows_explicit_cause() -> None:
    try:
        try:
            raise ConnectionResetError("reset")
        except ConnectionResetError as inner:
            raise RuntimeError("sdk call failed") from inner
    except RuntimeError as exc:
        assert is_transient(exc)
    # An unrelated error raised while handling a network error is not transient.
    try:
        try:
            raise ConnectionResetError("reset")
        except ConnectionResetError:
            raise ValueError("bad config") from None
    except ValueError as exc:
        assert not is_transient(exc)
    # Explicit permanent wins over a transient cause.
    try:
        try:
            raise TimeoutError
        except TimeoutError as inner:
            raise PermanentError("gave up") from inner
    except PermanentError as exc:
        assert not is_transient(exc)


def test_register_classifier() -> None:
    class VendorBusy(Exception):
        code = "RESOURCE_BUSY"

    def vendor(exc: BaseException) -> bool | None:
        return True if getattr(exc, "code", None) == "RESOURCE_BUSY" else None

    def never_retry_404(exc: BaseException) -> bool | None:
        return False if getattr(exc, "status_code", None) == 503 else None

    assert not is_transient(VendorBusy())
    register_classifier(vendor)
    register_classifier(never_retry_404)
    try:
        assert is_transient(VendorBusy())
        assert not is_transient(_Status(status_code=503))  # a classifier may veto built-ins
        assert not is_transient(ValueError())
    finally:
        unregister_classifier(vendor)
        unregister_classifier(never_retry_404)
    assert not is_transient(VendorBusy())


# --- plans ---------------------------------------------------------------------------------


def _s(key: str, deps: tuple[str, ...] = (), after: tuple[str, ...] = ()) -> StepSpec:
    return StepSpec(key=key, target="t", action="a", deps=list(deps), after=list(after))


def _plan(*steps: StepSpec, runbook: str = "tests.engine.toy:build") -> Plan:
    return Plan(kind="toy", target="rack:x", runbook=runbook, steps=list(steps))


def test_plan_validation_errors() -> None:
    with pytest.raises(ValueError, match=r"duplicate step key.*: a"):
        _plan(_s("a"), _s("a"))
    with pytest.raises(ValueError, match="'b' depends on unknown step 'zz'"):
        _plan(_s("a"), _s("b", deps=("zz",)))
    with pytest.raises(ValueError, match="'b' runs after unknown step 'zz'"):
        _plan(_s("a"), _s("b", after=("zz",)))
    cycles = "a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c"
    with pytest.raises(ValueError, match=rf"dependency cycle: ({cycles})"):
        _plan(_s("a", deps=("c",)), _s("b", deps=("a",)), _s("c", after=("b",)))
    with pytest.raises(ValueError, match="cycle: a -> a"):
        _plan(_s("a", deps=("a",)))
    with pytest.raises(ValueError, match="module:factory"):
        _plan(_s("a"), runbook="not a path")
    with pytest.raises(ValueError, match="extra"):
        StepSpec(key="a", target="t", action="x", bogus=1)  # type: ignore[call-arg]


def test_check_dag_order_and_error_type() -> None:
    order = check_dag([_s("c", deps=("b",)), _s("b", after=("a",)), _s("a")])
    assert order == ["a", "b", "c"]
    with pytest.raises(PlanError):
        check_dag([_s("a", deps=("b",)), _s("b", deps=("a",))])


def test_big_chain_does_not_recurse() -> None:
    steps = [_s("s0")] + [_s(f"s{i}", deps=(f"s{i - 1}",)) for i in range(1, 5000)]
    assert check_dag(steps)[-1] == "s4999"


# --- retry policy / registry / runbooks ----------------------------------------------------


def test_retry_policy_backoff() -> None:
    p = RetryPolicy(base_delay=0.5, max_delay=3, jitter=0)
    assert [p.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3, 3]
    j = RetryPolicy(base_delay=1.0, jitter=0.5)
    delays = [j.delay(1) for _ in range(200)]
    assert all(0.5 <= d <= 1.5 for d in delays)
    assert len(set(delays)) > 1


def test_registry_unknown_action_named() -> None:
    class A(Action):
        name = "x.one"

    reg = ActionRegistry([A()])
    assert "x.one" in reg and reg.get("x.one").name == "x.one"
    with pytest.raises(UnknownAction, match=r"unknown action 'x\.two' \(known: x\.one\)"):
        reg.get("x.two")
    with pytest.raises(ValueError, match="already registered"):
        reg.register(A())


def test_load_runbook() -> None:
    from tests.engine import toy

    assert load_runbook("tests.engine.toy:build") is toy.build
    with pytest.raises(ValueError, match="module:factory"):
        load_runbook("tests.engine.toy")
    with pytest.raises(ValueError, match="no attribute"):
        load_runbook("tests.engine.toy:nope")
    with pytest.raises(ModuleNotFoundError):
        load_runbook("tests.engine.nope:build")
