"""SSH writer hooks (billing's ``writer_hook: {kind: ssh}``) through the twin's jump host: i2's
client (lifecycle/vmaccess, paramiko) against the lab's SSH jump host and VM sshd
(lifecycle/lab/vmhooks.py, paramiko's server side); they agree only through the SSH wire. The
quiesce lands where the twin's probes read it (``VmDirectory.frozen``), exactly as an HTTP hook's.
Every host key is verified: an unknown or changed one is refused, never added."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from lifecycle.lab.undercloud.keys import ensure_key, public_line
from lifecycle.lab.vmhooks import HookJump, VmDirectory
from lifecycle.model import load_site
from lifecycle.model.endpoints import parse_endpoints
from lifecycle.model.schema import Site
from lifecycle.model.schema_lb import SshHook
from lifecycle.vmaccess import HookError, WriterHooks

ROOT = Path(__file__).resolve().parents[2]
A_IP, B_IP = "10.20.4.5", "10.20.4.70"  # billing/prd: subnets a 10.20.4.0/26, b 10.20.4.64/26


@dataclass
class Server:
    """What VmDirectory reads of a twin VM."""

    id: str
    name: str
    ip: str
    status: str = "ACTIVE"
    addresses: list[tuple[str, int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.addresses = [("net", 4, self.ip)]


class Cloud:
    def __init__(self, *servers: Server):
        self.list = list(servers)

    def servers(self) -> list[Server]:
        return self.list


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(ROOT / "examples/ie1")


@pytest.fixture()
def vm_a() -> Server:
    return Server("srv-a", "billing-prd-1", A_IP)


@pytest.fixture()
def vm_b() -> Server:
    return Server("srv-b", "billing-prd-1", B_IP)


@pytest.fixture()
def twin(site: Site, vm_a: Server, vm_b: Server, tmp_path: Path) -> Iterator[tuple[VmDirectory, HookJump]]:
    vms = VmDirectory(site, [Cloud(vm_a), Cloud(vm_b)])
    jump = HookJump(vms, tmp_path / "vmhooks").start()
    yield vms, jump
    jump.stop()


def hooks_for(tmp: Path, jump: HookJump, **access: Any) -> WriterHooks:
    """i2's writer hooks with the endpoints the lab writes (start_netscaler), ``access`` overriding."""
    key = {"file": "vmhooks/id_ed25519"}
    data = {"vm_access": {"ssh_jump": {"host": "127.0.0.1", "port": jump.port, "username": HookJump.USER,
                                       "key_file": key},
                          "ssh_key_file": key, "known_hosts": "vmhooks/known_hosts", "timeout": 10,
                          **access}}
    ep = tmp / "endpoints.yaml"
    ep.write_text(yaml.safe_dump(data))
    return WriterHooks(parse_endpoints(data, str(ep), tmp))


def billing_hook(site: Site, **changes: Any) -> SshHook:
    hook = site.application("billing").writer_hook
    assert isinstance(hook, SshHook)
    return hook.model_copy(update=changes)


def test_quiesce_and_resume_over_ssh_through_the_jump_host(site: Site, twin: Any, vm_a: Server,
                                                           vm_b: Server, tmp_path: Path) -> None:
    vms, jump = twin
    hooks = hooks_for(tmp_path, jump)
    hook = billing_hook(site)
    assert hooks.check(hook) is None
    try:
        calls = hooks.call(hook, [A_IP], resume=False)
        assert calls == [{"ip": A_IP, "user": "cloud-user", "command": hook.command, "exit": 0}]
        assert vms.frozen(vm_a.id) and not vms.frozen(vm_b.id)  # what the probes' _quiesced reads
        hooks.call(hook, [B_IP], resume=False)  # the same jump connection, another VM
        assert vms.frozen(vm_b.id)
        hooks.call(hook, [A_IP, B_IP], resume=True)
        assert not vms.frozen(vm_a.id) and not vms.frozen(vm_b.id)
        # a command the VM does not know: its exit status and output, not a success
        with pytest.raises(HookError, match=r"exited 127: bash: /opt/x: command not found") as bad:
            hooks.call(billing_hook(site, command="/opt/x quiesce"), [A_IP], resume=False)
        assert bad.value.transient is False and not vms.frozen(vm_a.id)
    finally:
        hooks.close()


def test_a_vm_that_does_not_answer_is_worth_a_retry(site: Site, twin: Any, vm_a: Server,
                                                   tmp_path: Path) -> None:
    vms, jump = twin
    vm_a.status = "SHUTOFF"
    hooks = hooks_for(tmp_path, jump)
    try:
        with pytest.raises(HookError, match=r"the jump host cannot reach 10\.20\.4\.5:22") as down:
            hooks.call(billing_hook(site), [A_IP], resume=False)
        assert down.value.transient is True
        with pytest.raises(HookError, match=r"cannot reach 10\.20\.9\.9:22"):  # no VM has the address
            hooks.call(billing_hook(site), ["10.20.9.9"], resume=False)
    finally:
        hooks.close()
    assert not vms.frozen(vm_a.id)


def test_host_keys_are_verified_never_added(site: Site, twin: Any, vm_a: Server, tmp_path: Path) -> None:
    vms, jump = twin
    known = tmp_path / "vmhooks" / "known_hosts"
    lines = known.read_text().splitlines()
    # the VM's key unknown: refused, naming the fingerprint it presented; known_hosts untouched
    (tmp_path / "no_vms").write_text("".join(f"{x}\n" for x in lines if not x.startswith("10.")))
    hooks = hooks_for(tmp_path, jump, known_hosts="no_vms")
    with pytest.raises(HookError, match=r"10\.20\.4\.5 via 127\.0\.0\.1: unknown host key: it presents "
                                        r"ssh-ed25519 SHA256:\S+, which is not in .*no_vms") as unknown:
        hooks.call(billing_hook(site), [A_IP], resume=False)
    assert unknown.value.transient is False and not vms.frozen(vm_a.id)
    assert "10.20.4.5" not in (tmp_path / "no_vms").read_text()
    hooks.close()
    # the VM presents another key than the one known for its address: refused
    other = public_line(ensure_key(tmp_path / "other_key"))
    (tmp_path / "changed").write_text("".join(f"{x.split(' ')[0]} {other}\n" if x.startswith(f"{A_IP} ")
                                              else f"{x}\n" for x in lines))
    hooks = hooks_for(tmp_path, jump, known_hosts="changed")
    with pytest.raises(HookError, match=r"host key mismatch: it presents ssh-ed25519 SHA256:\S+, .*changed "
                                        r"has SHA256:"):
        hooks.call(billing_hook(site), [A_IP], resume=False)
    hooks.close()
    # the jump host itself unknown: nothing reaches any VM
    (tmp_path / "no_jump").write_text("".join(f"{x}\n" for x in lines if x.startswith("10.")))
    hooks = hooks_for(tmp_path, jump, known_hosts="no_jump")
    with pytest.raises(HookError, match=r"jump host i2@127\.0\.0\.1:\d+: unknown host key"):
        hooks.call(billing_hook(site), [A_IP], resume=False)
    hooks.close()
    assert not vms.frozen(vm_a.id)


def test_only_the_hooks_user_with_i2s_key_logs_in(site: Site, twin: Any, vm_a: Server,
                                                  tmp_path: Path) -> None:
    vms, jump = twin
    hooks = hooks_for(tmp_path, jump)
    try:
        with pytest.raises(HookError, match=r"ssh root@10\.20\.4\.5 via 127\.0\.0\.1: login as root refused"):
            hooks.call(billing_hook(site, user="root"), [A_IP], resume=False)
    finally:
        hooks.close()
    ensure_key(tmp_path / "stranger")
    hooks = hooks_for(tmp_path, jump, ssh_jump={"host": "127.0.0.1", "port": jump.port, "username": "i2",
                                                "key_file": {"file": "stranger"}})
    with pytest.raises(HookError, match=r"jump host i2@127\.0\.0\.1:\d+: login as i2 refused") as refused:
        hooks.call(billing_hook(site), [A_IP], resume=False)
    assert refused.value.transient is False and not vms.frozen(vm_a.id)
    hooks.close()


def test_without_a_jump_host_the_hook_is_refused_before_anything(site: Site, tmp_path: Path) -> None:
    ep = tmp_path / "endpoints.yaml"
    data = {"vm_access": {"http_proxy": "http://127.0.0.1:9"}}
    hooks = WriterHooks(parse_endpoints(data, str(ep), tmp_path))
    why = hooks.check(billing_hook(site))
    assert why is not None and "no vm_access.ssh_jump" in why
    with pytest.raises(HookError, match=r"no vm_access\.ssh_jump"):
        hooks.call(billing_hook(site), [A_IP], resume=False)
