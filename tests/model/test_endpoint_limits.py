"""Concurrency limits in the endpoints file (issue 12, hazard 3): per kind under ``limits:``, per
endpoint as ``steps_at_once``, Ironic's ``requests_at_once``; bad values name file:line:field."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle.model.endpoints import EndpointsInvalid, load_endpoints
from lifecycle.model.limits import step_limits

GOOD = """\
limits:
  ironic: 16
  undercloud: 2
oneview:
  url: https://ov
  username: admin
  password: {env: OV}
  steps_at_once: 4
fabric:
  defaults: {steps_at_once: 2}
  devices:
    c02-leaf1: {host: 10.0.0.1}
    c02-leaf2: {host: 10.0.0.2, steps_at_once: 1}
ironic:
  uc-new: {url: "http://127.0.0.1:6385", steps_at_once: 40, requests_at_once: 12}
  uc-old: {url: "http://127.0.0.1:6386"}
underclouds:
  uc-old: {host: uc-old, known_hosts: kh, steps_at_once: 1}
"""

RUNBOOK = {"oneview": 8, "ironic": 32, "fabric": 4, "ztp": 1, "undercloud": 1}


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "endpoints.yaml"
    p.write_text(text)
    return p


def test_limits_merge_over_the_runbooks_defaults(tmp_path: Path) -> None:
    ep = load_endpoints(write(tmp_path, GOOD))
    assert step_limits(ep, RUNBOOK) == {
        "oneview": 4, "ironic": 16, "fabric": 2, "ztp": 1, "undercloud": 2,   # kinds: each endpoint's default
        "ironic:uc-new": 40, "undercloud:uc-old": 1, "fabric:c02-leaf1": 2, "fabric:c02-leaf2": 1}
    assert ep.ironic["uc-new"].requests_at_once == 12
    assert ep.ironic["uc-old"].requests_at_once == 8  # production default (docs/endpoints.md)


def test_a_command_line_override_replaces_every_endpoint_of_its_kind(tmp_path: Path) -> None:
    limits = step_limits(load_endpoints(write(tmp_path, GOOD)), RUNBOOK, {"ironic": 5})
    assert limits["ironic"] == 5 and not any(k.startswith("ironic:") for k in limits)


def test_no_limits_in_the_file_keeps_the_runbooks(tmp_path: Path) -> None:
    assert step_limits(load_endpoints(write(tmp_path, "{}\n")), RUNBOOK) == RUNBOOK


@pytest.mark.parametrize(("text", "line", "field"), [
    ("limits:\n  ironic: 0\n", 2, "limits.ironic"),
    ("limits:\n  ironics: 4\n", 2, "limits.ironics.[key]"),  # a typo of a kind
    ("ironic:\n  uc-new:\n    url: http://i\n    requests_at_once: 0\n", 4, "ironic.uc-new.requests_at_once"),
    ("ironic:\n  uc-new:\n    url: http://i\n    steps_at_once: many\n", 4, "ironic.uc-new.steps_at_once"),
    ("underclouds:\n  uc-old:\n    host: h\n    known_hosts: k\n    steps_at_once: -1\n", 5,
     "underclouds.uc-old.steps_at_once"),
])
def test_a_bad_limit_names_file_line_and_field(tmp_path: Path, text: str, line: int, field: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(EndpointsInvalid) as exc:
        load_endpoints(path)
    where = [(p.file, p.line, p.field) for p in exc.value.problems]
    assert where == [(str(path), line, f"endpoints.{field}")], exc.value.problems
