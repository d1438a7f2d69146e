"""Every action a build-out run may hold: the rack runbook's (its overcloud's included) and the
build-out's own gates."""

from __future__ import annotations

from lifecycle.engine import Action, ActionRegistry
from lifecycle.runbooks import rack
from lifecycle.runbooks.buildout.checks import Nrfu, UndercloudReady
from lifecycle.runbooks.buildout.spines import StageSpines, VerifySpine
from lifecycle.runbooks.common import Services

KINDS = (UndercloudReady, Nrfu, StageSpines, VerifySpine)


def actions(svc: Services) -> list[Action]:
    return [*rack.actions(svc), *(k(svc) for k in KINDS)]


def registry(svc: Services) -> ActionRegistry:
    return ActionRegistry(actions(svc))
