"""The YAML form of a synthetic site's files: flow-style mappings and lists, a comment header."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class Flow(dict):
    """A mapping written on one line: ``{a: c01-leaf1:Ethernet1, b: ...}``."""


class FlowList(list):
    """A sequence written on one line: ``[Ethernet55/1, Ethernet56/1]``."""


class _Dumper(yaml.SafeDumper):
    """Indents block sequences under their key, as the hand-written sites do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


_Dumper.add_representer(
    Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True))
_Dumper.add_representer(
    FlowList, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True))


@dataclass
class SiteFile:
    comment: str
    sections: dict[str, Any]

    def text(self) -> str:
        head = "".join(f"# {line}\n" for line in self.comment.splitlines())
        body = "\n".join(
            yaml.dump({k: v}, Dumper=_Dumper, sort_keys=False, width=110, allow_unicode=True)
            for k, v in self.sections.items())
        return head + body
