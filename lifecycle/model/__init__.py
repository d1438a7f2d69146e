"""The site model: intent in YAML, validated with file, line and field on every problem.

>>> from pathlib import Path
>>> import lifecycle
>>> from lifecycle.model import load_site
>>> site = load_site(Path(lifecycle.__file__).parents[1] / "examples" / "ie1")  # the repository's
>>> [s.name for s in site.servers_in("c02")][:2]
['c02-s01', 'c02-s02']
>>> validate_site(Path(lifecycle.__file__).parents[1] / "no-such-site")[1][0].code
'missing'
"""

from __future__ import annotations

from pathlib import Path

from lifecycle.model.checks import cross_check
from lifecycle.model.hardware import HardwareProfile
from lifecycle.model.loader import Loaded, load_sections
from lifecycle.model.schema import Site
from lifecycle.model.yamlsrc import Problem


class SiteInvalid(Exception):
    """The site has problems; ``problems`` lists every one of them."""

    def __init__(self, root: Path, problems: list[Problem]):
        self.root = root
        self.problems = sorted(problems)
        super().__init__(f"{root}: {len(self.problems)} problem(s); first: {self.problems[0]}")


def validate_site(root: str | Path) -> tuple[Site | None, list[Problem]]:
    """Load and check a site directory; return the site (None if any problem) and problems."""
    path = Path(root)
    loaded: Loaded = load_sections(path)
    problems = list(loaded.problems)
    problems += cross_check(loaded)
    problems = sorted(set(problems))
    if problems:
        return None, problems
    site = Site.model_validate({
        **loaded.sections,
        "hardware_profiles": loaded.profiles,
        "digest": loaded.digest,
    })
    return site, []


def load_site(root: str | Path) -> Site:
    """Load a site, raising :class:`SiteInvalid` with every problem if it is not valid."""
    site, problems = validate_site(root)
    if site is None:
        raise SiteInvalid(Path(root), problems)
    return site


__all__ = ["HardwareProfile", "Problem", "Site", "SiteInvalid", "load_site", "validate_site"]
