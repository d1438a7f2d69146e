"""What a switch's running config has that the site's does not, section by section, explained.

EOS keeps configs in its own canonical form (order, syntax, defaults), so a config session's diff
(:func:`lifecycle.fabric.eapi.diff`) already shows only what differs in meaning. :func:`explain`
groups that difference by section, in the switch's order, and says what each is and what a push
would do to it: a section or line that exists only on the switch ("not in the site", a push
removes it), one the site adds, a setting whose value differs.

>>> running = ("vlan 10\\n   name a\\n!\\nvlan 999\\n   name old\\n!\\n"
...            "interface Ethernet48\\n   shutdown\\n!\\nend\\n")
>>> site = "vlan 10\\n   name b\\n!\\ninterface Ethernet48\\n!\\nend\\n"
>>> for d in explain(running, site):
...     print(d)
vlan 10: name differs (switch 'a', site 'b')
vlan 999: not in the site (name old); a push removes it
interface Ethernet48: shut on the switch, not in the site; a push brings it up
"""

from __future__ import annotations

import re
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any

from lifecycle.fabric.eapi import SESSION_PREFIX

with warnings.catch_warnings():  # stdlib sha512-crypt, as lifecycle.fabric.eapi uses it
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt as _crypt

GLOBAL = "(global)"
_USER = re.compile(r"^username (\S+) (.*)secret sha512 (\S+)$")


@dataclass(frozen=True)
class Drift:
    section: str
    kind: str  # switch-only | site-only | differs
    detail: str

    def __str__(self) -> str:
        return f"{self.section}: {self.detail}"


def sections(text: str) -> dict[str, list[str]]:
    """Canonical EOS text -> {top-level line: its indented lines}; single top-level lines go
    under ``(global)``. Comments, ``!`` separators and ``end`` are not config."""
    out: dict[str, list[str]] = {GLOBAL: []}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.strip().startswith("!") or line == "end":
            continue
        if not line.startswith(" "):
            current = line
            out.setdefault(current, [])
            continue
        if current is not None:
            out[current].append(line[3:] if line.startswith("   ") else line.strip())
    for header, children in list(out.items()):
        if header != GLOBAL and not children and not _container(header):
            out[GLOBAL].append(header)
            del out[header]
    return out


def _container(header: str) -> bool:
    """Sections that exist even empty (a physical port, a VLAN, a mode)."""
    return header.startswith(("interface ", "vlan ", "router ", "management ", "mlag ", "vrf ",
                              "daemon ", "cvx"))


def _pair_key(line: str, others: list[str]) -> str | None:
    """The longest word prefix ``line`` shares with a line of ``others`` (the setting both set)."""
    words = line.split()
    for n in range(len(words) - 1, 0, -1):
        prefix = words[:n]
        if any(o.split()[:n] == prefix and len(o.split()) > n for o in others):
            return " ".join(prefix)
    return None


def _compare(section: str, switch: list[str], site: list[str]) -> list[Drift]:
    only_switch = [x for x in switch if x not in site]
    only_site = [x for x in site if x not in switch]
    out = []
    for line in only_switch:
        key = _pair_key(line, only_site)
        if key is not None:
            theirs = next(o for o in only_site if o.split()[: len(key.split())] == key.split())
            only_site.remove(theirs)
            a, b = line[len(key):].strip(), theirs[len(key):].strip()
            if key.startswith("username ") and "secret" in key:  # never print a hash
                out.append(Drift(section, "differs", f"{key}: another password on the switch"))
                continue
            out.append(Drift(section, "differs", f"{key} differs (switch '{a}', site '{b}')"))
        elif line == "shutdown":
            out.append(Drift(section, "switch-only",
                             "shut on the switch, not in the site; a push brings it up"))
        else:
            out.append(Drift(section, "switch-only",
                             f"{_redact(line)} is not in the site; a push removes it"))
    out += [Drift(section, "site-only", f"{_redact(x)} is not on the switch; a push adds it")
            for x in only_site]
    return out


_SECRET = re.compile(r"\b(secret|password|key|community)\b")


def _redact(line: str) -> str:
    """``line`` without what follows a secret's keyword (hashes, keys, SNMP communities)."""
    m = _USER.match(line)
    if m:
        return f"username {m.group(1)} (secret not shown)"
    s = _SECRET.search(line)
    if s and not line.startswith(("description ", "name ")):
        return f"{line[:s.end()]} (not shown)"
    return line


def explain(running: str, intended: str) -> list[Drift]:
    """The semantic differences between two canonical configs, in the switch's section order."""
    have, want = sections(running), sections(intended)
    out: list[Drift] = []
    order = list(have) + [h for h in want if h not in have]
    for header in order:
        if header not in want:
            body = ", ".join(_redact(x) for x in have[header]) or "empty"
            out.append(Drift(header, "switch-only", f"not in the site ({body}); a push removes it"))
        elif header not in have:
            body = ", ".join(_redact(x) for x in want[header]) or "empty"
            out.append(Drift(header, "site-only", f"not on the switch ({body}); a push adds it"))
        else:
            out += _compare(header, have[header], want[header])
    return out


def keep_hashes(running: str, intended: str, password: str) -> str:
    """``intended`` with each user's hash taken from the switch when it already holds
    ``password``: another salt is not another password, and re-salting is churn."""
    current = {m.group(1): m.group(3) for line in running.splitlines()
               if (m := _USER.match(line.strip()))}
    out = []
    for line in intended.splitlines():
        m = _USER.match(line.strip())
        if m and current.get(m.group(1), m.group(3)) != m.group(3):
            theirs = current[m.group(1)]
            if _crypt.crypt(password, theirs) == theirs:
                line = line.replace(m.group(3), theirs)
        out.append(line)
    return "\n".join(out) + ("\n" if intended.endswith("\n") else "")


_PORT = re.compile(r"^interface (Ethernet|Management)[\d/]+$")


@dataclass(frozen=True)
class Own:
    """Settings only the switch has, in one section (``(global)``: top-level lines)."""

    section: str
    lines: tuple[str, ...]
    whole: bool  # the site has no such section: it goes with all its lines (maybe none)

    def items(self) -> list[str]:
        """One human line per setting, secrets redacted (a whole section is one setting)."""
        if self.whole:
            body = ", ".join(_redact(x) for x in self.lines)
            return [f"{self.section} ({body})" if body else self.section]
        if self.section == GLOBAL:
            return [_redact(x) for x in self.lines]
        return [f"{self.section}: {_redact(x)}" for x in self.lines]


def foreign(running: str, intended: str, managed: str = "") -> list[Own]:
    """What only the switch has, section by section in its order: sections and lines the site
    does not set (a line both set, e.g. the same ``description``, is the site's: not foreign).

    ``managed`` is a config that was the site's (e.g. before a recommission moved servers to
    another cloud): what it sets is i2's own, so it goes even though the site no longer sets it.
    A physical port exists whatever its config, so an empty one is nothing of the switch's own.

    >>> running = ("vlan 110\\n   name old\\n!\\nvlan 999\\n!\\ninterface Ethernet7\\n!\\n"
    ...            "interface Ethernet48\\n   shutdown\\n!\\nend\\n")
    >>> [x.items() for x in foreign(running, "vlan 10\\n!\\n", managed="vlan 110\\n   name old\\n")]
    [['vlan 999'], ['interface Ethernet48: shutdown']]
    """
    have, want, was = sections(running), sections(intended), sections(managed)
    out: list[Own] = []
    for header, lines in have.items():
        mine = want.get(header)
        if mine is None and header in was and header != GLOBAL:
            continue  # a section that was i2's and the site no longer has
        if mine is None and _PORT.match(header):
            mine = []  # the port stays either way: only its lines can be the switch's own
        old = was.get(header, [])
        theirs = lines if mine is None else [
            x for x in lines if x not in mine and x not in old and _pair_key(x, mine) is None]
        if mine is None or theirs:
            out.append(Own(header, tuple(theirs), whole=mine is None))
    return out


def keep_foreign(running: str, intended: str, managed: str = "") -> str:
    """``intended`` plus what only the switch has (:func:`foreign`), for a push that must leave
    the switch's own settings as they are. A setting both set keeps the site's value; lines are
    typed at the end of their section, so EOS files them."""
    extra: list[str] = []
    for own in foreign(running, intended, managed):
        if own.section == GLOBAL:
            extra += own.lines
        else:
            extra += [own.section, *(f"   {x}" for x in own.lines), "!"]
    return intended.rstrip("\n").removesuffix("end").rstrip("\n") + "\n" + "\n".join(extra) + "\n"


def kept_items(owns: list[Own]) -> list[str]:
    """Every setting :func:`keep_foreign` keeps, one human line each (never a secret)."""
    return [item for own in owns for item in own.items()]


def _config_lines(config: str) -> list[str]:
    """What is typed into the session (as :func:`lifecycle.fabric.eapi.diff` types it)."""
    return [line.rstrip() for line in config.splitlines()
            if line.strip() and line.strip() != "!" and not line.startswith("end")]


@dataclass
class Review:
    config: str  # what a push sends (hashes kept when they hold the same password)
    diff: str  # EOS's own session diff
    drift: list[Drift]
    own: list[Own] = field(default_factory=list)  # the switch's own settings a push keeps

    @property
    def kept(self) -> list[str]:
        """The settings a push keeps, one human line each (never a secret)."""
        return kept_items(self.own)


def running_config(node: Any) -> str:
    """The switch's ``show running-config`` (canonical EOS text)."""
    return str(node.run_commands(["enable", "show running-config"], encoding="text")[1]["output"])


def review(node: Any, config: str, password: str | None = None, *, keep: bool = False,
           managed: str = "") -> Review:
    """Diff ``config`` against the switch in a config session (aborted: nothing changes) and
    explain the difference from both canonical texts as EOS prints them. With ``keep``, what
    only the switch has is added to ``config`` (:func:`keep_foreign`) and listed in ``kept``;
    what ``managed`` (a config that was the site's) sets is not the switch's own."""
    running = running_config(node)
    if password:
        config = keep_hashes(running, config, password)
    own: list[Own] = []
    if keep:
        own, config = foreign(running, config, managed), keep_foreign(running, config, managed)
    name = f"{SESSION_PREFIX}{uuid.uuid4().hex[:12]}"
    cmds = [f"configure session {name}", "rollback clean-config", *_config_lines(config),
            "show session-config diffs", "show session-config", "abort"]
    out = node.run_commands(["enable", *cmds], encoding="text")
    diff, candidate = out[-3]["output"], out[-2]["output"]
    return Review(config, diff, explain(running, candidate) if diff.strip() else [], own)
