"""YAML loading that remembers where every value came from.

Operators fix problems in files, so every problem i2 reports names the file, the line and the
field.  The loader returns ordinary ``dict``/``list`` subclasses that carry the line of each key
and item; :func:`locate` turns a validation ``loc`` path back into a line.

>>> doc = load_text("a:\\n  b: 1\\n", "x.yaml")
>>> locate(doc, ("a", "b"))
2
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class LineDict(dict):
    """A mapping that knows the line of itself and of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list):
    """A sequence that knows its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, where to find it, and why."""

    file: str
    line: int
    field: str
    message: str
    code: str = field(default="invalid", compare=False)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "code": self.code,
        }


class YamlError(Exception):
    """Malformed YAML, with the position the parser reported."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences remember their lines.

    Duplicate keys are an error here (plain YAML keeps the last one silently, which hides
    typos in hand-edited site files).
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        tag = super().resolve(kind, value, implicit)
        # YAML 1.1 reads 94:40:59:02:01:01 (a MAC) or 22:30 as base-60 numbers; in a site
        # file a colon always means text.
        if kind is yaml.ScalarNode and implicit[0] and ":" in value and tag in _SEXAGESIMAL:
            return "tag:yaml.org,2002:str"
        return tag


_SEXAGESIMAL = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


def _merged_pairs(loader: _Loader, node: yaml.MappingNode) -> tuple[list[Any], list[Any]]:
    """(inherited, own) key/value node pairs of a mapping with ``<<`` merge keys.

    Done here rather than with PyYAML's ``flatten_mapping``, whose order for ``<<: [*a, *b]``
    changed between releases (6.0.4 lets the last mapping win); YAML says the first one wins.
    """
    inherited: list[Any] = []
    own: list[Any] = []
    for key_node, value_node in node.value:
        if key_node.tag != "tag:yaml.org,2002:merge":
            if key_node.tag == "tag:yaml.org,2002:value":
                key_node.tag = "tag:yaml.org,2002:str"
            own.append((key_node, value_node))
            continue
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for src in sources:
            if not isinstance(src, yaml.MappingNode):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"expected a mapping or list of mappings for merging, but found {src.id}",
                    src.start_mark)
            more, mine = _merged_pairs(loader, src)
            inherited += mine + more  # a mapping's own keys beat what it merged itself
    return inherited, own


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    # Keys merged in with ``<<: *anchor`` may be overridden by the mapping's own keys (that is
    # what merge keys are for); only the mapping's own keys must be unique.
    inherited, own = _merged_pairs(loader, node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in inherited:
        key = loader.construct_object(key_node, deep=True)
        if key not in out:  # the first mapping merged in wins
            out[key] = loader.construct_object(value_node, deep=True)
            out.key_lines[key] = key_node.start_mark.line + 1
    own_keys: set[Any] = set()
    for key_node, value_node in own:
        key = loader.construct_object(key_node, deep=True)
        if key in own_keys:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        own_keys.add(key)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
# Timestamps stay strings: a site file never means a datetime, and str is what models expect.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_text(text: str, name: str) -> Any:
    """Parse one YAML document; raise :class:`YamlError` naming ``name`` and the line."""
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        context = exc.context
        if context and exc.context_mark and exc.context_mark.line + 1 != line:
            # e.g. the unclosed "{" of a flow mapping: the parser only notices lines later
            context += f" (from line {exc.context_mark.line + 1})"
        msg = " ".join(p for p in (context, exc.problem) if p) or str(exc)
        raise YamlError(Problem(name, line, "", f"malformed YAML: {msg}", "yaml")) from None
    except yaml.YAMLError as exc:
        raise YamlError(Problem(name, 0, "", f"malformed YAML: {exc}", "yaml")) from None


def load_file(path: Path, name: str | None = None) -> Any:
    """Parse a YAML file; ``name`` is how problems will call it (default: the path)."""
    label = name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(Problem(label, 0, "", f"not UTF-8 text: {exc}", "yaml")) from None
    return load_text(text, label)


def locate(node: Any, loc: Sequence[Any]) -> int:
    """The line of the deepest element of ``loc`` found under ``node`` (0 if none)."""
    line = getattr(node, "line", 0)
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line
