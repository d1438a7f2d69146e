"""Every action a rack run may hold: the rack's own and the overcloud runbook's."""

from __future__ import annotations

from lifecycle.engine import Action, ActionRegistry
from lifecycle.runbooks import overcloud
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.rack.base import RackAction
from lifecycle.runbooks.rack.fabric import AwaitZtp, StageZtp, VerifyLeaf
from lifecycle.runbooks.rack.ironic import CheckInventory, Enroll, Inspect, Manage, Provide, Tag
from lifecycle.runbooks.rack.oneview import ApplyProfile, Identify, SyncTemplate

KINDS: tuple[type[RackAction], ...] = (StageZtp, AwaitZtp, VerifyLeaf, SyncTemplate, Identify, ApplyProfile,
                                       Enroll, Manage, Inspect, CheckInventory, Tag, Provide)


def actions(svc: Services) -> list[Action]:
    """The rack's actions and the overcloud's, bound to ``svc``."""
    return [k(svc) for k in KINDS] + overcloud.actions(svc)


def registry(svc: Services) -> ActionRegistry:
    return ActionRegistry(actions(svc))
