"""The building blocks of every site model: strict models and the constrained field types."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", min_length=1, max_length=63),
]
Mac = Annotated[
    str,
    StringConstraints(
        pattern=r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$", to_lower=True, strip_whitespace=True
    ),
]
Asn = Annotated[int, Field(ge=1, le=4294967294)]
Vlan = Annotated[int, Field(ge=1, le=4094)]
Port = Annotated[int, Field(ge=1, le=65535)]
IPv4 = ipaddress.IPv4Address
IPv4Net = ipaddress.IPv4Network
IPv4If = ipaddress.IPv4Interface


class Strict(BaseModel):
    """Every model forbids unknown keys: a typo must be an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
