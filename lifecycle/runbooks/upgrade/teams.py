"""The teams' API endpoints: their clouds.yaml entries, one per project, that the upgrade
points at the new cloud once the project's applications live there.

Only where a team's entry points changes (``auth_url``, region, CA bundle, interface): its
own user, project and domains stay, and no password is ever written (teams keep theirs in
``secure.yaml``). The file is rewritten atomically, mode 0600.

Example (the endpoints file names the teams' clouds.yaml and each cloud's admin entry)::

    switch_team_entry(endpoints, "finance-prd", "ie1-new")   # -> 'ie1-old', where it pointed
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from lifecycle.model.endpoints import Endpoints

WHERE = ("region_name", "cacert", "interface", "identity_api_version", "verify")


class TeamsError(Exception):
    transient = False


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise TeamsError(f"{path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise TeamsError(f"{path}: malformed YAML: {exc}") from None
    if not isinstance(data.get("clouds"), dict):
        raise TeamsError(f"{path}: no clouds mapping")
    return data


def _teams_file(endpoints: Endpoints) -> Path:
    if endpoints.teams is None:
        raise TeamsError("the endpoints file has no teams section (clouds_yaml: the teams' entries)")
    return endpoints.path(endpoints.teams.clouds_yaml)


def cloud_entry(endpoints: Endpoints, cloud: str) -> dict[str, Any]:
    """The admin clouds.yaml entry of a site cloud (where it is)."""
    ref = endpoints.clouds.get(cloud)
    if ref is None or not ref.clouds_yaml:
        raise TeamsError(f"no clouds.yaml entry (with clouds_yaml) for cloud {cloud} in the endpoints file")
    path = endpoints.path(ref.clouds_yaml)
    entry = _read(path)["clouds"].get(ref.cloud)
    if not isinstance(entry, dict):
        raise TeamsError(f"{path}: no entry {ref.cloud}")
    return entry


def _team(endpoints: Endpoints, project: str) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    path = _teams_file(endpoints)
    data = _read(path)
    entry = data["clouds"].get(project)
    if not isinstance(entry, dict):
        raise TeamsError(f"{path}: no entry for project {project}")
    return path, data, entry


def team_entry_cloud(endpoints: Endpoints, project: str) -> str | None:
    """Which site cloud the team's entry points at (by auth_url), or None."""
    _, _, entry = _team(endpoints, project)
    url = (entry.get("auth") or {}).get("auth_url")
    for name in endpoints.clouds:
        try:
            if (cloud_entry(endpoints, name).get("auth") or {}).get("auth_url") == url:
                return name
        except TeamsError:
            continue
    return None


def switch_team_entry(endpoints: Endpoints, project: str, cloud: str) -> str | None:
    """Point the project's entry at ``cloud``; return the cloud it pointed at before."""
    path, data, entry = _team(endpoints, project)
    before = team_entry_cloud(endpoints, project)
    target = cloud_entry(endpoints, cloud)
    entry.setdefault("auth", {})["auth_url"] = (target.get("auth") or {}).get("auth_url")
    for key in WHERE:
        if key in target:
            value = target[key]
            if key == "cacert" and value and not Path(value).is_absolute():
                value = str(endpoints.path(endpoints.clouds[cloud].clouds_yaml or ".").parent / value)
            entry[key] = value
        else:
            entry.pop(key, None)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".clouds.", suffix=".yaml")
    try:
        with os.fdopen(fd, "w") as fh:
            yaml.safe_dump(data, fh, sort_keys=False)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return before
