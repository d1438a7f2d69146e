"""Shared machinery of the twin's emulators: HTTP(S) serving, faults, latency, TLS."""

from lifecycle.lab.base.faults import FaultPlan, parse_faults
from lifecycle.lab.base.http import EmulatorServer, HttpError, Request, Response, Router, json_response
from lifecycle.lab.base.latency import LatencyProfile
from lifecycle.lab.base.tls import TlsFiles, make_ca

__all__ = [
    "EmulatorServer",
    "FaultPlan",
    "HttpError",
    "LatencyProfile",
    "Request",
    "Response",
    "Router",
    "TlsFiles",
    "json_response",
    "make_ca",
    "parse_faults",
]
