"""How i2 reaches the applications' VMs themselves (not their clouds' APIs): the writer hooks
of ``applications[].writer_hook`` run on every VM of a side, at its address from Nova.

VMs sit on tenant subnets i2 does not route to; an HTTP hook goes through ``http_proxy`` (the
jump host's forward proxy), as ``<method> <scheme>://<vm-ip>:<port><path>``. TLS to a VM
(``scheme: https`` hooks) is verified against ``ca_file`` like every endpoint. An SSH jump host
for ``kind: ssh`` hooks is the next field this section will get; until then such a hook is
refused with a clear error before anything moves.

>>> VmAccess.model_validate({"http_proxy": "http://jump.example:3128"}).timeout
10.0
>>> VmAccess.model_validate({"http_proxy": "jump:3128"})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for VmAccess
http_proxy
  Value error, 'jump:3128' is not an http(s) URL ...
"""

from __future__ import annotations

from pydantic import Field, field_validator

from lifecycle.model.endpoint_base import Tls


class VmAccess(Tls):
    """The path from i2 to the applications' VMs."""

    http_proxy: str | None = Field(
        None, description="forward proxy (http://host:port) that reaches the VMs' addresses for HTTP hooks")
    timeout: float = Field(10.0, gt=0, le=600, description="seconds a hook may take to answer")

    @field_validator("http_proxy")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value
