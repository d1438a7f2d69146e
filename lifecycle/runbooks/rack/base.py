"""What the rack runbook's actions share: the services they act through, the server a step is
about, and the params every per-server step carries."""

from __future__ import annotations

from lifecycle.engine import Action, PermanentError, StepParams, StepView
from lifecycle.model.schema import Server
from lifecycle.runbooks.common import Services


class RackAction(Action):
    """An action bound to the site and endpoints of its run."""

    def __init__(self, svc: Services):
        self.svc = svc

    def server(self, step: StepView) -> Server:
        name = step.params.server
        try:
            return next(s for s in self.svc.site.servers if s.name == name)
        except StopIteration:
            raise PermanentError(f"no server {name!r} in site {self.svc.site.site.name}") from None


class ServerParams(StepParams):
    """A server's step: the server, the undercloud it enrolls in, and the step whose outputs
    (OneView's iLO and MACs) its node spec is made of.

    >>> ServerParams(server="c02-s01", undercloud="uc-new", identify_step="c02-s01/identify").server
    'c02-s01'
    """

    server: str
    undercloud: str
    identify_step: str


def diff_lines(text: str) -> int:
    """Changed lines in a unified diff (headers left out).

    >>> diff_lines("--- running\\n+++ rendered\\n-vlan 10\\n+vlan 20\\n vlan 30")
    2
    """
    return sum(1 for line in text.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---"))
