"""OneView adapter: server profile templates from hardware profiles, profiles on servers,
identity checks and the facts Ironic needs (hpOneView 5.3.0, TLS verified).

Example (needs a reachable appliance)::

    from lifecycle.oneview import OneViewServers, connect
    ov = OneViewServers(connect(endpoints))
"""

from lifecycle.oneview.client import OneViewError, connect
from lifecycle.oneview.servers import (
    IdentityMismatch,
    IronicFacts,
    OneViewServers,
    ProfileResult,
    ServerMissing,
    TemplateChange,
    port_macs,
)
from lifecycle.oneview.templates import diff_template, template_body, template_name

__all__ = [
    "IdentityMismatch", "IronicFacts", "OneViewError", "OneViewServers", "ProfileResult", "ServerMissing",
    "TemplateChange", "connect", "diff_template", "port_macs", "template_body", "template_name",
]
