"""A switch configuration as EOS keeps it: a tree of modes, edited by CLI commands.

:class:`Config` is the tree (running-config, startup-config, a session's candidate);
:class:`Editor` applies one CLI line at a time with EOS's rules: a line that is not valid in the
current mode is tried in the parent modes (leaving the submode), ``no``/``default`` remove or
negate, a setting replaces its previous value. :func:`commands_of` turns config text back into
the commands that build it, so a startup-config is loaded exactly like typed input.

>>> cfg = Config("DCS-7050SX3-48YC8")
>>> ed = Editor(cfg)
>>> for line in ["hostname leaf1", "interface Ethernet1", "description to spine1", "no switchport",
...              "ip address 10.0.0.1/31", "no description"]:
...     ed.execute(line)
>>> print(cfg.section("interface Ethernet1").render())
interface Ethernet1
   no switchport
   ip address 10.0.0.1/31
"""

from __future__ import annotations

import copy
import difflib
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lifecycle.lab.eos import grammar
from lifecycle.lab.eos.crypt import sha512_crypt
from lifecycle.lab.eos.names import default_interfaces, model_ports, sort_key, vlan_set, vlan_text
from lifecycle.lab.eos.tokens import Match, tokenize

INDENT = "   "


class CliError(Exception):
    """A command EOS rejects. ``code`` is the eAPI error code (1002 invalid input, 1000 failed)."""

    def __init__(self, message: str, code: int = 1002):
        super().__init__(message)
        self.message = message
        self.code = code


def invalid(line: str, at: int = 0) -> CliError:
    toks = line.split()
    token = toks[at] if at < len(toks) else (toks[-1] if toks else "")
    return CliError(f"Invalid input (at token {at}: '{token}')")


@dataclass
class Node:
    text: str
    key: str
    order: int = 50
    mode: str | None = None  # the submode of a section
    values: dict[str, Any] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)

    @property
    def words(self) -> list[str]:
        words = self.text.split()
        return words[1:] if words[:1] == ["no"] else words

    @property
    def negated(self) -> bool:
        return self.text.startswith("no ")

    def child(self, key: str) -> Node | None:
        return next((c for c in self.children if c.key == key), None)

    def line(self, key: str) -> str | None:
        """The text of the (positive) line setting ``key``, e.g. ``line("description")``."""
        node = self.child(key)
        return node.text if node and not node.negated else None

    def has(self, text: str) -> bool:
        return any(c.text == text for c in self.children)

    def lines(self, prefix: str) -> list[Node]:
        """Positive child lines starting with the words of ``prefix``."""
        want = prefix.split()
        return [c for c in self.children if not c.negated and c.text.split()[: len(want)] == want]

    def sections(self, prefix: str) -> list[Node]:
        return [c for c in self.lines(prefix) if c.mode]

    def sorted_children(self) -> list[Node]:
        return sorted(self.children, key=_child_order)

    def render(self, depth: int = 0, *, all_defaults: bool = False) -> str:
        return "\n".join(_render(self, depth, all_defaults))


# How EOS lists a BGP neighbor's settings: grouped by neighbor (peer groups by name, then peers by
# address), each neighbor's lines in this order, whatever order they were typed in.
_NEIGHBOR_ATTRS = ["peer", "remote-as", "next-hop-self", "update-source", "ebgp-multihop",
                   "allowas-in", "description", "shutdown", "bfd", "password", "route-map",
                   "send-community", "maximum-routes", "activate"]


def _address_key(text: str) -> tuple[int, int, str]:
    try:
        return (1, int(ipaddress.ip_network(text, strict=False).network_address),
                str(ipaddress.ip_network(text, strict=False).prefixlen))
    except ValueError:
        return (0, 0, text)  # a peer group's name sorts before the addresses


def _child_order(node: Node) -> tuple[Any, ...]:
    if node.key.startswith("interface "):
        return (node.order, sort_key(node.key.split(" ", 1)[1]))
    if node.mode == "vlan":
        return (node.order, (0, (int(node.values.get("vid", 0)),), ""))
    words = node.key.split()
    if words[0] == "neighbor" and len(words) > 1:
        definition = node.text == f"neighbor {words[1]} peer group"
        attr = words[2] if len(words) > 2 else ""
        rank = _NEIGHBOR_ATTRS.index(attr) if attr in _NEIGHBOR_ATTRS else len(_NEIGHBOR_ATTRS)
        return (10 if definition else 12, (_address_key(words[1]), rank, node.key), "")
    if node.key.startswith(("network ", "username ", "ntp server ", "ip name-server ")):
        # list items EOS sorts: networks by prefix, users by name, name-servers/NTP by address
        return (node.order, (0, _address_key(words[-1]), node.text), "")
    return (node.order, (0, (), ""))


def _render(node: Node, depth: int, all_defaults: bool) -> Iterator[str]:
    yield INDENT * depth + node.text
    kids = node.sorted_children()
    for i, child in enumerate(kids):
        if child.mode and i > 0:  # EOS separates nested sections with an indented "!"
            yield INDENT * (depth + 1) + "!"
        yield from _render(child, depth + 1, all_defaults)
    if all_defaults and node.mode:
        for line in _defaults(node, all_defaults=True):
            yield INDENT * (depth + 1) + line


def _default_key(rule: grammar.Rule) -> str:
    words: list[str] = []
    for elem in rule.template.elems:
        if type(elem).__name__ != "Lit" or len(elem.words) != 1:  # type: ignore[union-attr]
            break
        words.append(elem.words[0])  # type: ignore[union-attr]
    if isinstance(rule.key, int):
        words = words[: rule.key]
    return " ".join(words)


def _defaults(section: Node, *, all_defaults: bool) -> list[str]:
    """Lines ``show running-config all`` adds to ``section`` for settings left at their default."""
    out = []
    for rule in grammar.MODES[section.mode or "config"]:
        if rule.default is None or (not all_defaults and not rule.spec.startswith("ip routing")):
            continue
        key = _default_key(rule)
        if any(c.key == key or c.words[: len(key.split())] == key.split() for c in section.children):
            continue
        out.append(rule.default.format(**section.values))
    return out


class Config:
    """One configuration tree; ``root`` holds the global-mode lines and sections."""

    def __init__(self, model: str):
        self.model = model
        self.root = Node("", "", mode="config")
        for name in default_interfaces(model):
            self.root.children.append(_interface_node(name))

    def copy(self) -> Config:
        return copy.deepcopy(self)

    def section(self, key: str) -> Node | None:
        return self.root.child(key)

    def interfaces(self) -> dict[str, Node]:
        return {c.key.split(" ", 1)[1]: c for c in self.root.children if c.mode == "interface"}

    def vlans(self) -> dict[int, Node]:
        return {int(c.values["vid"]): c for c in self.root.children if c.mode == "vlan"}

    @property
    def hostname(self) -> str:
        line = self.root.line("hostname")
        return line.split()[1] if line else "localhost"

    def body(self, *, all_defaults: bool = False) -> list[str]:
        """The config lines, ``!`` separated, ending in ``end`` (no header comments)."""
        lines: list[str] = []
        kids = self.root.children
        if all_defaults and self.root.child("vlan 1") is None:  # VLAN 1 always exists
            kids = [
                *kids,
                Node("vlan 1", "vlan 1", 30, "vlan", {"vid": 1}, [Node("name default", "name", 1)]),
            ]
        kids = sorted(kids, key=_child_order)
        prev: Node | None = None
        for child in kids:
            if prev is not None and (child.mode or prev.mode or child.order != prev.order):
                lines.append("!")
            lines += list(_render(child, 0, all_defaults))
            prev = child
        extra = _defaults(self.root, all_defaults=all_defaults)
        if extra:
            lines += ["!", *extra]
        return [*lines, "!", "end"]

    def text(self, header: list[str] | None = None, *, all_defaults: bool = False) -> str:
        return "\n".join([*(header or []), *self.body(all_defaults=all_defaults)]) + "\n"

    def as_json(self) -> dict[str, Any]:
        """The structured form eAPI returns for ``show running-config`` in json format."""

        def conv(node: Node) -> dict[str, Any]:
            cmds: dict[str, Any] = {}
            for c in node.sorted_children():
                cmds[c.text] = {"comments": [], "cmds": conv(c)} if c.mode else None
            return cmds

        return conv(self.root)

    def diff(self, other: Config, from_name: str, to_name: str) -> str:
        """Unified diff from this config to ``other`` ("" when they are the same)."""
        a, b = self.body(), other.body()
        if a == b:
            return ""
        lines = difflib.unified_diff(a, b, from_name, to_name, lineterm="")
        return "\n".join(lines) + "\n"


def _interface_node(name: str) -> Node:
    return Node(f"interface {name}", f"interface {name}", 40, "interface", {"name": name})


# -- the editor --------------------------------------------------------------------------------


class Editor:
    """Applies configuration-mode lines to a :class:`Config`, tracking the mode stack."""

    def __init__(self, config: Config, *, abbrev: bool = False):
        self.config = config
        self.abbrev = abbrev
        self.stack: list[tuple[str, list[Node]]] = [("config", [config.root])]

    @property
    def mode(self) -> str:
        return self.stack[-1][0]

    def exit(self) -> bool:
        """Leave the current submode; False when already at the global config level."""
        if len(self.stack) == 1:
            return False
        self.stack.pop()
        return True

    def execute(self, line: str) -> None:
        toks = tokenize(line)
        if not toks:
            return
        op = toks[0].text.lower()
        negate = op if op in ("no", "default") else None
        body = line[toks[1].start :] if negate and len(toks) > 1 else ("" if negate else line)
        if negate and not body:
            raise CliError(f"Incomplete command (at token 0: '{toks[0].text}')")
        for depth in range(len(self.stack) - 1, -1, -1):
            mode, targets = self.stack[depth]
            if negate:
                rule, m, partial = self._match_no(mode, body)
            else:
                rule, m = grammar.find_rule(mode, body, abbrev=self.abbrev)
                partial = False
            if rule is None or m is None:
                continue
            del self.stack[depth + 1 :]
            if negate:
                self._negate(rule, m, targets, negate, partial)
            else:
                self._apply(rule, m, targets)
            return
        raise invalid(line)

    def _match_no(self, mode: str, body: str) -> tuple[grammar.Rule | None, Match | None, bool]:
        toks = tokenize(body)
        for rule in grammar.MODES[mode]:
            if (m := rule.template.match(toks, abbrev=self.abbrev)) is not None:
                return rule, m, False
        rule, m = grammar.find_rule(mode, body, partial=True, abbrev=self.abbrev)
        return rule, m, True

    # -- positive commands ----------------------------------------------------------------------

    def _apply(self, rule: grammar.Rule, m: Match, targets: list[Node]) -> None:
        if rule.submode:
            self._enter(rule, m, targets)
            return
        kind = self.stack[-1][0]
        for target in targets:
            if rule.types and kind == "interface" and _itype(target) not in rule.types:
                raise invalid(m.text)
            text = m.text
            if rule.hook:
                text = getattr(self, f"_hook_{rule.hook}")(rule, m, target)
                if text is None:
                    continue
            key = rule.key_of(m)
            if rule.stored_no:
                _remove(target, key)  # the positive form is the default: nothing to show
                continue
            _set(target, Node(text, key, rule.order))

    def _enter(self, rule: grammar.Rule, m: Match, targets: list[Node]) -> None:
        root = self.config.root
        if rule.hook == "interface":
            names = m.values["names"].split(",")
            for name in names:
                self._check_interface(name)
            nodes = [self._interface(name) for name in names]
        elif rule.hook == "vlan":
            nodes = [self._vlan(v) for v in sorted(vlan_set(m.values["ids"]))]
        else:
            if rule.hook == "router_bgp" and (bgp := root.child("router bgp")) and bgp.text != m.text:
                raise CliError(f"% BGP is already running with AS number {bgp.words[2]}", 1000)
            key = rule.key_of(m)
            nodes = []
            for target in targets:
                node = target.child(key)
                if node is None:
                    node = Node(m.text, key, rule.order, rule.submode, dict(m.values))
                    target.children.append(node)
                nodes.append(node)
        self.stack.append((rule.submode or "config", nodes))

    def _check_interface(self, name: str) -> None:
        kind = _itype_name(name)
        number = name[len(kind) :]
        if kind in ("Ethernet", "Management"):
            if name not in model_ports(self.config.model):
                raise invalid(f"interface {name}", 1)
            return
        limits = {
            "Vlan": (1, 4094),
            "Port-Channel": (1, 2000),
            "Loopback": (0, 1000),
            "Vxlan": (1, 1),
            "Tunnel": (0, 65535),
        }
        low, high = limits.get(kind, (0, -1))
        if "/" in number or not low <= int(number) <= high:
            raise invalid(f"interface {name}", 1)

    def _interface(self, name: str) -> Node:
        key = f"interface {name}"
        node = self.config.root.child(key)
        if node is None:
            node = _interface_node(name)
            self.config.root.children.append(node)
        return node

    def _vlan(self, vid: int) -> Node:
        node = self.config.root.child(f"vlan {vid}")
        if node is None:
            node = Node(f"vlan {vid}", f"vlan {vid}", 30, "vlan", {"vid": vid})
            self.config.root.children.append(node)
        return node

    # -- hooks: commands whose stored form is not simply what was typed ---------------------------

    def _hook_username(self, rule: grammar.Rule, m: Match, target: Node) -> str:
        v = m.values
        parts = ["username", v["user"]]
        if "priv" in v:
            parts += ["privilege", v["priv"]]
        if "role" in v:
            parts += ["role", v["role"]]
        if "secret" not in v:
            return " ".join([*parts, "nopassword"])
        enc = v.get("enc", "0")
        if enc in ("0", "7"):  # clear text is stored hashed, as EOS does
            return " ".join([*parts, "secret", "sha512", sha512_crypt(v["secret"], salt_from=v["user"])])
        return " ".join([*parts, "secret", enc, v["secret"]])

    def _hook_channel_group(self, rule: grammar.Rule, m: Match, target: Node) -> str:
        self._interface(f"Port-Channel{m.values['id']}")  # EOS creates the port-channel
        return m.text

    def _hook_allowed_vlan(self, rule: grammar.Rule, m: Match, target: Node) -> str | None:
        op = m.values.get("op")
        new = vlan_set(m.values["v"])
        current_line = target.line("switchport trunk allowed vlan")
        current = vlan_set(current_line.split()[-1]) if current_line else set(range(1, 4095))
        if op == "add":
            new = current | new
        elif op == "remove":
            new = current - new
        elif op == "except":
            new = set(range(1, 4095)) - new
        if new == set(range(1, 4095)):  # every VLAN is the default: EOS shows no line
            _remove(target, rule.key_of(m))
            return None
        return f"switchport trunk allowed vlan {vlan_text(new)}"

    def _hook_vlan_state(self, rule: grammar.Rule, m: Match, target: Node) -> str | None:
        if m.values["state"] == "active":  # the default: EOS shows nothing
            _remove(target, rule.key_of(m))
            return None
        return m.text

    def _hook_max_routes(self, rule: grammar.Rule, m: Match, target: Node) -> str | None:
        # 12000 is the default (older EOS printed it on every neighbor): shown only when changed
        if m.values["max"] == "12000" and "warn" not in m.values:
            _remove(target, rule.key_of(m))
            return None
        return m.text

    def _hook_name_server(self, rule: grammar.Rule, m: Match, target: Node) -> str:
        # EOS names the VRF of every name-server, "vrf default" included
        return f"ip name-server vrf {m.values.get('vrf', 'default')} {m.values['addr']}"

    def _hook_peer_group_old(self, rule: grammar.Rule, m: Match, target: Node) -> str:
        group = m.values.get("group")
        return f"neighbor {m.values['n']} peer group" + (f" {group}" if group else "")

    def _hook_api_protocol(self, rule: grammar.Rule, m: Match, target: Node) -> str | None:
        if m.values["proto"] == "https" and "port" not in m.values:
            _remove(target, rule.key_of(m))  # HTTPS on 443 is the default: nothing shown
            return None
        return m.text

    # -- no / default ------------------------------------------------------------------------------

    def _negate(self, rule: grammar.Rule, m: Match, targets: list[Node], op: str, partial: bool) -> None:
        if rule.submode:
            self._remove_sections(rule, m, targets, partial)
            return
        for target in targets:
            if partial or rule.no_only:
                _remove_prefix(target, m.words)
                continue
            key = rule.key_of(m)
            if rule.hook == "api_protocol":
                if m.values["proto"] == "https" and op == "no":
                    _set(target, Node("no protocol https", key, rule.order))
                else:
                    _remove(target, key)
                continue
            if op == "no" and (rule.stored_no or rule.tristate):
                _set(target, Node(f"no {m.text}", key, rule.order))
            else:
                _remove(target, key)

    def _remove_sections(self, rule: grammar.Rule, m: Match, targets: list[Node], partial: bool) -> None:
        root = self.config.root
        if rule.hook == "interface":
            if partial:
                raise CliError("Incomplete command")
            for name in m.values["names"].split(","):
                node = root.child(f"interface {name}")
                if node is None:
                    continue
                if _itype_name(name) in ("Ethernet", "Management"):
                    node.children.clear()  # physical ports cannot go away: back to defaults
                    continue
                root.children.remove(node)
                if name.startswith("Port-Channel"):
                    for member in self.config.interfaces().values():
                        member.children = [
                            c for c in member.children if c.words[:2] != ["channel-group", name[12:]]
                        ]
            return
        if rule.hook == "vlan":
            if partial:
                raise CliError("Incomplete command")
            for vid in vlan_set(m.values["ids"]):
                _remove(root, f"vlan {vid}")
            return
        key = rule.key_of(m) if not partial else " ".join(m.words)
        if partial and isinstance(rule.key, int) and len(m.words) < rule.key:
            raise CliError("Incomplete command")
        for target in targets:
            _remove(target, key)


def _itype_name(name: str) -> str:
    return name.rstrip("0123456789/")


def _itype(node: Node) -> str:
    return _itype_name(node.values.get("name", ""))


def _set(target: Node, new: Node) -> None:
    for i, c in enumerate(target.children):
        if c.key == new.key:
            target.children[i] = new
            target.children = [x for j, x in enumerate(target.children) if j == i or x.key != new.key]
            return
    target.children.append(new)


def _remove(target: Node, key: str) -> None:
    target.children = [c for c in target.children if c.key != key]


def _remove_prefix(target: Node, words: list[str]) -> None:
    target.children = [c for c in target.children if c.mode or c.words[: len(words)] != words]


# -- config text -> commands ---------------------------------------------------------------------


def commands_of(text: str) -> list[str]:
    """The CLI lines that build ``text`` (indentation turned into explicit ``exit``)."""
    out: list[str] = []
    open_lines: list[list[int]] = []  # [indent, has_children] of the lines above
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("!") or stripped == "end":
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        while open_lines and indent <= open_lines[-1][0]:
            if open_lines.pop()[1]:
                out.append("exit")
        if open_lines:
            open_lines[-1][1] = 1
        out.append(stripped)
        open_lines.append([indent, 0])
    return out
