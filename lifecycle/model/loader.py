"""Read a site directory into validated sections, collecting every problem on the way.

Each list item is validated on its own, so one bad server does not hide the problems of the
others, and the valid items still go through the cross-checks in :mod:`lifecycle.model.checks`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from lifecycle.model.hardware import HardwareProfile
from lifecycle.model.schema import LIST_SECTIONS, MAP_SECTIONS, REQUIRED_SECTIONS
from lifecycle.model.yamlsrc import LineDict, LineList, Problem, YamlError, load_file, locate

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class Origin:
    """Where a validated object was written: file, its raw YAML node, its field path."""

    file: str
    node: Any
    path: str

    def field(self, loc: tuple[Any, ...] = ()) -> str:
        return self.path + _loc_text(self.node, loc)

    def line(self, loc: tuple[Any, ...] = ()) -> int:
        return locate(self.node, loc) or getattr(self.node, "line", 0)

    def problem(self, loc: tuple[Any, ...], message: str, code: str = "invalid") -> Problem:
        return Problem(self.file, self.line(loc), self.field(loc), message, code)


@dataclass
class Loaded:
    """Sections that validated, where each object came from, and every problem found."""

    sections: dict[str, Any] = field(default_factory=dict)
    origins: dict[int, Origin] = field(default_factory=dict)
    profiles: dict[str, HardwareProfile] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    digest: str = ""
    # Names of list items that failed validation: references to them are not "unknown".
    invalid: dict[str, set[str]] = field(default_factory=dict)
    # Mapping sections present but invalid: checks that need them must not call them missing.
    invalid_sections: set[str] = field(default_factory=set)

    def origin(self, obj: Any) -> Origin:
        return self.origins[id(obj)]


def _label(node: Any, index: int) -> str:
    if isinstance(node, LineDict) and isinstance(node.get("name"), str):
        return node["name"]
    return str(index)


def _leaf_names(rack: Any) -> set[str]:
    leaves = rack.get("leaves", {})
    leaves = leaves.get("leaves", []) if isinstance(leaves, dict) else []
    return {x["name"] for x in leaves if isinstance(x, dict) and isinstance(x.get("name"), str)}


def _loc_text(node: Any, loc: tuple[Any, ...]) -> str:
    """Render a pydantic loc as ``.nics[nic1].mac``, naming list items by their name."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{_label(node[part] if isinstance(node, list) and part < len(node) else None, part)}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            out += f".{part}"
            node = node.get(part) if isinstance(node, dict) else None
    return out


_SECRET_KEY = re.compile(r"pass(word|wd)?|secret|token|api[-_]?key|credential", re.I)

_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "missing required field",
}


def _message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return f"unknown key {err['loc'][-1]!r}"
    msg = _MESSAGES.get(kind, err.get("msg", "invalid"))
    msg = msg.removeprefix("Value error, ")
    secret = any(_SECRET_KEY.search(str(part)) for part in err.get("loc", ()))
    if kind not in _MESSAGES and "input" in err and not isinstance(err["input"], dict | list) \
            and not secret:  # never echo what may be a password into a report
        msg += f" (got {err['input']!r})"
    return msg


def validation_problems(exc: ValidationError, origin: Origin) -> list[Problem]:
    """Turn a pydantic error into one :class:`Problem` per failing field."""
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        out.append(origin.problem(loc, _message(err), err.get("type", "invalid")))
    return out


def _validate(model: type[BaseModel], node: Any, origin: Origin, loaded: Loaded) -> Any:
    try:
        obj = model.model_validate(node)
    except ValidationError as exc:
        loaded.problems.extend(validation_problems(exc, origin))
        return None
    loaded.origins[id(obj)] = origin
    return obj


def _site_files(root: Path, skip: Path | None) -> list[Path]:
    files = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        # ``skip`` is resolved, so compare resolved paths (``root`` may be relative)
        if skip is not None and (skip == (real := path.resolve()) or skip in real.parents):
            continue
        if path.is_file() and path.suffix in YAML_SUFFIXES:
            files.append(path)
    return files


def _profiles_dir(root: Path) -> Path:
    site_file = root / "site.yaml"
    rel = "hardware-profiles"
    if site_file.exists():
        try:
            doc = load_file(site_file, "site.yaml")
            value = doc.get("site", {}).get("hardware_profiles") if isinstance(doc, dict) else None
            if isinstance(value, str):
                rel = value
        except (YamlError, AttributeError):
            pass  # reported when site.yaml is read as a section file
    return (root / rel).resolve()


def load_profiles(directory: Path, root: Path, loaded: Loaded, digest: Any) -> None:
    """Read every ``*.yaml`` hardware profile in ``directory`` into ``loaded.profiles``."""
    if not directory.is_dir():
        loaded.problems.append(
            Problem("site.yaml", 0, "site.hardware_profiles",
                    f"hardware profile directory {directory} does not exist", "missing")
        )
        return
    for path in sorted(directory.glob("*.y*ml")):
        label = _relative(path, root)
        data = path.read_bytes()
        digest.update(label.encode() + b"\0" + data)
        try:
            node = load_file(path, label)
        except YamlError as exc:
            loaded.problems.append(exc.problem)
            obj = None
        else:
            obj = _validate(HardwareProfile, node, Origin(label, node, "profile"), loaded)
        if obj is None or obj.name != path.stem:
            # servers naming this profile are not "unknown": the profile is reported already
            loaded.invalid.setdefault("profiles", set()).add(path.stem)
        if obj is None:
            continue
        if obj.name != path.stem:
            loaded.problems.append(loaded.origin(obj).problem(
                ("name",), f"profile name {obj.name!r} differs from its file name {path.stem!r}"))
        loaded.profiles[obj.name] = obj


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def load_sections(root: Path) -> Loaded:
    """Read and validate every section file under ``root`` and the hardware profiles."""
    loaded = Loaded()
    if not root.is_dir():
        loaded.problems.append(Problem(str(root), 0, "", "site directory does not exist", "missing"))
        return loaded
    digest = hashlib.sha256()
    profiles = _profiles_dir(root)
    lists: dict[str, list[Any]] = {name: [] for name in LIST_SECTIONS}
    seen_maps: dict[str, str] = {}
    for path in _site_files(root, profiles):
        label = _relative(path, root)
        digest.update(label.encode() + b"\0" + path.read_bytes())
        try:
            doc = load_file(path, label)
        except YamlError as exc:
            loaded.problems.append(exc.problem)
            continue
        if doc is None:
            continue
        if not isinstance(doc, LineDict):
            loaded.problems.append(
                Problem(label, getattr(doc, "line", 1), "", "a site file must be a mapping of sections")
            )
            continue
        for section, value in doc.items():
            line = doc.key_lines.get(section, 0)
            if section in MAP_SECTIONS:
                if section in seen_maps:
                    loaded.problems.append(Problem(
                        label, line, section,
                        f"section {section!r} is already defined in {seen_maps[section]}",
                        "duplicate"))
                    continue
                seen_maps[section] = label
                holder = LineDict({section: value})
                holder.line, holder.key_lines = line, {section: line}
                obj = _validate(MAP_SECTIONS[section], value,
                                Origin(label, value if isinstance(value, LineDict) else holder,
                                       section), loaded)
                if obj is not None:
                    loaded.sections[section] = obj
                else:
                    loaded.invalid_sections.add(section)
            elif section in LIST_SECTIONS:
                if not isinstance(value, LineList):
                    loaded.problems.append(
                        Problem(label, line, section, f"section {section!r} must be a list"))
                    continue
                model = LIST_SECTIONS[section]
                for i, item in enumerate(value):
                    origin = Origin(label, item, f"{section}[{_label(item, i)}]")
                    if not isinstance(item, LineDict):
                        loaded.problems.append(Problem(
                            label, value.item_lines[i], origin.path,
                            f"each {section} entry must be a mapping"))
                        continue
                    obj = _validate(model, item, origin, loaded)
                    if obj is not None:
                        lists[section].append(obj)
                    elif isinstance(item.get("name"), str):
                        loaded.invalid.setdefault(section, set()).add(item["name"])
                        if section == "racks":  # its leaves are devices too
                            loaded.invalid["racks"] |= _leaf_names(item)
            else:
                known = ", ".join(sorted([*LIST_SECTIONS, *MAP_SECTIONS]))
                loaded.problems.append(Problem(
                    label, line, str(section), f"unknown section {section!r} (known: {known})",
                    "extra_forbidden"))
    for name in REQUIRED_SECTIONS:
        if name not in seen_maps and not lists.get(name):
            loaded.problems.append(
                Problem("site.yaml", 0, name, f"required section {name!r} is missing", "missing"))
    loaded.sections.update(lists)
    load_profiles(profiles, root, loaded, digest)
    loaded.digest = "sha256:" + digest.hexdigest()
    return loaded
