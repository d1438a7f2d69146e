"""The twin's console into its switches: what FastCli reaches (``POST /switch/NAME/cli``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lifecycle.lab.base import EmulatorServer, HttpError, Request, Router


def console(lookup: Callable[[str], Any]) -> EmulatorServer:
    """A loopback server running CLI text on the switch ``lookup(name)`` returns."""
    router = Router()

    @router.route("POST", r"/switch/(?P<name>[A-Za-z0-9._-]+)/cli")
    def cli(req: Request) -> Any:
        try:
            switch = lookup(req.params["name"])
        except KeyError:
            raise HttpError(404, {"message": f"no switch {req.params['name']}"}) from None
        return {"output": switch.cli((req.json() or {}).get("text", ""))}

    return EmulatorServer("console", router)
