"""tests/unavailable.py: a test that cannot run fails under CI and is skipped elsewhere.

Only ``$CI`` is set or removed (monkeypatch), so the outcome does not depend on where this runs."""

from __future__ import annotations

import pytest

from tests.unavailable import unavailable

REASON = "no frobnicator (apt-get install frobnicator)"


@pytest.mark.parametrize("value", ["1", "true", "false"])
def test_under_ci_it_fails_with_the_reason(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """Any non-empty ``$CI`` is CI, ``false`` included: the strict reading, never a silent skip."""
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception) as failed:
        unavailable(REASON)
    assert REASON in str(failed.value)


@pytest.mark.parametrize("value", [None, ""])
def test_without_ci_it_skips_with_the_reason(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception) as skipped:
        unavailable(REASON)
    assert str(skipped.value) == REASON
