"""The stack user's login shell on the twin's undercloud: the little of bash that running and
checking a command detached from its SSH session needs, over the undercloud's filesystem.

- comment lines; lists: ``a && b``, ``a || b``, ``a; b``, lines of a script; ``a &`` runs in the background
  (``$!`` is its pid) and outlives the exec request that started it;
- redirections ``> f``, ``>> f``, ``< f``, ``2>&1``, ``2> f`` (``/dev/null`` too);
- ``$?``, ``$$``, ``$!`` and ``~``; ``nohup``, ``setsid`` and ``exec`` as prefixes;
- builtins and tools: ``source``/``.`` (``export K=V`` lines), ``echo``, ``cat``, ``test``/``[``
  (``-e -f -d -s``, ``!``), ``kill -0``, ``mkdir [-p]``, ``true``, ``false``, ``exit``;
  ``bash FILE`` / ``bash -c SCRIPT`` (``sh`` too); ``grep -E PATTERN FILE...`` (Python's ``re``
  for POSIX ERE: they agree on plain patterns); ``sudo [-n] COMMAND`` (the stack user's
  NOPASSWD sudo, as the director's install leaves it);
- files under ``ROOT_ONLY`` (the services' rendered configs, which hold their passwords) are
  readable as root only: ``cat``/``grep`` without ``sudo`` answer "Permission denied";
- ``openstack``, which (as python-openstackclient) needs the credentials ``~/stackrc`` exports.

A process writing to its SSH channel dies with it (:class:`ChannelGone`, EPIPE); one whose
output goes to a file does not. Quoting is shlex's: a quoted ``&&`` is an operator here.

>>> parse("setsid nohup bash /j/deploy.sh >> /j/deploy.log 2>&1 < /dev/null &")[0].background
True

A line whose first word starts with ``#`` is a comment (a script's ``#!`` and notes):

>>> [p.parts[0][1].words for p in parse("#!/bin/bash\\n# notes\\necho hi")]
[['echo', 'hi']]
"""

from __future__ import annotations

import itertools
import re
import shlex
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lifecycle.lab.undercloud.sshd import ChannelGone

OPS = {"&&", "||", ";", "&", "\n"}
REDIRS = {">", ">>", "<", ">&"}
PREFIXES = {"nohup", "setsid", "exec"}
ROOT_ONLY = ("var/lib/config-data",)  # below the filesystem root: root:<service> 0640 files
FDS = {"0", "1", "2"}  # shlex drops the spacing: ``2>&1`` and ``echo 2 > f`` look alike here


@dataclass
class Simple:
    words: list[str]
    redirs: list[tuple[str, str, str]] = field(default_factory=list)  # (fd, op, target)


@dataclass
class AndOr:
    """``first (op next)*`` run in order; ``background``: ended by ``&``."""

    parts: list[tuple[str, Simple]]
    background: bool = False


def parse(text: str) -> list[AndOr]:
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    lexer = shlex.shlex(" ; ".join(lines), posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    lexer.commenters = ""
    tokens = list(lexer)
    out: list[AndOr] = []
    parts: list[tuple[str, Simple]] = []
    cur = Simple([])
    op = ""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in ("&&", "||"):
            parts.append((op, cur))
            cur, op = Simple([]), tok
        elif tok in (";", "&"):
            if cur.words or parts:
                parts.append((op, cur))
                out.append(AndOr(parts, background=tok == "&"))
            parts, cur, op = [], Simple([]), ""
        elif tok in REDIRS or (tok in FDS and i + 1 < len(tokens) and tokens[i + 1] in REDIRS):
            fd = "1"
            if tok in FDS:
                fd, i = tok, i + 1
                tok = tokens[i]
            if i + 1 >= len(tokens):
                raise ValueError(f"syntax error near unexpected token `{tok}'")
            cur.redirs.append((fd, tok, tokens[i + 1]))
            i += 1
        else:
            cur.words.append(tok)
        i += 1
    if cur.words or parts:
        parts.append((op, cur))
        out.append(AndOr(parts))
    return out


class Exit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Null:
    """``/dev/null``, or stdin when nothing is attached."""

    gone = False

    def write(self, text: str) -> None:
        pass

    def readline(self, timeout: float = 30.0) -> str | None:
        return None


class FileOut(Null):
    """Output redirected to a file of the undercloud (appended line by line)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        with self._lock, self.path.open("a") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")


class Processes:
    """Pids of the undercloud's shells and background jobs; ``kill -0`` asks it."""

    def __init__(self) -> None:
        self._next = itertools.count(4100)
        self._alive: set[int] = set()
        self._lock = threading.Lock()

    def spawn(self) -> int:
        with self._lock:
            pid = next(self._next)
            self._alive.add(pid)
            return pid

    def exit(self, pid: int) -> None:
        with self._lock:
            self._alive.discard(pid)

    def alive(self, pid: int) -> bool:
        with self._lock:
            return pid in self._alive


@dataclass
class State:
    """One shell process: its pid, variables, last status and where its output goes."""

    pid: int
    env: dict[str, str]
    out: Any
    err: Any
    status: int = 0
    last_bg: int | None = None


# ``openstack`` itself: (output, argv after "openstack") -> exit status
Openstack = Callable[[Any, list[str]], int]


class Bash:
    """``record`` gets one event per ``openstack`` process started, wherever from (an exec
    request, a detached script): the undercloud's process accounting, which tests read."""

    def __init__(self, root: Path, home: str, procs: Processes, openstack: Openstack,
                 record: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.root = Path(root)
        self.home = home
        self.procs = procs
        self.openstack = openstack
        self.record = record or (lambda _e: None)

    def __call__(self, session: Any) -> int:
        """An exec request: ``bash -c <command>`` on the session's channel."""
        pid = self.procs.spawn()
        try:
            return self.script(session.command, State(pid, {"HOME": self.home}, session, session))
        finally:
            self.procs.exit(pid)

    # -- the filesystem ----------------------------------------------------------------------

    def path(self, name: str) -> Path:
        """A remote path under ``root`` (relative: from the home directory)."""
        if name == "~" or name.startswith("~/"):
            name = self.home + name[1:]
        if not name.startswith("/"):
            name = f"{self.home}/{name}"
        parts = [p for p in name.split("/") if p not in ("", ".", "..")]
        return self.root.joinpath(*parts)

    # -- running -----------------------------------------------------------------------------

    def script(self, text: str, st: State) -> int:
        try:
            lists = parse(text)
        except ValueError as exc:
            st.err.write(f"bash: {exc}")
            return 2
        try:
            for item in lists:
                if item.background:
                    self.background(item, st)
                    st.status = 0
                else:
                    st.status = self.and_or(item, st)
        except Exit as exc:
            return exc.status
        return st.status

    def and_or(self, item: AndOr, st: State) -> int:
        status = st.status
        for op, cmd in item.parts:
            if (op == "&&" and status != 0) or (op == "||" and status == 0):
                continue
            status = st.status = self.simple(cmd, st)
        return status

    def background(self, item: AndOr, st: State) -> None:
        pid = self.procs.spawn()
        child = State(pid, dict(st.env), st.out, st.err, st.status)

        def run() -> None:
            try:
                self.and_or(item, child)
            except (ChannelGone, Exit):
                pass  # EPIPE kills it, exit ends it: either way the job is over
            finally:
                self.procs.exit(pid)

        st.last_bg = pid
        threading.Thread(target=run, daemon=True, name=f"uc-job-{pid}").start()

    def expand(self, word: str, st: State) -> str:
        if word == "~" or word.startswith("~/"):
            word = self.home + word[1:]
        return (word.replace("$?", str(st.status)).replace("$$", str(st.pid))
                .replace("$!", str(st.last_bg or "")).replace("$HOME", self.home))

    def simple(self, cmd: Simple, st: State) -> int:
        words = [self.expand(w, st) for w in cmd.words]
        while words and words[0] in PREFIXES:
            words = words[1:]
        io = State(st.pid, st.env, st.out, st.err, st.status, st.last_bg)
        for fd, op, target in cmd.redirs:
            target = self.expand(target, st)
            if op == ">&":
                if fd == "2" and target == "1":
                    io.err = io.out
                continue
            if op == "<":
                if target != "/dev/null" and not self.path(target).is_file():
                    st.err.write(f"bash: {target}: No such file or directory")
                    return 1
                continue
            if target == "/dev/null":
                sink: Any = Null()
            else:
                path = self.path(target)
                if not path.parent.is_dir():
                    st.err.write(f"bash: {target}: No such file or directory")
                    return 1
                if op == ">":
                    path.write_text("")
                sink = FileOut(path)
            if fd == "2":
                io.err = sink
            else:
                io.out = sink
        if not words:
            return 0
        return self.command(words, io, st)

    def readable(self, name: str, root: bool) -> bool:
        rel = self.path(name).relative_to(self.root).as_posix()
        return root or not any(rel == p or rel.startswith(f"{p}/") for p in ROOT_ONLY)

    def command(self, argv: list[str], io: State, st: State, root: bool = False) -> int:
        name, args = argv[0], argv[1:]
        if name == "sudo":
            while args[:1] == ["-n"]:
                args = args[1:]
            if not args or args[0].startswith("-"):
                io.err.write("sudo: the twin's undercloud only answers sudo [-n] COMMAND")
                return 1
            return self.command(args, io, st, root=True)
        if name == "grep":
            return self.grep(args, io, root)
        if name in ("source", "."):
            return self.source(args, io, st)
        if name in ("bash", "sh"):
            pid = self.procs.spawn()
            child = State(pid, dict(st.env), io.out, io.err)
            try:
                if args[:1] == ["-c"] and len(args) > 1:
                    return self.script(args[1], child)
                if not args or not self.path(args[0]).is_file():
                    io.err.write(f"{name}: {args[0] if args else ''}: No such file or directory")
                    return 127
                return self.script(self.path(args[0]).read_text(), child)
            finally:
                self.procs.exit(pid)
        if name == "echo":
            io.out.write(" ".join(args))
            return 0
        if name in ("true", "false"):
            return 0 if name == "true" else 1
        if name == "exit":
            raise Exit(int(args[0]) if args and args[0].isdigit() else st.status)
        if name == "cat":
            status = 0
            for a in args:
                if not self.readable(a, root) and self.path(a).exists():
                    io.err.write(f"cat: {a}: Permission denied")
                    status = 1
                elif self.path(a).is_file():
                    text = self.path(a).read_text()
                    if text:
                        io.out.write(text.rstrip("\n"))
                else:
                    io.err.write(f"cat: {a}: No such file or directory")
                    status = 1
            return status
        if name in ("test", "["):
            return self.test(args[:-1] if name == "[" and args[-1:] == ["]"] else args)
        if name == "kill":
            if args[:1] != ["-0"] or len(args) != 2 or not args[1].isdigit():
                io.err.write("bash: kill: the twin's undercloud only answers kill -0 PID")
                return 2
            if self.procs.alive(int(args[1])):
                return 0
            io.err.write(f"bash: kill: ({args[1]}) - No such process")
            return 1
        if name == "mkdir":
            parents = "-p" in args
            for a in (x for x in args if x != "-p"):
                try:
                    self.path(a).mkdir(parents=parents, exist_ok=parents)
                except FileExistsError:
                    io.err.write(f"mkdir: cannot create directory '{a}': File exists")
                    return 1
                except FileNotFoundError:
                    io.err.write(f"mkdir: cannot create directory '{a}': No such file or directory")
                    return 1
            return 0
        if name == "openstack":
            self.record({"event": "process", "pid": st.pid, "command": shlex.join(argv)})
            if not st.env.get("OS_AUTH_URL") and not st.env.get("OS_CLOUD"):
                # python-openstackclient without credentials (stackrc not sourced)
                io.err.write("Missing value auth-url required for auth plugin password")
                return 1
            return self.openstack(_Merged(io.out, io.err), args)
        io.err.write(f"bash: {name}: command not found")
        return 127

    def grep(self, args: list[str], io: State, root: bool) -> int:
        """``grep -E PATTERN FILE...``: 0 a line matched, 1 none, 2 an error (as GNU grep)."""
        if args[:1] != ["-E"] or len(args) < 3:
            io.err.write("grep: the twin's undercloud only answers grep -E PATTERN FILE...")
            return 2
        try:
            pattern = re.compile(args[1])
        except re.error as exc:
            io.err.write(f"grep: {exc}")
            return 2
        found, failed = False, False
        for a in args[2:]:
            if not self.readable(a, root) or not self.path(a).is_file():
                why = "Permission denied" if self.path(a).exists() else "No such file or directory"
                io.err.write(f"grep: {a}: {why}")
                failed = True
                continue
            for line in self.path(a).read_text().splitlines():
                if pattern.search(line):
                    io.out.write(f"{a}:{line}" if len(args) > 3 else line)
                    found = True
        return 2 if failed else 0 if found else 1

    def source(self, args: list[str], io: State, st: State) -> int:
        if not args:
            io.err.write("bash: source: filename argument required")
            return 2
        path = self.path(args[0])
        if not path.is_file():
            io.err.write(f"bash: {args[0]}: No such file or directory")
            return 1
        for line in path.read_text().splitlines():
            try:
                words = shlex.split(line, comments=True)
            except ValueError:
                continue
            if words[:1] == ["export"]:
                words = words[1:]
            for w in words:
                key, eq, value = w.partition("=")
                if eq and key.isidentifier():
                    st.env[key] = value
        return 0

    def test(self, args: list[str]) -> int:
        negate = args[:1] == ["!"]
        args = args[1:] if negate else args
        if len(args) == 2 and args[0] in ("-e", "-f", "-d", "-s"):
            p = self.path(args[1])
            ok = {"-e": p.exists(), "-f": p.is_file(), "-d": p.is_dir(),
                  "-s": p.is_file() and p.stat().st_size > 0}[args[0]]
        else:
            ok = bool(args and args[0])
        return 0 if ok != negate else 1


class _Merged:
    """What ``openstack`` writes to (stdout and stderr in one), with stdin from nowhere."""

    def __init__(self, out: Any, err: Any) -> None:
        self.out = out
        self.err = err

    def write(self, text: str) -> None:
        self.out.write(text)

    def readline(self, timeout: float = 30.0) -> str | None:
        read = getattr(self.out, "readline", None)
        return read(timeout) if read is not None else None
