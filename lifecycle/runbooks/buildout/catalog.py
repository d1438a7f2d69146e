"""Every action a build-out run may hold: the rack runbook's (its overcloud's included) and the
build-out's own steps (gates, the VSD bootstrap, each cloud's proof)."""

from __future__ import annotations

from lifecycle.engine import Action, ActionRegistry
from lifecycle.runbooks import rack
from lifecycle.runbooks.buildout.checks import Nrfu, UndercloudReady
from lifecycle.runbooks.buildout.prove import ProveCloud
from lifecycle.runbooks.buildout.spines import StageSpines, VerifySpine
from lifecycle.runbooks.buildout.vsd import BootstrapVsd
from lifecycle.runbooks.common import Services

KINDS = (UndercloudReady, Nrfu, StageSpines, VerifySpine, BootstrapVsd, ProveCloud)


def actions(svc: Services) -> list[Action]:
    return [*rack.actions(svc), *(k(svc) for k in KINDS)]


def registry(svc: Services) -> ActionRegistry:
    return ActionRegistry(actions(svc))
