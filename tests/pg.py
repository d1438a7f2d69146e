"""A private, throw-away PostgreSQL cluster for the test session.

Use the ``pg_url`` fixture (import it into a conftest)::

    from tests.pg import pg_url  # noqa: F401

It finds the Debian binaries (``/usr/lib/postgresql/*/bin``, or ``$I2_PG_BIN``), runs ``initdb``
in a temp dir, starts the server on a free 127.0.0.1 port (unix socket in the temp dir, fsync
off), creates database ``i2test`` and yields
``postgresql+psycopg://postgres@127.0.0.1:PORT/i2test``. As root, the server runs as the
``postgres`` user. Without binaries the fixture skips, or fails when ``$CI`` is set.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.unavailable import unavailable

DB_NAME = "i2test"


def find_pg_bin() -> Path | None:
    """Directory holding initdb/pg_ctl, newest major version first."""
    env = os.environ.get("I2_PG_BIN")
    candidates = [env] if env else []

    def version(path: str) -> float:
        try:
            return float(Path(path).parent.name)
        except ValueError:
            return 0.0

    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    which = shutil.which("pg_ctl")
    if which:
        candidates.append(str(Path(which).parent))
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgCluster:
    bindir: Path
    root: Path
    port: int = 0

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def url(self, db: str = DB_NAME) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:  # initdb/postgres refuse to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return cmd

    def _run(self, *args: str) -> None:
        res = subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {res.stdout}\n{res.stderr}\n{tail}")

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.datadir), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-sync")
        last: Exception | None = None
        for _ in range(3):  # the free port may be taken between probe and bind
            self.port = _free_port()
            opts = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 "
                f"-c unix_socket_directories={self.root} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            try:
                self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.root / "server.log"),
                          "-o", opts, "-w", "-t", "60", "start")
                break
            except RuntimeError as exc:
                last = exc
        else:
            raise RuntimeError(f"could not start PostgreSQL: {last}")
        self.create_database(DB_NAME)

    def create_database(self, name: str) -> str:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(
                    f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                    autocommit=True,
                ) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                return self.url(name)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        subprocess.run(self._cmd("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "stop"),
                       capture_output=True, timeout=60)


_cluster: PgCluster | None = None


def new_database(prefix: str = "t") -> str:
    """A fresh empty database in the session cluster (call only while ``pg_url`` is active)."""
    assert _cluster is not None, "pg_url fixture not active"
    return _cluster.create_database(f"{prefix}_{uuid.uuid4().hex[:10]}")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a private PostgreSQL database for this test session."""
    global _cluster
    bindir = find_pg_bin()
    if bindir is None:
        unavailable("PostgreSQL server binaries not found (apt install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="i2-pg-"))  # under /tmp: reachable by user postgres
    cluster = PgCluster(bindir, root)
    try:
        cluster.start()
        _cluster = cluster
        yield cluster.url()
    finally:
        _cluster = None
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
