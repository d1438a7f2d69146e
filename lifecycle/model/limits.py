"""Concurrency limits per endpoint: how many steps may run at once against each undercloud,
Ironic, switch, OneView, ... as the engine's ``limits`` mapping.

A runbook's steps name their system per endpoint (``ironic:uc-new``, ``undercloud:uc-old``,
``fabric:c02-leaf1``); the engine looks a system up by its exact name, then by its kind (the part
before ``:``), so a kind's limit applies to *each* endpoint of that kind, not to all of them
together. Precedence, lowest first: the runbook's defaults, the endpoints file's ``limits:``
(per kind), each endpoint's own ``steps_at_once``, then a command-line override of a kind.

>>> from lifecycle.model.endpoints import parse_endpoints
>>> ep = parse_endpoints({"limits": {"ironic": 16},
...                       "ironic": {"uc-new": {"url": "http://i", "steps_at_once": 4}}}, "e.yaml")
>>> step_limits(ep, {"ironic": 32, "undercloud": 1})
{'ironic': 16, 'undercloud': 1, 'ironic:uc-new': 4}
"""

from __future__ import annotations

from collections.abc import Mapping

from lifecycle.model.endpoints import Endpoints


def endpoint_limits(ep: Endpoints) -> dict[str, int]:
    """``kind:name`` (or the kind, for a single endpoint) -> its own ``steps_at_once``."""
    own: dict[str, int | None] = {
        **{f"ironic:{n}": e.steps_at_once for n, e in ep.ironic.items()},
        **{f"undercloud:{n}": e.steps_at_once for n, e in ep.underclouds.items()},
        **{f"fabric:{n}": ep.fabric.device(n).steps_at_once for n in ep.fabric.devices},
        "oneview": ep.oneview.steps_at_once if ep.oneview else None,
        "ztp": ep.ztp.steps_at_once if ep.ztp else None,
        "vsd": ep.vsd.steps_at_once if ep.vsd else None,
    }
    out = {k: v for k, v in own.items() if v is not None}
    if ep.fabric.defaults.steps_at_once is not None:  # every switch, also those not listed yet
        out["fabric"] = ep.fabric.defaults.steps_at_once
    return out


def step_limits(ep: Endpoints, defaults: Mapping[str, int],
                overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """The engine's limits for a run: ``defaults`` (the runbook's, per kind) under the endpoints
    file; ``overrides`` (per kind, e.g. ``i2 rack apply --parallel``) replace every endpoint's."""
    out = {**defaults, **ep.limits, **endpoint_limits(ep)}
    for kind, n in (overrides or {}).items():
        out = {k: v for k, v in out.items() if k.split(":", 1)[0] != kind}
        out[kind] = n
    return out
