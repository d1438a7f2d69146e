"""NetScaler (Citrix ADC) adapter: NITRO REST over ``requests``, as the NetScaler Ansible
collection speaks it. :class:`LoadBalancer` is the facade (observe, diff, apply; member moves
for the upgrade), :class:`Nitro` the session, :class:`LbError` the root of its errors (each
carries ``transient``). See docs/loadbalancer.md.

Example (needs a reachable NetScaler)::

    lb = LoadBalancer.connect(endpoints, SecretStore(endpoints), "ns1")
    for intent in intents(site, "billing"):
        lb.apply(intent)
        lb.who_serves(intent)["serving_sides"]       # ["a"]
"""

from lifecycle.loadbalancer.client import Nitro
from lifecycle.loadbalancer.errors import Conflict, LbError, NitroError, NitroResult, WouldStopServing
from lifecycle.loadbalancer.intent import LbIntent, intents
from lifecycle.loadbalancer.lb import Change, LoadBalancer, Observed, diff, who_serves
from lifecycle.loadbalancer.members import Member

__all__ = ["Change", "Conflict", "LbError", "LbIntent", "LoadBalancer", "Member", "Nitro", "NitroError",
           "NitroResult", "Observed", "WouldStopServing", "diff", "intents", "who_serves"]
