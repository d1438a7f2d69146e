"""How i2 reaches the applications' VMs themselves (not their clouds' APIs): the writer hooks
of ``applications[].writer_hook`` run on every VM of a side, at its address from Nova.

VMs sit on tenant subnets i2 does not route to. An HTTP hook goes through ``http_proxy`` (the
jump host's forward proxy), as ``<method> <scheme>://<vm-ip>:<port><path>``; TLS to a VM
(``scheme: https`` hooks) is verified against ``ca_file`` like every endpoint. An SSH hook goes
through ``ssh_jump``: i2 logs in to the jump host, opens a ``direct-tcpip`` channel from it to the
VM's port 22 (what ``ssh -J`` does) and logs in to the VM over that channel as the hook's
``user`` with ``ssh_key_file``. Every host key, the jump host's and each VM's, is verified
against ``known_hosts`` (OpenSSH format; a VM by its address): an unknown or changed key is
refused, never added.

>>> VmAccess.model_validate({"http_proxy": "http://jump.example:3128"}).timeout
10.0
>>> VmAccess.model_validate({"http_proxy": "jump:3128"})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for VmAccess
http_proxy
  Value error, 'jump:3128' is not an http(s) URL ...
>>> VmAccess.model_validate({"ssh_jump": {"host": "jump.example", "username": "i2",
...                                       "key_file": {"secret": "jump-key"}}})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for VmAccess
  Value error, ssh_jump needs known_hosts (the jump host's and the VMs' host keys: ...
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from lifecycle.model.endpoint_base import SecretRef, Tls
from lifecycle.model.schema import Strict


class SshJump(Strict):
    """The SSH jump host (bastion) that reaches the VMs' addresses."""

    host: str = Field(min_length=1)
    port: int = Field(22, ge=1, le=65535)
    username: str = Field(min_length=1)
    key_file: SecretRef | None = Field(None, description="private key to log in to the jump host")
    password: SecretRef | None = Field(None, description="or its password (or the key's passphrase)")

    @model_validator(mode="after")
    def _login(self) -> SshJump:
        if self.key_file is None and self.password is None:
            raise ValueError("ssh_jump needs key_file or password to log in")
        return self


class VmAccess(Tls):
    """The path from i2 to the applications' VMs."""

    http_proxy: str | None = Field(
        None, description="forward proxy (http://host:port) that reaches the VMs' addresses for HTTP hooks")
    ssh_jump: SshJump | None = Field(
        None, description="jump host that reaches the VMs' port 22 for SSH hooks")
    ssh_key_file: SecretRef | None = Field(
        None, description="private key i2 logs in to the VMs with, as each SSH hook's user")
    known_hosts: str | None = Field(
        None, description="known_hosts file with the jump host's and the VMs' host keys (always verified)")
    timeout: float = Field(10.0, gt=0, le=600, description="seconds a hook may take to answer")

    @field_validator("http_proxy")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @model_validator(mode="after")
    def _ssh_complete(self) -> VmAccess:
        if self.ssh_jump is not None and (not self.known_hosts or self.ssh_key_file is None):
            raise ValueError("ssh_jump needs known_hosts (the jump host's and the VMs' host keys: they are "
                             "always verified) and ssh_key_file (the key i2 logs in to the VMs with)")
        return self
