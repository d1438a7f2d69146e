"""The twin's undercloud over the wire: SSH login and host key, SFTP, the shell, and
``openstack overcloud deploy | node delete`` on the real THT/Heat validation and the real Ironic.

The module's tests share one undercloud and run in file order (the stack they build is the
next test's starting point).
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import paramiko
import pytest

from lifecycle.tripleo.undercloud import Undercloud, UndercloudError
from tests.lab.undercloud.conftest import VSD_PASSWORD, Twin

pytestmark = pytest.mark.slow(95)  # started first by the suite (tests/conftest.py)


def run(twin: Twin, argv: list[str], *, redact: bool = True) -> tuple[int, list[str]]:
    lines: list[str] = []
    with twin.connect() as uc:
        res = uc.run(argv, on_line=lines.append, redact=redact)
    return res.status, lines


def show(twin: Twin, what: list[str]) -> dict:
    # unredacted, as i2 reads a stack's environment to compare it (reading a secret from the
    # endpoints' store adds it to the process's redactor)
    status, lines = run(twin, ["openstack", *what, "-f", "json"], redact=False)
    assert status == 0, lines
    return json.loads("\n".join(lines))


def test_login_is_by_key_and_the_host_key_is_the_lab_s(twin: Twin) -> None:
    client = paramiko.SSHClient()
    client.load_host_keys(str(twin.dir / "known_hosts"))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    port = twin.host.port
    client.connect("127.0.0.1", port=port, username="stack", key_filename=str(twin.dir / "id_ed25519"),
                   allow_agent=False, look_for_keys=False)
    _, out, _ = client.exec_command("source ~/stackrc && openstack stack list -f json")
    assert json.loads(out.read()) == [] and out.channel.recv_exit_status() == 0
    client.close()
    stranger = paramiko.Ed25519Key.from_private_key_file(str(twin.dir / "uc" / "ssh_host_ed25519_key"))
    for user, key in (("stack", stranger), ("root", paramiko.Ed25519Key.from_private_key_file(
            str(twin.dir / "id_ed25519")))):
        other = paramiko.SSHClient()
        other.load_host_keys(str(twin.dir / "known_hosts"))
        with pytest.raises(paramiko.AuthenticationException):
            other.connect("127.0.0.1", port=port, username=user, pkey=key, allow_agent=False,
                          look_for_keys=False)
        other.close()


def test_i2_refuses_an_unknown_or_changed_host_key(twin: Twin, tmp_path: Path) -> None:
    from lifecycle.lab.undercloud.keys import ensure_key, write_known_hosts
    from lifecycle.model.endpoints import load_endpoints

    text = (twin.dir / "endpoints.yaml").read_text().replace("known_hosts: known_hosts",
                                                            f"known_hosts: {tmp_path / 'kh'}")
    (twin.dir / "endpoints-kh.yaml").write_text(text)
    ep = load_endpoints(twin.dir / "endpoints-kh.yaml")
    (tmp_path / "kh").write_text("")
    with pytest.raises(UndercloudError, match=r"uc-test: unknown host key for 127.0.0.1:\d+: it presents "
                                              r"ssh-ed25519 SHA256:\S+, which is not in"):
        Undercloud.connect(ep, "uc-test")
    write_known_hosts(tmp_path / "kh", [("127.0.0.1", twin.host.port, ensure_key(tmp_path / "other"))])
    with pytest.raises(UndercloudError, match=r"uc-test: host key mismatch for 127.0.0.1:\d+") as err:
        Undercloud.connect(ep, "uc-test")
    assert not err.value.transient


def test_sftp_stays_in_the_undercloud_filesystem(twin: Twin, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("a: 1\n")
    (tmp_path / "a.yaml").chmod(0o600)
    with twin.connect() as uc:
        uc.upload(tmp_path, "/home/stack/scratch/deep", ["a.yaml"])
        sftp = uc.sftp()
        assert sftp.listdir("scratch/deep") == ["a.yaml"]  # relative paths start at the home
        assert stat.S_IMODE(sftp.stat("/home/stack/scratch/deep/a.yaml").st_mode) == 0o600
        with sftp.open("/../../../home/stack/scratch/deep/a.yaml") as fh:  # ".." stops at "/"
            assert fh.read() == b"a: 1\n"
        assert uc.digests("/home/stack/scratch/deep", ["a.yaml", "b.yaml"])["b.yaml"] is None
    assert (twin.dir / "uc" / "fs" / "home" / "stack" / "scratch" / "deep" / "a.yaml").is_file()


def test_the_shell_answers_like_one(twin: Twin) -> None:
    assert run(twin, ["ls", "-l"]) == (127, ["bash: ls: command not found"])
    status, lines = run(twin, ["openstack", "server", "list"])
    assert status == 1 and "is not an openstack command" in lines[0]
    status, lines = run(twin, ["openstack", "stack", "show", "nope"])
    assert (status, lines) == (1, ["ERROR: The Stack (nope) could not be found."])
    status, lines = run(twin, ["openstack", "overcloud", "deploy", "--bogus"])
    assert status == 2 and "unrecognized arguments: --bogus" in lines[0]


def test_deploy_places_members_on_tagged_nodes_and_registers_hypervisors(twin: Twin, tmp_path: Path) -> None:
    rendered = twin.render(tmp_path / "r", 2)
    twin.upload(rendered)
    status, lines = run(twin, rendered.command)
    assert status == 0, lines[-20:]
    assert lines[-1] == "Overcloud Deployed" and " Stack overcloud CREATE_COMPLETE " in lines
    nodes = twin.by_name()
    assert {n: nodes[n]["provision_state"] for n in ("r01-s01", "c02-s01", "c02-s02", "c02-s03")} == {
        "r01-s01": "active", "c02-s01": "active", "c02-s02": "active", "c02-s03": "available"}
    assert nodes["c02-s02"]["instance_info"]["display_name"] == "c02-s02"  # HostnameMap's name
    hv = twin.sink.hypervisors("ie1-new")
    assert set(hv) == {"c02-s01.ie1.example.net", "c02-s02.ie1.example.net"}  # computes only, FQDN
    assert hv["c02-s01.ie1.example.net"] == {"node_uuid": nodes["c02-s01"]["uuid"], "vcpus": 56,
                                             "memory_mb": 393216}
    stack = show(twin, ["stack", "show", "overcloud"])
    assert stack["stack_status"] == "CREATE_COMPLETE"
    assert stack["parameters"]["ComputeNuageCount"] == "2"
    env = show(twin, ["stack", "environment", "show", "overcloud"])["parameter_defaults"]
    assert env["ComputeNuageSchedulerHints"] == {"capabilities:node": "computenuage-%index%"}
    assert env["NeutronNuageVSDPassword"] == VSD_PASSWORD  # Heat keeps it; nothing printed it
    assert all(VSD_PASSWORD not in line for line in lines)

    # the same files again: nothing moves in Ironic, the hypervisors stay
    before = {n: v["instance_uuid"] for n, v in twin.by_name().items()}
    status, lines = run(twin, rendered.command)
    assert status == 0 and " Stack overcloud UPDATE_COMPLETE " in lines
    assert not [line for line in lines if "CREATE_IN_PROGRESS" in line or "DELETE_" in line]
    assert {n: v["instance_uuid"] for n, v in twin.by_name().items()} == before
    assert len(twin.sink.hypervisors("ie1-new")) == 2


def test_node_delete_undeploys_and_blacklists_the_index(twin: Twin, tmp_path: Path) -> None:
    delete = ["openstack", "overcloud", "node", "delete", "--stack", "overcloud", "-y"]
    status, lines = run(twin, [*delete, twin.by_name()["c02-s01"]["instance_uuid"]])
    assert status == 0, lines
    assert twin.by_name()["c02-s01"]["provision_state"] == "available"
    assert set(twin.sink.hypervisors("ie1-new")) == {"c02-s02.ie1.example.net"}
    params = show(twin, ["stack", "show", "overcloud"])["parameters"]
    assert params["ComputeNuageCount"] == "1"
    assert json.loads(params["ComputeNuageRemovalPolicies"]) == [{"resource_list": ["0"]}]
    status, lines = run(twin, [*delete, "nope"])
    assert status == 1 and "Couldn't find following instances in stack overcloud: nope" in lines[-1]

    # Files still saying ComputeNuageCount 2 scale back up, on index 2 (0 is blacklisted): what
    # Train does, and why i2 renders the lower count after a node delete.
    rendered = twin.render(tmp_path / "r", 2)
    twin.upload(rendered)
    status, lines = run(twin, rendered.command)
    assert status == 0, lines[-20:]
    states = {n: v["provision_state"] for n, v in twin.by_name().items()}
    assert (states["c02-s01"], states["c02-s02"], states["c02-s03"]) == ("available", "active", "active")


def test_a_broken_template_fails_the_deploy_with_heat_s_message(twin: Twin, tmp_path: Path) -> None:
    rendered = twin.render(tmp_path / "r", 2, removed=(0,))
    nic = rendered.out_dir / "nic-configs" / "computenuage.yaml"
    nic.write_text(nic.read_text().replace("version: rocky", "version: 1999-01-01"))
    twin.upload(rendered)
    before = show(twin, ["stack", "show", "overcloud"])
    status, lines = run(twin, rendered.command)
    assert status == 1
    assert any(line.startswith("ERROR: nic-configs/computenuage.yaml") and "1999-01-01" in line
               for line in lines), lines
    after = show(twin, ["stack", "show", "overcloud"])
    assert after["stack_status"] == before["stack_status"]  # Heat never started the update
    assert show(twin, ["overcloud", "status"])[0]["Deployment Status"] == "DEPLOY_FAILED"


def test_an_undeclared_parameter_is_ignored_as_heat_ignores_it(twin: Twin, tmp_path: Path) -> None:
    rendered = twin.render(tmp_path / "r", 2, removed=(0,))
    info = rendered.out_dir / "node-info.yaml"
    info.write_text(info.read_text() + "  NovaReservedHostMemery: 4096\n")
    twin.upload(rendered)
    status, lines = run(twin, rendered.command)
    assert status == 0 and lines[-1] == "Overcloud Deployed", lines[-10:]


def test_an_injected_fault_fails_that_node_s_deploy_and_names_it(twin: Twin, tmp_path: Path) -> None:
    rendered = twin.render(tmp_path / "r", 3, removed=(0,))
    twin.upload(rendered)
    status, lines = run(twin, rendered.command)
    assert status == 1
    reason = [line for line in lines if "status_reason" in line or "ResourceInError" in line]
    assert any("c02-s04" in line and "undercloud.deploy_fail" in line for line in reason), lines[-15:]
    assert lines[-1] == "Heat Stack update failed."
    assert twin.by_name()["c02-s04"]["provision_state"] == "available"
    assert show(twin, ["stack", "show", "overcloud"])["stack_status"] == "UPDATE_FAILED"
