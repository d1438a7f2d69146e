"""The twin's applications as their VMs run them: which ports answer, the writers' quiesce state,
and what i2 calls the applications' writer hooks through: an HTTP forward proxy, and an SSH jump
host (:class:`HookJump`) in front of each VM's sshd.

In production i2 reaches the VMs' hook endpoints (``writer_hook: {kind: http, ...}`` in the site)
through a proxy or jump host; the twin plays that proxy on 127.0.0.1. A hook request arrives in
absolute form (``POST http://10.20.3.5:8081/admin/writers``), or for an ``https`` hook as
``CONNECT 10.20.3.5:8081`` followed by TLS with a certificate for the VM's address, issued by the
VMs' own CA (``vm_access.ca_file``). The proxy finds the twin VM holding that address in either
cloud and answers as its application would:

- no VM holds the address: **502** (the proxy cannot connect), as a forward proxy answers;
- the VM is not ACTIVE: **504** (nothing answers before the proxy gives up);
- the application is down (fault ``netscaler.app_down=<vm>``) or the port is not one it listens
  on: **502** (connection refused);
- the hook's path and ``method``: the VM's writers are quiesced (200); ``resume_method``: resumed
  (200); another method on that path 405, another path 404; plain HTTP to an ``https`` hook 400.

SSH hooks (``writer_hook: {kind: ssh, user, command, resume_command}``) go through the jump host on
127.0.0.1, as ``ssh -J``: i2 logs in to it (user ``i2``, its key), opens a ``direct-tcpip`` channel
to ``<vm-ip>:22`` (refused like a connection to a VM that is not there, not ACTIVE, or whose
application the faults keep down) and logs in over it to the VM's sshd as the hook's ``user`` with
the same key. Each application's VMs present that application's host key (its image's); the
lab's ``known_hosts`` lists the jump host and every address of the application's subnets A and B.
The hook's ``command`` quiesces the VM's writers, ``resume_command`` resumes them (exit 0); any
other command exits 127.

The quiesce state is the twin's (:meth:`VmDirectory.frozen`), what the workload probes read.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import socket
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import paramiko
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lifecycle.lab.base import FaultPlan
from lifecycle.lab.undercloud.keys import ensure_key, write_known_hosts
from lifecycle.lab.undercloud.sshd import QUIET_LOG, Session
from lifecycle.model.schema import Site
from lifecycle.model.schema_lb import HttpHook, SshHook

log = logging.getLogger("i2.lab.vmhooks")


class VmDirectory:
    """The site's VMs as the twin's clouds run them, and what their applications answer."""

    def __init__(self, site: Site, clouds: list[Any], faults: FaultPlan | None = None):
        self.site, self.clouds = site, clouds
        self.faults = faults or FaultPlan()
        self.app_of: dict[str, tuple[str, str]] = {}  # VM name -> (application, environment)
        self.ports: dict[str, set[int]] = {}  # application -> ports its VMs listen on
        self._frozen: set[str] = set()  # server ids whose writers are quiesced
        self._lock = threading.Lock()
        monitors = {m.monitorname: m for m in (site.loadbalancer.monitors if site.loadbalancer else [])}
        for a in site.applications:
            ports = self.ports.setdefault(a.name, set())
            if isinstance(a.writer_hook, HttpHook):
                ports.add(a.writer_hook.port)
            elif isinstance(a.writer_hook, SshHook):
                ports.add(22)  # the VMs' sshd
            for env, spec in a.environments.items():
                for vm in spec.vms:
                    self.app_of[vm.name] = (a.name, env)
                if spec.lb is not None:
                    ports.add(spec.lb.servicegroup.port)
                    mon = monitors.get(spec.lb.monitor)
                    if mon is not None and mon.destport:
                        ports.add(mon.destport)
        # what consumers call (talks_to, exposed_to, rules): the application serves it
        from lifecycle.lab.probes import probes_from_site

        for p in probes_from_site(site):
            if p.port:
                self.ports.setdefault(p.app, set()).add(p.port)

    def by_ip(self, ip: str) -> Any | None:
        """The twin VM (a ServerView) holding ``ip`` in any cloud; ACTIVE ones first."""
        found = [s for c in self.clouds for s in c.servers() if any(a[2] == ip for a in s.addresses)]
        found.sort(key=lambda s: s.status != "ACTIVE")
        return found[0] if found else None

    def down(self, vm: str) -> bool:
        return self.faults.has("netscaler", "app_down", vm)

    def listens(self, vm: str, port: int | None) -> bool:
        """Does ``vm``'s application answer on ``port`` (None: ICMP, the VM itself answers)?"""
        if port is None:
            return True
        app = self.app_of.get(vm)
        return app is not None and not self.down(vm) and port in self.ports.get(app[0], set())

    # -- writers -----------------------------------------------------------------------------
    def frozen(self, server_id: str) -> bool:
        with self._lock:
            return server_id in self._frozen

    def set_frozen(self, server_id: str, frozen: bool) -> None:
        with self._lock:
            (self._frozen.add if frozen else self._frozen.discard)(server_id)

    def connect(self, ip: str, port: int) -> tuple[Any, tuple[int, dict[str, Any]] | None]:
        """The VM a proxy's connection to ``ip:port`` reaches, or what the proxy answers instead."""
        vm = self.by_ip(ip)
        if vm is None:
            return None, (502, {"error": f"proxy: cannot connect to {ip}:{port}: no route to host"})
        if vm.status != "ACTIVE":
            return vm, (504, {"error": f"proxy: {ip}:{port} did not answer ({vm.name} is {vm.status})"})
        if not self.listens(vm.name, port):
            return vm, (502, {"error": f"proxy: connection to {ip}:{port} refused"})
        return vm, None

    def hook(self, method: str, ip: str, port: int, path: str, tls: bool) -> tuple[int, dict[str, Any]]:
        """What the VM at ``ip`` answers to ``method path`` on ``port`` (status, JSON body)."""
        vm, refused = self.connect(ip, port)
        if refused is not None:
            return refused
        app = self.site.application(self.app_of[vm.name][0])
        hook = app.writer_hook
        if not isinstance(hook, HttpHook) or hook.port != port:
            return 404, {"error": f"{vm.name}: no resource at {path}"}
        if (hook.scheme == "https") != tls:
            return 400, {"error": "The plain HTTP request was sent to HTTPS port" if not tls
                         else "TLS on a plain HTTP port"}
        if path.split("?", 1)[0] != hook.path:
            return 404, {"error": f"{vm.name}: no resource at {path}"}
        if method not in (hook.method, hook.resume_method):
            return 405, {"error": f"{vm.name}: method {method} not allowed on {path}"}
        quiesce = method == hook.method
        self.set_frozen(vm.id, quiesce)
        log.info("writers of %s %s", vm.name, "quiesced" if quiesce else "resumed")
        return 200, {"vm": vm.name, "writers": "quiesced" if quiesce else "running"}


class VmCa:
    """The VMs' CA (not the twin's: applications' certificates come from the enterprise's PKI);
    a certificate per VM address on demand."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "i2 twin VMs CA")])
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - dt.timedelta(minutes=5))
                     .not_valid_after(now + dt.timedelta(days=365))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.ca_file = directory / "vm-ca.pem"
        self.ca_file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def context(self, ip: str) -> ssl.SSLContext:
        with self._lock:
            if ip not in self._contexts:
                self._contexts[ip] = self._issue(ip)
            return self._contexts[ip]

    def _issue(self, ip: str) -> ssl.SSLContext:
        now = dt.datetime.now(dt.UTC)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ip)]))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                               critical=False)
                .sign(self.key, hashes.SHA256()))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory() as tmp:  # load_cert_chain reads files only
            pem = Path(tmp) / "vm.pem"
            pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))
            ctx.load_cert_chain(pem)
        return ctx


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "i2-twin-proxy"
    sys_version = ""
    tunnel: tuple[str, int] | None = None  # set on the handler of a CONNECT tunnel's inner requests

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("vm hook proxy: " + format, *args)

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _request(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        vms: VmDirectory = self.server.vms  # type: ignore[attr-defined]
        if self.tunnel is not None:
            ip, port = self.tunnel
            status, body = vms.hook(self.command, ip, port, self.path, tls=True)
            return self._answer(status, body)
        parts = urlsplit(self.path)
        if parts.scheme != "http" or not parts.hostname:
            return self._answer(400, {"error": "a forward proxy takes absolute-form requests "
                                               "(http://host:port/path) or CONNECT"})
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        status, body = vms.hook(self.command, parts.hostname, parts.port or 80, path, tls=False)
        self._answer(status, body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _request

    def do_CONNECT(self) -> None:
        host, _, port_text = self.path.rpartition(":")
        vms: VmDirectory = self.server.vms  # type: ignore[attr-defined]
        try:
            port = int(port_text)
            ipaddress.ip_address(host)
        except ValueError:
            return self._answer(400, {"error": f"CONNECT {self.path}: expected <ip>:<port>"})
        _, refused = vms.connect(host, port)
        if refused is not None:
            return self._answer(*refused)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        ca: VmCa = self.server.ca  # type: ignore[attr-defined]
        try:
            conn = ca.context(host).wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.info("vm hook proxy: TLS with the client failed: %s", exc)
            self.close_connection = True
            return
        inner = type("_Tunnel", (_ProxyHandler,), {"tunnel": (host, port)})
        try:
            inner(conn, self.client_address, self.server)
        finally:
            conn.close()
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class HookProxy:
    """The forward proxy on 127.0.0.1 (``vm_access.http_proxy``)."""

    def __init__(self, vms: VmDirectory, ca: VmCa, host: str = "127.0.0.1", port: int = 0):
        self.vms, self.ca = vms, ca
        self._srv = _Server((host, port), _ProxyHandler)
        self._srv.vms = vms  # type: ignore[attr-defined]
        self._srv.ca = ca  # type: ignore[attr-defined]
        self.port = self._srv.server_address[1]
        self._thread = threading.Thread(target=self._srv.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="twin-vm-hook-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HookProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._srv.shutdown()
        self._srv.server_close()


class _JumpLogin(paramiko.ServerInterface):
    """The jump host's policy: i2's key for ``user``, and ``direct-tcpip`` to a VM's port 22 only."""

    def __init__(self, jump: HookJump, user: str):
        self.jump, self.user, self.targets = jump, user, {}  # channel id -> (ip, port)

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        ok = username == self.user and key.asbytes() == self.jump.client_key.asbytes()
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_direct_tcpip_request(self, chanid: int, origin: Any, destination: Any) -> int:
        ip, port = destination
        _, refused = self.jump.vms.connect(ip, port)
        if refused is not None or port != 22:
            log.info("vm hook jump: %s:%s: connect failed", ip, port)
            return paramiko.OPEN_FAILED_CONNECT_FAILED
        self.targets[chanid] = (ip, port)
        return paramiko.OPEN_SUCCEEDED


class _VmLogin(_JumpLogin):
    """A VM's sshd: the hook's user with i2's key; exec of the hook's commands only."""

    def __init__(self, jump: HookJump, vm: Any, hook: SshHook):
        super().__init__(jump, hook.user)
        self.vm, self.hook = vm, hook

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_SUCCEEDED if kind == "session" else \
            paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_direct_tcpip_request(self, chanid: int, origin: Any, destination: Any) -> int:
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        session = Session(channel, command.decode(errors="replace"), self.user)
        threading.Thread(target=self._exec, args=(session,), daemon=True, name="twin-vm-sshd-exec").start()
        return True

    def _exec(self, session: Session) -> None:
        quiesce = session.command == self.hook.command
        if quiesce or session.command == self.hook.resume_command:
            self.jump.vms.set_frozen(self.vm.id, quiesce)
            log.info("writers of %s %s over SSH", self.vm.name, "quiesced" if quiesce else "resumed")
            session.write(f"writers {'quiesced' if quiesce else 'running'}")
            return session.finish(0)
        session.write(f"bash: {session.command.split(' ', 1)[0]}: command not found")
        session.finish(127)


class HookJump:
    """The SSH jump host on 127.0.0.1 (``vm_access.ssh_jump``) and the VMs' sshd behind it. Keys
    live in ``directory`` (made once, reused when the lab restarts): i2's ``id_ed25519``, the jump
    host's and each SSH-hook application's host key, and ``known_hosts`` with all of them."""

    USER = "i2"

    def __init__(self, vms: VmDirectory, directory: Path, host: str = "127.0.0.1"):
        self.vms, self.dir, self.host = vms, directory, host
        self.client_key = ensure_key(directory / "id_ed25519", comment="i2@twin")
        self.host_key = ensure_key(directory / "jump" / "ssh_host_ed25519_key")
        self.app_keys = {a.name: ensure_key(directory / "vms" / a.name / "ssh_host_ed25519_key")
                         for a in vms.site.applications if isinstance(a.writer_hook, SshHook)}
        self._sock = socket.create_server((host, 0))
        self.port = self._sock.getsockname()[1]
        self._stopped = threading.Event()
        self.known_hosts = directory / "known_hosts"
        entries = [(host, self.port, self.host_key)]
        for a in vms.site.applications:
            for spec in a.environments.values() if a.name in self.app_keys else ():
                for cidr in (spec.subnets.a, spec.subnets.b):
                    entries += [(str(ip), 22, self.app_keys[a.name])
                                for ip in ipaddress.ip_network(str(cidr)).hosts()]
        write_known_hosts(self.known_hosts, entries)

    def start(self) -> HookJump:
        threading.Thread(target=self._accept, daemon=True, name="twin-vm-hook-jump").start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._sock.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn, self.host_key, _JumpLogin(self, self.USER)),
                             daemon=True, name="twin-vm-hook-jump-conn").start()

    def _serve(self, sock: Any, key: paramiko.PKey, login: _JumpLogin) -> None:
        """One SSH connection (to the jump host, or to a VM over a jump channel) until it ends."""
        transport = paramiko.Transport(sock)
        transport.set_log_channel(QUIET_LOG)
        transport.add_server_key(key)
        try:
            transport.start_server(server=login)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            log.debug("vm hook jump: SSH negotiation failed: %s", exc)
            transport.close()
            return
        channels: list[paramiko.Channel] = []  # paramiko holds channels weakly: keep them
        while transport.is_active() and not self._stopped.is_set():
            chan = transport.accept(1.0)
            channels = [c for c in channels if not c.closed]
            if chan is None:
                continue
            channels.append(chan)
            target = login.targets.pop(chan.get_id(), None)
            if target is not None:  # a jump channel: the VM's sshd answers on it
                self._to_vm(chan, target[0])
        transport.close()

    def _to_vm(self, chan: paramiko.Channel, ip: str) -> None:
        vm = self.vms.by_ip(ip)
        name = self.vms.app_of.get(vm.name, ("", ""))[0] if vm is not None else ""
        app = self.vms.site.application(name) if name in self.app_keys else None
        if app is None:  # an sshd with no account for i2
            chan.close()
            return
        threading.Thread(target=self._serve, args=(chan, self.app_keys[app.name],
                                                   _VmLogin(self, vm, app.writer_hook)),
                         daemon=True, name="twin-vm-sshd").start()


__all__ = ["HookJump", "HookProxy", "VmCa", "VmDirectory"]
