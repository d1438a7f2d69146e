"""The twin undercloud's shell (lifecycle/lab/undercloud/bash.py): stackrc, the checks i2 makes
on a detached job, and a detached job outliving its SSH connection while a foreground command
dies with its channel. The SSH tests use the twin's SSH server and i2's own client (no Ironic)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest

from lifecycle.lab.undercloud.bash import Bash, Processes, parse
from lifecycle.lab.undercloud.host import STACKRC
from lifecycle.lab.undercloud.keys import ensure_key
from lifecycle.lab.undercloud.sshd import ChannelGone, SSHServer
from lifecycle.tripleo import jobs
from lifecycle.tripleo.undercloud import Undercloud, UndercloudError

HOME = "/home/stack"


class Out:
    """A session: what was written, and a channel that can go away."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.lines: list[str] = []
        self.gone = False

    def write(self, text: str) -> None:
        if self.gone:
            raise ChannelGone(self.command)
        self.lines.append(text.rstrip("\n"))

    def readline(self, timeout: float = 30.0) -> str | None:
        return None


class Openstack:
    """``openstack ...``: prints a line per step, ``steps`` steps ``delay`` s apart; counts how
    many runs started and how many reached their end."""

    def __init__(self, steps: int = 1, delay: float = 0.0) -> None:
        self.steps, self.delay = steps, delay
        self.started = self.finished = 0
        self.release = threading.Event()

    def __call__(self, out: Any, args: list[str]) -> int:
        self.started += 1
        for i in range(self.steps):
            out.write(f"{' '.join(args)} step {i}")
            time.sleep(self.delay)
        self.finished += 1
        return 0


@pytest.fixture
def fs(tmp_path: Path) -> Path:
    home = tmp_path / "fs" / "home" / "stack"
    home.mkdir(parents=True)
    (home / "stackrc").write_text(STACKRC.format(password="pw-unit"))
    return tmp_path / "fs"


def sh(bash: Bash, command: str) -> tuple[int, list[str]]:
    out = Out(command)
    return bash(out), out.lines


def test_the_parser_reads_what_i2_sends() -> None:
    (launch,) = parse("setsid nohup bash /j/deploy.sh >> /j/deploy.log 2>&1 < /dev/null &")
    assert launch.background and launch.parts[0][1].words == ["setsid", "nohup", "bash", "/j/deploy.sh"]
    assert launch.parts[0][1].redirs == [("1", ">>", "/j/deploy.log"), ("2", ">&", "1"),
                                         ("1", "<", "/dev/null")]
    first, second = parse("mkdir /j/l 2>/dev/null || exit 0\necho $$ > /j/pid")
    assert [op for op, _ in first.parts] == ["", "||"] and second.parts[0][1].words == ["echo", "$$"]


def test_openstack_needs_the_stackrc_sourced(fs: Path) -> None:
    bash = Bash(fs, HOME, Processes(), Openstack())
    missing = "Missing value auth-url required for auth plugin password"
    assert sh(bash, "openstack stack list") == (1, [missing])
    assert sh(bash, "source ~/stackrc && openstack stack list") == (0, ["stack list step 0"])
    assert sh(bash, ". /home/stack/stackrc; openstack stack list") == (0, ["stack list step 0"])
    (fs / "home" / "stack" / "stackrc").unlink()
    assert sh(bash, "source ~/stackrc && openstack stack list") == (
        1, ["bash: /home/stack/stackrc: No such file or directory"])
    assert sh(bash, "ls -l") == (127, ["bash: ls: command not found"])


def test_cat_test_kill_and_mkdir_answer_like_bash(fs: Path) -> None:
    procs = Processes()
    bash = Bash(fs, HOME, procs, Openstack())
    assert sh(bash, "mkdir -p ~/j && echo 4242 > ~/j/deploy.pid && cat ~/j/deploy.pid") == (0, ["4242"])
    assert sh(bash, "test -f /home/stack/j/deploy.pid && test ! -e ~/j/deploy.rc") == (0, [])
    assert sh(bash, "cat ~/j/deploy.rc") == (1, ["cat: /home/stack/j/deploy.rc: No such file or directory"])
    assert sh(bash, "mkdir ~/j 2>/dev/null || echo taken") == (0, ["taken"])
    assert sh(bash, "kill -0 4242") == (1, ["bash: kill: (4242) - No such process"])
    pid = procs.spawn()
    assert sh(bash, f"kill -0 {pid}") == (0, [])


def test_a_foreground_command_dies_with_its_channel_a_detached_one_does_not(fs: Path) -> None:
    tool = Openstack(steps=6, delay=0.05)
    bash = Bash(fs, HOME, Processes(), tool)
    out = Out("source ~/stackrc && openstack overcloud deploy")
    died: list[BaseException] = []

    def foreground() -> None:
        try:
            bash(out)
        except ChannelGone as exc:
            died.append(exc)

    fg = threading.Thread(target=foreground)
    fg.start()
    time.sleep(0.1)
    out.gone = True  # the connection dropped mid-command
    fg.join(5)
    assert (tool.started, tool.finished) == (1, 0) and died  # EPIPE at its next line
    script = fs / "home" / "stack" / "job.sh"
    script.write_text("mkdir ~/job.lock 2>/dev/null || exit 0\necho $$ > ~/job.pid\n"
                      "source ~/stackrc && openstack overcloud deploy\necho $? > ~/job.rc\n")
    launch = Out("setsid nohup bash ~/job.sh >> ~/job.log 2>&1 < /dev/null &")
    assert bash(launch) == 0 and launch.lines == []
    launch.gone = True  # its connection is gone too: the job's output goes to its log
    bash(Out("setsid nohup bash ~/job.sh >> ~/job.log 2>&1 < /dev/null &"))  # a second start
    deadline = time.monotonic() + 10
    while not (fs / "home" / "stack" / "job.rc").exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert (fs / "home" / "stack" / "job.rc").read_text() == "0\n"
    assert (tool.started, tool.finished) == (2, 1)  # one more run, to its end; the second start exited
    assert (fs / "home" / "stack" / "job.log").read_text().splitlines() == [
        f"overcloud deploy step {i}" for i in range(6)]


@pytest.fixture
def server(fs: Path, tmp_path: Path) -> Iterator[tuple[SSHServer, Openstack, paramiko.PKey]]:
    tool = Openstack(steps=20, delay=0.1)
    key = ensure_key(tmp_path / "id_ed25519")
    srv = SSHServer("uc-unit", ensure_key(tmp_path / "host_key"), [key], root=fs,
                    handler=Bash(fs, HOME, Processes(), tool)).start()
    try:
        yield srv, tool, key
    finally:
        srv.stop()


def connect(srv: SSHServer, key: paramiko.PKey) -> Undercloud:
    client = paramiko.SSHClient()
    client.get_host_keys().add(f"[127.0.0.1]:{srv.port}", srv.host_key.get_name(), srv.host_key)
    client.connect("127.0.0.1", port=srv.port, username="stack", pkey=key, allow_agent=False,
                   look_for_keys=False)
    return Undercloud("uc-unit", client)


def test_i2_s_detached_job_outlives_its_connection_and_is_followed_again(server: Any) -> None:
    srv, tool, key = server
    uc = connect(srv, key)
    job = jobs.start(uc, "/home/stack/i2/jobs/r1-deploy", "deploy", ["openstack", "overcloud", "deploy"])
    assert job.pid is not None and job.rc is None and jobs.alive(uc, job.pid)
    uc.client.get_transport().close()  # the connection drops mid-deploy
    with pytest.raises(UndercloudError, match="connection lost"):
        jobs.state(uc, job.dir, "deploy")
    uc = connect(srv, key)
    again = jobs.state(uc, job.dir, "deploy")
    assert again.started and again.pid == job.pid  # re-attach: i2 starts nothing
    seen: list[str] = []
    res = jobs.follow(uc, again, on_line=seen.append, from_start=False)
    assert res.ok and not res.lost and (tool.started, tool.finished) == (1, 1)
    assert res.tail[-1] == "overcloud deploy step 19" and seen[-1] == "overcloud deploy step 19"
    assert not jobs.alive(uc, job.pid)
    jobs.start(uc, job.dir, "deploy", ["openstack", "overcloud", "deploy"])  # the lock: exits at once
    time.sleep(0.5)
    assert tool.started == 1
    uc.close()


def test_a_foreground_deploy_dies_with_its_connection(server: Any) -> None:
    srv, tool, key = server
    uc = connect(srv, key)

    def deploy() -> None:
        with contextlib.suppress(UndercloudError):  # the connection under it closes
            uc.run(["openstack", "overcloud", "deploy"])

    threading.Thread(target=deploy, daemon=True).start()
    deadline = time.monotonic() + 10
    while tool.started == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    uc.client.get_transport().close()
    time.sleep(1.0)
    assert (tool.started, tool.finished) == (1, 0)
