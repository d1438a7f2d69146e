"""What the build-out's VSD and cloud-proof tests share: examples/ie1 with its endpoints file
pointing at the VSD emulator (i2's account and each cloud's plugin user as secret references),
a step view and an action context."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import yaml

from lifecycle.engine import ActionContext, StepView
from lifecycle.lab.base import TlsFiles
from lifecycle.lab.nuage import VsdEmulator
from lifecycle.runbooks.common import Services
from lifecycle.tripleo.paths import REPO_ROOT
from tests.lab.nuage.conftest import PASSWORD

SITE_DIR = REPO_ROOT / "examples" / "ie1"
PLUGIN_PASSWORDS = {"ie1-old": "old-plugin-Pa55", "ie1-new": "new-plugin-Pa55"}


def services(tmp_path: Path, vsd: VsdEmulator, tls: TlsFiles, clouds: dict[str, Any] | None = None,
             plugins: tuple[str, ...] = tuple(PLUGIN_PASSWORDS)) -> Services:
    """Services over an endpoints file with the VSD (and ``clouds``: name -> clouds.yaml entry)."""
    ep: dict[str, Any] = {
        "secrets_file": "secrets.yaml",
        "vsd": {"url": vsd.url, "username": "csproot", "password": {"secret": "vsd"}, "organisation": "csp",
                "ca_file": str(tls.ca),
                "plugins": {c: {"username": f"{c}-neutron", "password": {"secret": f"plugin-{c}"},
                                "metadata_secret": {"secret": f"md-{c}"}} for c in plugins}}}
    if clouds:
        (tmp_path / "clouds.yaml").write_text(yaml.safe_dump({"clouds": clouds}))
        ep["clouds"] = {c: {"cloud": c, "clouds_yaml": "clouds.yaml"} for c in clouds}
    (tmp_path / "endpoints.yaml").write_text(yaml.safe_dump(ep))
    (tmp_path / "secrets.yaml").write_text(yaml.safe_dump({
        "vsd": PASSWORD, **{f"plugin-{c}": p for c, p in PLUGIN_PASSWORDS.items()},
        **{f"md-{c}": "md" for c in PLUGIN_PASSWORDS}}))
    return Services(site_dir=SITE_DIR, endpoints_file=tmp_path / "endpoints.yaml")


def view(key: str, action: Any, params: Any, attempt: int = 1) -> StepView:
    return StepView(key=key, target=key, action=action.name, params=params, attempt=attempt,
                    dep_outputs={}, run_id="t")


def context(key: str) -> ActionContext:
    return ActionContext("t", key, cancelled=threading.Event())


def hold_dns_priority(vsd: VsdEmulator) -> dict[str, Any]:
    """Another team's entry takes the priority of ie1-prd's common ``allow-dns`` (which is deleted):
    the bootstrap must report it blocked and never move it. Returns that entry."""
    (prd,) = vsd.store.find("domain", name="ie1-prd")
    (ingress,) = vsd.store.list("ingressacltemplate", prd["ID"])
    dns = next(e for e in vsd.store.list("ingressaclentrytemplate", ingress["ID"])
               if e["description"] == "allow-dns")
    vsd.store.delete(dns["ID"])
    return dict(vsd.store.create("ingressaclentrytemplate", {
        "description": "netops: something", "priority": 1000, "action": "DROP", "protocol": "17",
        "etherType": "0x0800", "DSCP": "*", "locationType": "ANY", "networkType": "ANY"}, ingress["ID"]))
