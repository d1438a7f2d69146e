"""One CLI session on a switch: what an eAPI request or a ``FastCli -c`` invocation runs in.

A session starts in privileged exec mode (``enable`` is accepted and changes nothing: the users
the twin knows are all privilege 15). ``configure`` enters config mode on the running-config for
the rest of the session, ``configure session NAME`` on that session's candidate; ``end``/``exit``
leave, ``commit``/``abort`` finish a session. ``show`` commands run in any mode and accept
output filters (``| include``, ``| grep``, ``| exclude``, ``| begin``, ``| section``).

>>> from lifecycle.lab.eos.switch import Switch
>>> sw = Switch("leaf1", "DCS-7050SX3-48YC8", "JPE1", "44:4c:a8:00:00:01")
>>> s = CliSession(sw)
>>> s.run("configure"), s.run("hostname leaf1"), s.run("end")
({}, {}, {})
>>> s.run("show hostname")
{'hostname': 'leaf1', 'fqdn': 'leaf1'}
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lifecycle.lab.eos import show
from lifecycle.lab.eos.config import CliError, Config, Editor, commands_of, invalid
from lifecycle.lab.eos.sessions import commit_timer, end_pending, parse_timer
from lifecycle.lab.eos.tokens import Template, tokenize

if TYPE_CHECKING:
    from lifecycle.lab.eos.switch import Switch

UNCONVERTED = (
    'Command cannot be used over the API at this time. To see ASCII output, set format="text" in your request'
)


class Unconverted(CliError):
    """A command without a JSON model asked for in json format (eAPI error 1003)."""

    def __init__(self) -> None:
        super().__init__(UNCONVERTED, 1003)


_EXEC: list[tuple[Template, str]] = [
    (Template(spec), name)
    for spec, name in [
        ("enable", "noop"),
        ("disable", "noop"),
        ("terminal (length|width) <int:n>", "noop"),
        ("terminal dont-ask", "noop"),
        ("configure [terminal]", "configure"),
        ("configure session <word:name> (commit|abort):what", "session_end"),
        ("configure session [<word:name>]", "configure_session"),
        ("configure replace <word:src> [force]", "configure_replace"),
        ("copy running-config startup-config", "write"),
        ("write [memory]", "write"),
        ("copy startup-config running-config", "copy_startup_running"),
        ("copy <word:src> startup-config", "copy_to_startup"),
        ("copy <word:src> running-config", "copy_to_running"),
        ("copy running-config <word:dst>", "copy_running_to"),
        ("reload [(now|force)] [now]", "reload"),
        ("zerotouch (disable|cancel|enable):what", "zerotouch"),
        ("install source <word:src>", "boot_image"),
        ("boot system <word:src>", "boot_image"),  # a config-mode command: writes boot-config
        ("exit", "noop"),
        ("end", "noop"),
    ]
]
# Exec commands EOS also accepts in config mode.
_IN_CONFIG = {"write", "noop", "copy_to_startup", "copy_running_to", "boot_image"}
_SESSION: list[tuple[Template, str]] = [
    (Template(spec), name)
    for spec, name in [
        ("commit timer <word:hms>", "commit_timer"),
        ("commit", "commit"),
        ("abort", "abort"),
        # Start the candidate from an empty config: a full intended config applied after it
        # replaces the running one on commit (how i2 diffs and pushes whole configs).
        ("rollback clean-config", "rollback_clean"),
    ]
]


class CliSession:
    """Runs commands one at a time; config mode and the open config session persist across them."""

    def __init__(self, switch: Switch, *, abbrev: bool = False):
        self.switch = switch
        self.abbrev = abbrev
        self.editor: Editor | None = None
        self.session_name: str | None = None

    @property
    def in_config(self) -> bool:
        return self.editor is not None

    def run(self, line: str, fmt: str = "json") -> Any:
        """Run one command; json format returns a dict, text format a string. Raises CliError."""
        line = line.strip()
        if not line or line.startswith("!"):
            return {} if fmt == "json" else ""
        if re.match(r"^do\s+sh", line, re.I) and self.in_config:
            line = line[3:].strip()
        if re.match(r"^sh(o(w)?)?\b", line, re.I):  # only show output can be piped through filters
            body, _, pipe = line.partition("|")
            return show.run(self, body.strip(), pipe.strip() or None, fmt)
        result = self._command(line)
        if fmt == "text":
            return result.get("output", "") if isinstance(result, dict) else str(result)
        return {k: v for k, v in result.items() if k != "output"}

    def _command(self, line: str) -> dict[str, Any]:
        toks = tokenize(line)
        word = toks[0].text.lower()
        if self.editor is not None:
            if word == "end":
                self._leave_config()
                return {}
            if word == "exit":
                if not self.editor.exit():
                    self._leave_config()
                return {}
            if self.session_name:
                for tpl, name in _SESSION:
                    sm = tpl.match(toks, abbrev=self.abbrev)
                    if sm is not None:
                        return getattr(self, f"_{name}")(sm.values)
        for tpl, name in _EXEC:
            m = tpl.match(toks, abbrev=self.abbrev)
            if m is not None and (self.editor is None or name in _IN_CONFIG):
                return getattr(self, f"_{name}")(m.values) or {}
        if self.editor is not None:
            self.editor.abbrev = self.abbrev
            self.editor.execute(line)
            if self.session_name is None:
                self.switch.changed()
            return {}
        raise invalid(line)

    def _leave_config(self) -> None:
        self.editor = None
        self.session_name = None

    # -- exec commands --------------------------------------------------------------------------

    def _noop(self, values: dict[str, str]) -> dict[str, Any]:
        return {}

    def _configure(self, values: dict[str, str]) -> dict[str, Any]:
        self.editor = Editor(self.switch.running, abbrev=self.abbrev)
        self.session_name = None
        return {}

    def _configure_session(self, values: dict[str, str]) -> dict[str, Any]:
        name = values.get("name") or self.switch.sessions.new_name()
        sess = self.switch.sessions.open(name, self.switch.running)
        self.editor = Editor(sess.candidate, abbrev=self.abbrev)
        self.session_name = name
        return {}

    def _commit(self, values: dict[str, str]) -> dict[str, Any]:
        assert self.session_name
        self.switch.commit_session(self.session_name)
        self._leave_config()
        return {}

    def _commit_timer(self, values: dict[str, str]) -> dict[str, Any]:
        assert self.session_name
        commit_timer(self.switch, self.session_name, parse_timer(values["hms"]))
        self._leave_config()
        return {}

    def _session_end(self, values: dict[str, str]) -> dict[str, Any]:
        """``configure session NAME commit|abort`` from exec: confirms or rolls back a pending
        commit timer, or finishes a pending session as ``commit``/``abort`` inside it would."""
        name, confirm = values["name"], values["what"] == "commit"
        if end_pending(self.switch, name, confirm=confirm):
            return {}
        sess = self.switch.sessions.get(name)
        if sess is None or sess.state != "pending":
            raise CliError(f"Cannot {values['what']} session {name}", 1000)
        if confirm:
            self.switch.commit_session(name)
        else:
            self.switch.sessions.abort(name)
        return {}

    def _abort(self, values: dict[str, str]) -> dict[str, Any]:
        assert self.session_name
        self.switch.sessions.abort(self.session_name)
        self._leave_config()
        return {}

    def _rollback_clean(self, values: dict[str, str]) -> dict[str, Any]:
        assert self.session_name
        sess = self.switch.sessions.get(self.session_name)
        assert sess is not None
        sess.candidate = Config(self.switch.model)
        self.editor = Editor(sess.candidate, abbrev=self.abbrev)
        return {}

    def _configure_replace(self, values: dict[str, str]) -> dict[str, Any]:
        text = self.switch.read_file(values["src"])
        cfg = Config(self.switch.model)
        errors = load(cfg, text)
        if errors:
            raise CliError(f"Invalid command in {values['src']}: {errors[0]}", 1000)
        self.switch.replace_running(cfg)
        return {}

    def _write(self, values: dict[str, str]) -> dict[str, Any]:
        self.switch.write_memory()
        return {"messages": ["Copy completed successfully."], "output": "Copy completed successfully.\n"}

    def _copy_startup_running(self, values: dict[str, str]) -> dict[str, Any]:
        return self._copy_to_running({"src": "startup-config"})

    def _copy_to_running(self, values: dict[str, str]) -> dict[str, Any]:
        text = self.switch.read_file(values["src"])
        editor = Editor(self.switch.running)
        _replay(editor, text)
        self.switch.changed()
        return {"messages": ["Copy completed successfully."], "output": "Copy completed successfully.\n"}

    def _copy_to_startup(self, values: dict[str, str]) -> dict[str, Any]:
        self.switch.write_file("startup-config", self.switch.read_file(values["src"]))
        return {"messages": ["Copy completed successfully."], "output": "Copy completed successfully.\n"}

    def _copy_running_to(self, values: dict[str, str]) -> dict[str, Any]:
        self.switch.write_file(values["dst"], self.switch.startup_text())
        return {"messages": ["Copy completed successfully."], "output": "Copy completed successfully.\n"}

    def _reload(self, values: dict[str, str]) -> dict[str, Any]:
        self.switch.reload(wait=False)
        return {}

    def _boot_image(self, values: dict[str, str]) -> dict[str, Any]:
        self.switch.set_boot_image(values["src"])
        return {}

    def _zerotouch(self, values: dict[str, str]) -> dict[str, Any]:
        self.switch.zerotouch(values["what"])
        return {}


def _replay(editor: Editor, text: str) -> list[str]:
    errors = []
    for line in commands_of(text):
        if line == "exit":
            editor.exit()
            continue
        try:
            editor.execute(line)
        except CliError as err:
            errors.append(f"{line}: {err.message}")
    return errors


def load(cfg: Config, text: str) -> list[str]:
    """Apply config text to ``cfg`` as EOS loads a startup-config: bad lines are reported, skipped."""
    return _replay(Editor(cfg), text)
