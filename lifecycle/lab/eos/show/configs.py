"""Configuration shows: running/startup-config, diffs, config sessions."""

from __future__ import annotations

import time
from typing import Any

from lifecycle.lab.eos.config import CliError, Config
from lifecycle.lab.eos.show.registry import Ctx, command, table, text_only


def _running_text(ctx: Ctx, values: dict[str, str], data: Any) -> str:
    sw = ctx.switch
    return sw.running.text(sw.header(), all_defaults=bool(values.get("all")))


@command("show running-config [(all):all]", text=_running_text)
def show_running(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    sw = ctx.switch
    return {
        "cmds": sw.running.as_json(),
        "header": [
            f"! device: {sw.running.hostname} ({sw.model}, EOS-{sw.version})\n",
            f"! boot system flash:/EOS-{sw.version}.swi\n",
        ],
    }


def _intf_text(ctx: Ctx, values: dict[str, str], data: Any) -> str:
    nodes = ctx.switch.running.interfaces()
    out = []
    for name in values["names"].split(","):
        if name in nodes:
            out.append(nodes[name].render(all_defaults=bool(values.get("all"))))
    return "\n".join(out) + ("\n" if out else "")


@command("show running-config [(all):all] interfaces <intfs:names>", text=_intf_text)
def show_running_intf(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    nodes = ctx.switch.running.interfaces()
    cmds: dict[str, Any] = {}
    for name in values["names"].split(","):
        if name in nodes:
            cmds[nodes[name].text] = {"comments": [], "cmds": {c.text: None for c in nodes[name].children}}
    return {"cmds": cmds}


@text_only("show running-config diffs")
def show_running_diffs(ctx: Ctx, values: dict[str, str], data: Any) -> str:
    sw = ctx.switch
    startup = Config(sw.model)
    if sw.startup_config is not None:
        from lifecycle.lab.eos.cli import load

        load(startup, sw.startup_config)
    return startup.diff(sw.running, "flash:/startup-config", "system:/running-config")


@text_only("show startup-config")
def show_startup(ctx: Ctx, values: dict[str, str], data: Any) -> str:
    text = ctx.switch.startup_config
    if text is None:
        raise CliError("Startup-config does not exist", 1000)
    return text if text.endswith("\n") else text + "\n"


def _session_of(ctx: Ctx, values: dict[str, str]) -> Any:
    name = values.get("name") or ctx.session.session_name
    if not name:
        raise CliError("No configuration session is active", 1000)
    sess = ctx.switch.sessions.get(name)
    if sess is None:
        raise CliError(f"Session {name} does not exist", 1000)
    return sess


@text_only("show session-config [named <word:name>] diffs")
def show_session_diffs(ctx: Ctx, values: dict[str, str], data: Any) -> str:
    sess = _session_of(ctx, values)
    return ctx.switch.running.diff(
        sess.candidate, "system:/running-config", f"session:/{sess.name}-session-config"
    )


@text_only("show session-config [named <word:name>]")
def show_session_config(ctx: Ctx, values: dict[str, str], data: Any) -> str:
    sess = _session_of(ctx, values)
    return sess.candidate.text(ctx.switch.header())


def _sessions_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    rows = [
        [
            ("* " if name == ctx.session.session_name else "  ") + name,
            s["state"],
            s["commitUser"],
            s["description"],
        ]
        for name, s in d["sessions"].items()
    ]
    return (
        f"Maximum number of completed sessions: {d['maxSavedSessions']}\n"
        f"Maximum number of pending sessions: {d['maxOpenSessions']}\n\n"
        + table(["  Name", "State", "User", "Terminal"], rows)
    )


@command("show configuration sessions [detail]", text=_sessions_text)
def show_sessions(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    out = {}
    for s in ctx.switch.sessions.all():
        entry: dict[str, Any] = {"state": s.state, "commitUser": s.user, "description": "", "instances": {}}
        if s.completed:
            entry["completedTime"] = s.completed
        out[s.name] = entry
    return {"sessions": out, "maxSavedSessions": 1, "maxOpenSessions": 5, "time": time.time()}
