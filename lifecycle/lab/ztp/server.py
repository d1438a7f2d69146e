"""The real ztpserver (2.1.0) as a process of the twin, serving a data_root i2 generates."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from lifecycle.lab.ironic.process import ManagedProcess, free_port, http_ok


class ZtpServer:
    """``ztps -c ztpserver.conf`` bound to 127.0.0.1; ``data_root`` is where i2 writes.

    Example (runs ztpserver; listens on a loopback port)::

        srv = ZtpServer(Path("state/lab/ztp")).start()
        srv.url      # 'http://127.0.0.1:40321'
    """

    def __init__(self, workdir: Path, *, port: int = 0, host: str = "127.0.0.1"):
        self.workdir = workdir
        self.host = host
        self.port = port
        self.data_root = workdir / "data"
        self.conf = workdir / "ztpserver.conf"
        self._proc: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self._proc.pid if self._proc else 0

    def _write_conf(self) -> None:
        self.conf.write_text(
            "[default]\n"
            f"data_root = {self.data_root}\n"
            "identifier = serialnumber\n"
            f"server_url = {self.url}\n"
            "logging = True\n"
            "console_logging = True\n"
            "\n[server]\n"
            f"interface = {self.host}\n"
            f"port = {self.port}\n"
        )

    def start(self, timeout: float = 30.0) -> ZtpServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        # ztps refuses to start without these; i2's fabric adapter fills them in.
        for sub in ("bootstrap", "actions", "definitions", "files", "nodes", "resources"):
            (self.data_root / sub).mkdir(parents=True, exist_ok=True)
        (self.data_root / "neighbordb").touch()
        self.port = self.port or free_port(self.host)
        self._write_conf()
        ztps = shutil.which("ztps", path=str(Path(sys.executable).parent)) or "ztps"
        self._proc = ManagedProcess("ztpserver", [ztps, "-c", str(self.conf)],
                                    log_path=self.workdir / "ztpserver.log",
                                    pid_path=self.workdir / "ztpserver.pid", cwd=self.workdir)
        self._proc.reap_stale()
        self._proc.start()
        # /bootstrap 404s until i2 writes the client: any HTTP answer means it serves.
        self._proc.wait_until(lambda: http_ok(f"{self.url}/bootstrap/config"),
                              timeout, "ztpserver to answer")
        return self

    def stop(self) -> None:
        if self._proc:
            self._proc.stop()
