"""The eAPI JSON-RPC protocol: ``runCmds`` requests in, results or EOS-shaped errors out.

Params come as an object (``{"version": 1|"latest", "cmds": [...], "format": "json"|"text",
"autoComplete", "expandAliases", "timestamps"}``, what pyeapi and asynceapi send) or positionally
(``[version, cmds, format]``, what jsonrpclib in the ZTP bootstrap sends). Commands are strings
or ``{"cmd", "revision", "input"}``. The batch runs in one CLI session and stops at the first
failing command; the error's ``data`` holds the outputs so far plus ``{"errors": [...]}``.

>>> from lifecycle.lab.eos.switch import Switch
>>> sw = Switch("leaf1", "vEOS", "S1", "00:1c:73:00:00:01", config="hostname leaf1\\n")
>>> r = run_request(sw, {"jsonrpc": "2.0", "method": "runCmds", "id": 1,
...                      "params": {"version": 1, "cmds": ["enable", "show hostnme"]}})
>>> r["error"]["code"], r["error"]["message"]
(1002, "CLI command 2 of 2 'show hostnme' failed: invalid command")
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from lifecycle.lab.eos.config import CliError

if TYPE_CHECKING:
    from lifecycle.lab.eos.switch import Switch

_REASONS = {
    1000: "could not run command",
    1002: "invalid command",
    1003: "unconverted command",
    1005: "unauthorized command",
}


def rpc_error(code: int, message: str, req_id: Any, data: Any = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return {"jsonrpc": "2.0", "id": req_id, "error": err}


def _params(params: Any) -> dict[str, Any] | None:
    if isinstance(params, list):  # jsonrpclib: runCmds(version, cmds, format)
        names = ["version", "cmds", "format"]
        return dict(zip(names, params, strict=False))
    return params if isinstance(params, dict) else None


def run_request(switch: Switch, req: Any) -> dict[str, Any]:
    """One JSON-RPC request against ``switch``."""
    if not isinstance(req, dict) or "method" not in req:
        return rpc_error(-32600, "Invalid request", None)
    req_id = req.get("id")
    if req.get("method") != "runCmds":
        return rpc_error(-32601, f"Method '{req.get('method')}' not found", req_id)
    params = _params(req.get("params"))
    if params is None or not isinstance(params.get("cmds"), list) or not params["cmds"]:
        return rpc_error(-32602, "Invalid params: 'cmds' must be a non-empty list", req_id)
    version = params.get("version", 1)
    if version != "latest" and not (isinstance(version, int) and version >= 1):
        return rpc_error(-32602, f"Invalid params: unsupported version {version!r}", req_id)
    fmt = params.get("format") or "json"
    if fmt not in ("json", "text"):
        return rpc_error(-32602, f"Invalid params: unknown format {fmt!r}", req_id)
    cmds = params["cmds"]
    stamps = bool(params.get("timestamps"))
    results: list[Any] = []
    with switch.lock:
        switch.api_stats["requests"] += 1
        switch.api_stats["last"] = time.time()
        session = switch.session(abbrev=bool(params.get("autoComplete")))
        for i, entry in enumerate(cmds):
            cmd = entry.get("cmd", "") if isinstance(entry, dict) else str(entry)
            start = time.time()
            switch.api_stats["commands"] += 1
            try:
                out = session.run(cmd, fmt)
            except CliError as err:
                failed: dict[str, Any] = {"errors": [err.message]}
                if fmt == "text":
                    failed = {"output": f"% {err.message}\n", **failed}
                reason = _REASONS.get(err.code, "could not run command")
                return rpc_error(
                    err.code,
                    f"CLI command {i + 1} of {len(cmds)} '{cmd}' failed: {reason}",
                    req_id,
                    [*results, failed],
                )
            item: dict[str, Any] = out if fmt == "json" else {"output": out}
            if stamps:
                item = {**item, "_meta": {"execStartTime": start, "execDuration": time.time() - start}}
            results.append(item)
    return {"jsonrpc": "2.0", "id": req_id, "result": results}
