"""The endpoints of the load balancers: one NITRO endpoint per NetScaler device of the site.

A device of the site model (``loadbalancer.devices[].name``) is reached at its NSIP (or the HA
pair's management address) over HTTPS. ``auth: session`` logs in once (``NITRO_AUTH_TOKEN``
cookie, logged out on close); ``auth: headers`` sends ``X-NITRO-USER``/``X-NITRO-PASS`` with every
request, for appliances whose admin partitions or policies forbid sessions.

>>> ep = NetScaler.model_validate({"url": "https://ns1.example.net", "username": "i2",
...                                "password": {"secret": "ns"}})
>>> (ep.auth, ep.verify, ep.timeout, ep.connections)
('session', True, 30.0, 4)
>>> NetScaler.model_validate({"url": "https://ns1", "username": "i2", "password": {"env": "P"},
...                           "verify": False})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for NetScaler
  Value error, verify: false turns off TLS certificate and hostname checks; ...
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from lifecycle.model.endpoint_base import STEPS_AT_ONCE, SecretRef, Tls


class NetScaler(Tls):
    """One NetScaler (an HA pair is one device) as NITRO REST sees it."""

    url: str = Field(description="https://<NSIP or management name>, without /nitro")
    username: str
    password: SecretRef
    auth: Literal["session", "headers"] = Field(
        "session", description="session: login once, NITRO_AUTH_TOKEN cookie; headers: "
        "X-NITRO-USER/X-NITRO-PASS on every request")
    session_timeout: int | None = Field(
        None, ge=60, le=86400, description="idle seconds before the appliance ends i2's session "
        "(login timeout; default: the appliance's, usually 900); i2 logs in again once if it ends")
    timeout: float = Field(30.0, gt=0, le=600, description="seconds to connect and to read each answer")
    connections: int = Field(4, ge=1, le=64, description="HTTP connections kept to the appliance at "
                             "most; more requests wait (a NetScaler's management CPU is small)")
    steps_at_once: int | None = Field(None, ge=1, description=STEPS_AT_ONCE)

    @field_validator("url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        if "/nitro" in value:
            raise ValueError("give the appliance's base URL; i2 adds /nitro/v1/config itself")
        return value.rstrip("/")
