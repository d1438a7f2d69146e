"""Every action of an overcloud chain."""

from __future__ import annotations

from lifecycle.engine import Action
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.overcloud.base import OvercloudAction
from lifecycle.runbooks.overcloud.deploy import Deploy, EnsureDeployed, NodeDelete, Prove
from lifecycle.runbooks.overcloud.files import Render, Upload, Validate

KINDS: tuple[type[OvercloudAction], ...] = (Render, Validate, Upload, Deploy, EnsureDeployed, NodeDelete,
                                           Prove)


def actions(svc: Services) -> list[Action]:
    """The overcloud's actions, bound to ``svc``."""
    return [k(svc) for k in KINDS]
