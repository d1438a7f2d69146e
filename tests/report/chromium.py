"""Headless Chromium driven over the DevTools protocol (CDP), for the HTML report's tests and
``scripts/report-screenshots``: load a file:// page, collect its console errors, uncaught
exceptions and network requests, query its DOM and take screenshots.

Chromium listens on 127.0.0.1 on a port it picks (``--remote-debugging-port=0``) and writes it to
``DevToolsActivePort`` in its own new profile directory; we speak CDP over a websocket
(``websocket-client``, without an Origin header, which Chromium would otherwise refuse).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BINARY = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--hide-scrollbars"]


def binary() -> str | None:
    """Debian's chromium, or whatever ``chromium`` is on PATH; None when there is none."""
    return BINARY if os.access(BINARY, os.X_OK) else shutil.which("chromium")


class CDPError(RuntimeError):
    pass


def launch() -> Chromium:
    """A started Chromium for a test; without one (or without websocket-client) the test is
    skipped on a developer's machine and fails under CI, where a test that cannot run must not pass."""
    from tests.unavailable import unavailable  # lazily, as pytest: scripts/report-screenshots imports us

    path = binary()
    why = None if path else "no chromium: scripts/lib/system-deps.sh installs Debian's chromium package"
    try:
        import websocket  # noqa: F401
    except ImportError:
        why = why or "websocket-client (the dev extra) is missing"
    if why:
        unavailable(why)
    return Chromium(path)


@dataclass
class Load:
    """What loading a page showed: console errors and exceptions, and every request it made."""

    url: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        """Requests for anything but the page itself or inline data: (none, for a report)."""
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]


class Page:
    """One tab, over its own websocket."""

    def __init__(self, ws_url: str, timeout: float) -> None:
        import websocket  # the dev extra's websocket-client; imported here so a skip can say so

        self.ws = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True)
        self.timeout = timeout
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        call = self.next_id
        self.ws.send(json.dumps({"id": call, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == call:
                if "error" in msg:
                    raise CDPError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)
        raise CDPError(f"{method}: no answer in {self.timeout} s")

    def wait_for(self, method: str, after: str | None = None) -> dict[str, Any]:
        """The first ``method`` event (after the first ``after`` event, when given)."""
        deadline = time.monotonic() + self.timeout
        i = 0
        while True:
            for e in self.events[i:]:
                i += 1
                if after is not None:
                    after = None if e["method"] == after else after
                elif e["method"] == method:
                    return e
            if time.monotonic() > deadline:
                raise CDPError(f"no {method} in {self.timeout} s")
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)

    def load(self, path: Path, width: int = 1400, height: int = 1000) -> Load:
        """Open ``path`` with the console, log and network watched; wait for its load event."""
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)
        url = path.resolve().as_uri()
        self.events.clear()
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired", after="Page.frameNavigated")  # not about:blank's
        self.evaluate("new Promise(r => requestAnimationFrame(() => r(1)))")  # let it paint
        return self.report(url)

    def report(self, url: str) -> Load:
        out = Load(url=url)
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.errors.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                         for a in p.get("args", [])))
            elif e["method"] == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                thrown = d.get("exception", {}).get("description", "")
                out.errors.append(f"exception: {d.get('text')} {thrown}")
            elif e["method"] == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.errors.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif e["method"] == "Network.requestWillBeSent":
                out.requests.append(p["request"]["url"])
        return out

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (awaited when it is a promise)."""
        got = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in got:
            raise CDPError(f"{expression}: {got['exceptionDetails'].get('text')}")
        return got["result"].get("value")

    def count(self, selector: str) -> int:
        return self.evaluate(f"document.querySelectorAll({json.dumps(selector)}).length")

    def attrs(self, selector: str, name: str) -> list[str]:
        """The attribute ``name`` of every element ``selector`` finds, in document order."""
        return self.evaluate(f"Array.from(document.querySelectorAll({json.dumps(selector)}), "
                             f"e => e.getAttribute({json.dumps(name)}))")

    def texts(self, selector: str) -> list[str]:
        """The text of every element ``selector`` finds (an SVG ``title``: what hovering shows)."""
        return self.evaluate(f"Array.from(document.querySelectorAll({json.dumps(selector)}), "
                             "e => e.textContent)")

    def box(self, selector: str) -> dict[str, float]:
        """Where the first element ``selector`` finds sits on the page (CSS pixels)."""
        js = (f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
              " return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height}; })()")
        return self.evaluate(js)

    def screenshot(self, out: Path, selector: str | None = None, scale: float = 1.0) -> Path:
        """A PNG of the whole page, or of the element ``selector`` finds."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
        if selector:
            b = self.box(selector)
            params["clip"] = {"x": b["x"], "y": b["y"], "width": b["width"], "height": b["height"],
                              "scale": scale}
        else:
            size = self.evaluate("({w: document.documentElement.scrollWidth, "
                                 "h: document.documentElement.scrollHeight})")
            params["clip"] = {"x": 0, "y": 0, "width": size["w"], "height": size["h"], "scale": scale}
        data = self.send("Page.captureScreenshot", **params)["data"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data))
        return out

    def close(self) -> None:
        self.ws.close()


class Chromium:
    """A headless Chromium of its own (new profile in a temporary directory), ended by close()."""

    def __init__(self, path: str, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.profile = Path(tempfile.mkdtemp(prefix="i2-chromium-"))
        self.log = (self.profile.parent / f"{self.profile.name}.log").open("wb")
        self.proc = subprocess.Popen([path, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.port = self.wait_port()

    def wait_port(self) -> int:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CDPError(f"chromium exited with {self.proc.returncode}: "
                               f"{Path(self.log.name).read_text(errors='replace')[-2000:]}")
            lines = marker.read_text().splitlines() if marker.is_file() else []
            if len(lines) >= 2:
                self.browser_path = lines[1]
                return int(lines[0])
            time.sleep(0.05)
        raise CDPError(f"chromium wrote no DevToolsActivePort in {self.timeout} s")

    def page(self) -> Page:
        """A new tab (its own target), ready to load."""
        browser = Page(f"ws://127.0.0.1:{self.port}{self.browser_path}", self.timeout)
        try:
            target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        finally:
            browser.close()
        return Page(f"ws://127.0.0.1:{self.port}/devtools/page/{target}", self.timeout)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
        Path(self.log.name).unlink(missing_ok=True)
