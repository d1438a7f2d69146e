"""Writer hooks: what quiesces and resumes an application's writers on its VMs
(``applications[].writer_hook``), reached through the endpoints' ``vm_access`` section.

An HTTP hook is ``<method> <scheme>://<vm-ip>:<port><path>`` through ``vm_access.http_proxy``
(the VMs' tenant subnets are not routed to i2); the answer's status must be one of the hook's
``expect_status``. An SSH hook runs ``command`` (``resume_command``) on each VM as the hook's
``user``, through ``vm_access.ssh_jump`` with every host key verified against
``vm_access.known_hosts`` (:mod:`lifecycle.vmaccess.ssh`); exit status 0 is success. Quiesce and
resume are idempotent on the VM's side, so a resumed step simply calls them again. A hook the
endpoints give no way to reach is refused with :class:`HookError` before any request (readiness
blocks on it: :meth:`WriterHooks.check`).

Example (against a reachable proxy)::

    hooks = WriterHooks(endpoints)
    hooks.call(site.application("orders").writer_hook, ["10.20.3.5"], resume=False)
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import requests

from lifecycle.model.endpoints import Endpoints, SecretStore
from lifecycle.model.schema_lb import HttpHook, SshHook
from lifecycle.redact import redact

TRANSIENT_HTTP = frozenset({502, 503, 504})  # the proxy or the VM's service is not there yet


class HookError(Exception):
    """A writer hook failed or cannot be called; ``transient``: worth retrying."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


class WriterHooks:
    """Calls the writer hooks of an application on its VMs' addresses."""

    def __init__(self, endpoints: Endpoints, secrets: SecretStore | None = None):
        self.endpoints = endpoints
        self.access = endpoints.vm_access
        self.secrets = secrets
        self.http = requests.Session()
        self.http.trust_env = False  # only the proxy the endpoints name, never the environment's
        self._ssh: Any = None
        self._lock = threading.Lock()

    def check(self, hook: HttpHook | SshHook) -> str | None:
        """Why ``hook`` cannot be called with these endpoints (None: it can)."""
        if isinstance(hook, SshHook):
            if self.access is None or self.access.ssh_jump is None:
                return "the endpoints file has no vm_access.ssh_jump (with known_hosts and ssh_key_file) " \
                       "to reach the VMs' SSH writer hooks"
            return None
        if self.access is None or not self.access.http_proxy:
            return "the endpoints file has no vm_access.http_proxy to reach the VMs' writer hooks"
        return None

    def ssh(self) -> Any:
        """The SSH hooks' runner (one jump host connection for the process)."""
        from lifecycle.vmaccess.ssh import SshHooks

        with self._lock:
            if self._ssh is None:
                assert self.access is not None
                self._ssh = SshHooks(self.endpoints, self.access, self.secrets or SecretStore(self.endpoints))
            return self._ssh

    def call(self, hook: HttpHook | SshHook, ips: Iterable[str], *, resume: bool) -> list[dict[str, Any]]:
        """Quiesce (``resume=False``) or resume the writers on every address; one record per VM."""
        why = self.check(hook)
        if why is not None:
            raise HookError(why)
        if isinstance(hook, SshHook):
            from lifecycle.vmaccess.ssh import SshHookError

            try:
                return self.ssh().call(hook, ips, resume=resume)
            except SshHookError as exc:
                raise HookError(str(exc), transient=exc.transient) from None
        assert self.access is not None
        method = hook.resume_method if resume else hook.method
        verify: bool | str = str(self.endpoints.path(self.access.ca_file)) if self.access.ca_file \
            else self.access.verify
        out = []
        for ip in sorted(set(ips)):
            url = f"{hook.scheme}://{ip}:{hook.port}{hook.path}"
            try:
                res = self.http.request(method, url, timeout=self.access.timeout, verify=verify,
                                        proxies={"http": self.access.http_proxy,
                                                 "https": self.access.http_proxy})
            except requests.RequestException as exc:
                raise HookError(f"{method} {url}: {redact(str(exc))}", transient=True) from None
            if res.status_code not in hook.expect_status:
                raise HookError(f"{method} {url}: HTTP {res.status_code} (expected "
                                f"{', '.join(map(str, hook.expect_status))}): {redact(res.text[:200])}",
                                transient=res.status_code in TRANSIENT_HTTP)
            out.append({"ip": ip, "method": method, "status": res.status_code})
        return out

    def close(self) -> None:
        self.http.close()
        if self._ssh is not None:
            self._ssh.close()
