"""What every endpoint section shares: secret references, TLS settings, the step kinds.

Apart from :mod:`lifecycle.model.endpoints` so that sections defined in their own modules
(:mod:`lifecycle.model.endpoints_lb`) can use them without an import cycle.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from lifecycle.model.schema import Strict


class SecretRef(Strict):
    """Where a secret is found. Exactly one of env, file, secret."""

    env: str | None = None
    file: str | None = None
    secret: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_inline(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(
                "inline secrets are not allowed: use {env: VAR}, {file: PATH} or {secret: KEY}"
            )
        return value

    @model_validator(mode="after")
    def _one(self) -> SecretRef:
        if sum(v is not None for v in (self.env, self.file, self.secret)) != 1:
            raise ValueError("a secret reference needs exactly one of env, file, secret")
        return self

    def describe(self) -> str:
        """A printable name for the reference (never the value)."""
        if self.env:
            return f"env:{self.env}"
        if self.file:
            return f"file:{self.file}"
        return f"secret:{self.secret}"


STEPS_AT_ONCE = "steps run at once on this endpoint (default: limits.<kind>, else the runbook's)"
# the engine's step systems an endpoint serves (lifecycle.model.limits)
Kind = Literal["oneview", "ironic", "undercloud", "fabric", "ztp", "vsd", "nova", "neutron", "cinder",
               "files", "probes", "netscaler"]


class Tls(Strict):
    """TLS to a system: certificate and hostname always verified (system CA store unless
    ``ca_file``). Turning that off takes two keys together, so it is never an accident:
    ``verify: false`` and ``insecure_acknowledged: "<why>"``; every run then warns."""

    verify: bool = Field(True, description="verify the server certificate and hostname (default on)")
    ca_file: str | None = Field(None, description="CA bundle for a private CA (default: system store)")
    insecure_acknowledged: str | None = Field(
        None, description="required with verify: false: why it is acceptable (recorded in every run)")

    @model_validator(mode="after")
    def _insecure_is_acknowledged(self) -> Tls:
        if not self.verify and len((self.insecure_acknowledged or "").strip()) < INSECURE_REASON_MIN:
            raise ValueError(
                "verify: false turns off TLS certificate and hostname checks; say why next to it "
                f"with insecure_acknowledged: \"<reason, {INSECURE_REASON_MIN}+ characters>\" "
                "or give ca_file for a private CA instead")
        return self


INSECURE_REASON_MIN = 10  # a reason, not "yes"/"ok"
