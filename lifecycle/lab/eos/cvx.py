"""CloudVision eXchange: an EOS instance (vEOS) whose ``cvx`` service the switches register with.

>>> cvx = CVX("cvx1", "SSJ00000001", "00:1c:73:00:00:99", mgmt_ip="10.0.0.5")
>>> cvx.cli("show cvx").splitlines()[1]
'  Status: Enabled'
"""

from __future__ import annotations

from typing import Any

from lifecycle.lab.eos.switch import Switch

DEFAULT_CONFIG = """hostname {hostname}
username admin privilege 15 role network-admin secret 0 {password}
!
interface Management1
   ip address {mgmt}/24
!
management api http-commands
   no shutdown
!
cvx
   no shutdown
   service openstack
      no shutdown
"""


class CVX(Switch):
    """A CVX server. Without ``config`` it boots with ``cvx / no shutdown`` and eAPI enabled."""

    component = "cvx"

    def __init__(
        self,
        name: str,
        serial: str,
        system_mac: str,
        *,
        mgmt_ip: str,
        model: str = "vEOS",
        config: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ):
        if config is None and not kwargs.get("ztp"):
            config = DEFAULT_CONFIG.format(
                hostname=name, password=password or "admin", mgmt=mgmt_ip.split("/")[0]
            )
        super().__init__(
            name,
            model,
            serial,
            system_mac,
            mgmt_ip=mgmt_ip.split("/")[0],
            config=config,
            password=password,
            **kwargs,
        )
