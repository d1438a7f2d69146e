"""``i2 nuage bootstrap plan|apply`` against the VSD emulator: the plan reads and writes nothing,
``apply --dry-run`` is the plan, ``apply`` refuses without --yes off a terminal, makes what is
missing, and a second plan finds everything; a blocked object exits 1; no password printed."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lifecycle.cli.main import cli
from lifecycle.lab.nuage import VsdEmulator
from tests.lab.nuage.conftest import PASSWORD
from tests.nuage.buildout_env import PLUGIN_PASSWORDS, SITE_DIR, hold_dns_priority, services


def i2(tmp_path: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["--site", str(SITE_DIR), "--endpoints", str(tmp_path / "endpoints.yaml"),
                                   *args], catch_exceptions=False)
    return res.exit_code, res.output


def test_plan_dry_run_apply_then_nothing_to_do(tmp_path: Path, vsd: VsdEmulator, tls) -> None:
    services(tmp_path, vsd, tls)  # writes the endpoints file and its secrets
    code, out = i2(tmp_path, "-o", "json", "nuage", "bootstrap", "plan")
    plan = json.loads(out)
    assert code == 0 and plan["applied"] is False
    assert plan["summary"]["create"] == sum(i["action"] == "create" for i in plan["items"]) > 10
    assert {"kind": "user", "name": "IE1/ie1-new-neutron", "action": "create"}.items() <= next(
        i for i in plan["items"] if i["kind"] == "user" and i["name"] == "IE1/ie1-new-neutron").items()
    code, dry = i2(tmp_path, "-o", "json", "nuage", "bootstrap", "apply", "--dry-run")
    assert code == 0 and json.loads(dry)["items"] == plan["items"]
    assert vsd.store.version == 0  # plan and dry run wrote nothing

    code, out = i2(tmp_path, "nuage", "bootstrap", "apply")
    assert code != 0 and "refusing to change the VSD without --yes" in out and vsd.store.version == 0

    code, out = i2(tmp_path, "-o", "json", "nuage", "bootstrap", "apply", "--yes")
    done = json.loads(out)
    assert code == 0 and done["applied"] is True
    assert [i for i in done["items"] if i["action"] == "create"] == [
        i for i in plan["items"] if i["action"] == "create"]  # what the plan said is what was done
    assert vsd.store.find("user", userName="ie1-new-neutron")
    assert all(p not in out + dry for p in [*PLUGIN_PASSWORDS.values(), PASSWORD])

    version = vsd.store.version
    code, table = i2(tmp_path, "nuage", "bootstrap", "plan")
    summary = table.strip().splitlines()[-1]
    assert code == 0 and "VSD bootstrap: plan" in table and "exists" in summary and "create" not in summary
    assert vsd.store.version == version


def test_a_blocked_object_exits_1_and_names_it(tmp_path: Path, vsd: VsdEmulator, tls) -> None:
    services(tmp_path, vsd, tls)
    assert i2(tmp_path, "nuage", "bootstrap", "apply", "--yes")[0] == 0
    hold_dns_priority(vsd)
    code, out = i2(tmp_path, "-o", "json", "nuage", "bootstrap", "plan")
    (blocked,) = [i for i in json.loads(out)["items"] if i["action"] == "blocked"]
    assert code == 1 and blocked["name"] == "IE1/ie1-prd/ingress:allow-dns:53"


def test_a_site_cloud_without_its_plugin_user_is_an_error_before_any_call(tmp_path: Path, vsd: VsdEmulator,
                                                                          tls) -> None:
    services(tmp_path, vsd, tls, plugins=("ie1-old",))
    requests = vsd.requests
    code, out = i2(tmp_path, "nuage", "bootstrap", "plan")
    assert code == 1 and "names no plugin user for ie1-new" in out and vsd.requests == requests
