"""``show`` commands: one registry, each command a JSON model plus its text rendering.

Handlers get a :class:`Ctx` (the switch, its derived state, the CLI session) and the template's
values. A command whose JSON model is ``None`` only has text output: asked for in json format it
fails with eAPI error 1003, as unconverted commands do on EOS (pyeapi then retries as text).

>>> from lifecycle.lab.eos.switch import Switch
>>> sw = Switch("leaf1", "vEOS", "S1", "00:1c:73:00:00:01", config="hostname leaf1\\n")
>>> print(sw.cli("show version | include image"), end="")
Software image version: 4.28.3M
"""

from lifecycle.lab.eos.show import bgp, configs, cvx, interfaces, lldp, mlag, system  # noqa: F401  (registers)
from lifecycle.lab.eos.show.registry import (
    Ctx,
    ShowCmd,
    command,
    duration,
    generic_text,
    run,
    table,
    text_only,
)

__all__ = ["Ctx", "ShowCmd", "command", "duration", "generic_text", "run", "table", "text_only"]
