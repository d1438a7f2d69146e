"""The bare-metal adapter's error type."""

from __future__ import annotations


class BaremetalError(Exception):
    """A bare-metal operation failed for one node (or undercloud); ``transient`` says whether a
    retry may help."""

    def __init__(self, node: str, message: str, *, transient: bool = False):
        super().__init__(f"{node}: {message}")
        self.node = node
        self.message = message
        self.transient = transient


def sdk_error(name: str, exc: Exception) -> BaremetalError:
    """openstacksdk exceptions -> BaremetalError; 5xx, 503 (conductor busy) and connection errors
    are transient, 4xx are not."""
    from openstack import exceptions as osx

    if isinstance(exc, BaremetalError):
        return exc
    status = getattr(exc, "status_code", None)
    if isinstance(exc, osx.ConflictException) and "locked" in str(exc).lower():
        return BaremetalError(name, f"node is locked by the conductor: {exc}", transient=True)
    if isinstance(exc, osx.HttpException) and status is not None and status < 500:
        return BaremetalError(name, str(exc), transient=False)
    return BaremetalError(name, str(exc), transient=True)
