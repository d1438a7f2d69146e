"""Where the twin's Ironic virtualenv lives (made by scripts/lib/ironic-venv.sh)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
INSTALL_SCRIPT = REPO_ROOT / "scripts" / "lib" / "ironic-venv.sh"


def ironic_venv() -> Path:
    """``$I2_IRONIC_VENV`` if set, else ``.venv-ironic`` at the repository root."""
    return Path(os.environ.get("I2_IRONIC_VENV") or REPO_ROOT / ".venv-ironic")


def venv_ready(venv: Path | None = None) -> bool:
    """True when the venv has every program the twin runs."""
    bindir = (venv or ironic_venv()) / "bin"
    progs = ("ironic", "ironic-dbsync", "sushy-emulator", "ironic-inspector")
    return all((bindir / prog).exists() for prog in progs)
