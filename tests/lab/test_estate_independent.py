"""The estate is the lab's own: its modules load nothing of i2's but the site model, and its
reading of the site's rules means what i2's does (two independent readings of one model that
must agree on every entry's subjects, ports, protocols, directions and actions), with its own
descriptions and numbering."""

from __future__ import annotations

import ast
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from lifecycle.lab.site_rules import a_subnets, grants
from lifecycle.model import load_site
from lifecycle.model.schema import Site

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ["estate.py", "estate_vsd.py", "estate_clouds.py", "site_rules.py"]
ALLOWED = ("lifecycle.model", "lifecycle.lab")


def lifecycle_names(path: Path) -> list[str]:
    """Every module an estate module imports or names in a string (``import_module("...")``)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            out += [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            out += [w.strip("`'\"(),:") for w in node.value.split()
                    if w.startswith(("lifecycle.", "`lifecycle."))]
    return [n for n in out if n.startswith("lifecycle.")]


@pytest.mark.parametrize("name", ESTATE)
def test_the_estate_modules_import_only_the_site_model_and_the_lab(name: str) -> None:
    names = lifecycle_names(ROOT / "lifecycle" / "lab" / name)
    assert names, "an estate module that reads no site model?"
    assert [n for n in names if not n.startswith(ALLOWED)] == []


def test_the_import_check_sees_a_product_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from lifecycle.nuage.policy import intended_entries\n"
                   "    return __import__('lifecycle.clouds')\n")
    assert lifecycle_names(bad) == ["lifecycle.nuage.policy", "lifecycle.nuage.policy.intended_entries",
                                    "lifecycle.clouds"]


def site_with_bulk(tmp_path: Path) -> Site:
    """examples/ie1 with a twelve-port rule to billing's subnet A before billing's others."""
    copy = tmp_path / "site"
    shutil.copytree(ROOT / "examples/ie1", copy)
    cfg = copy / "site.yaml"
    cfg.write_text(cfg.read_text().replace("../../hardware-profiles", str(ROOT / "hardware-profiles")))
    doc = yaml.safe_load((copy / "applications.yaml").read_text())
    billing = next(a for a in doc["applications"] if a["name"] == "billing")
    billing["rules"].insert(0, {"name": "bulk", "from": "app:reporting", "to": "subnet:billing/prd/a",
                                "protocol": "tcp", "ports": list(range(6000, 6012))})
    (copy / "applications.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_site(copy)


@pytest.mark.parametrize("which", ["ie1", "bulk"])
def test_the_lab_reads_the_rules_as_i2_does(which: str, tmp_path: Path) -> None:
    from lifecycle.nuage.policy import intended_entries  # the other reading, only to compare

    site = load_site(ROOT / "examples/ie1") if which == "ie1" else site_with_bulk(tmp_path)
    for env in ("prd", "qa"):
        lab = Counter(g.meaning for g in grants(site, env))
        i2 = Counter((e.direction, (e.location.type, e.location.name), (e.network.type, e.network.name),
                      e.protocol, e.port, e.action, e.stateful) for e in intended_entries(site, env))
        assert lab == i2
        assert sum(lab.values()) > 20 and max(lab.values()) == 1


def test_every_rule_has_room_after_it(tmp_path: Path) -> None:
    """Priorities distinct per direction, a rule's ports consecutive, a free one after each rule
    (so a mirror of its last port's entry has a place next to it)."""
    for env in ("prd", "qa"):
        gs = grants(site_with_bulk(tmp_path / env), env)
        for direction in ("ingress", "egress"):
            prios = sorted(g.priority for g in gs if g.direction == direction)
            assert len(prios) == len(set(prios))
        by_rule: dict[str, list[int]] = {}
        for g in gs:
            if g.direction == "ingress" or g.location[0] == "ZONE":
                by_rule.setdefault(g.label, []).append(g.priority)
        for label, prios in by_rule.items():
            ps = sorted(set(prios))
            assert ps == list(range(ps[0], ps[0] + len(ps))), label
            assert not any(g.priority == ps[-1] + 1 for g in gs), label
    bulk = sorted(g.priority for g in grants(site_with_bulk(tmp_path / "b"), "prd")
                  if g.label == "bulk" and g.direction == "egress")
    assert len(bulk) == 12


def test_descriptions_are_the_teams_not_i2s() -> None:
    site = load_site(ROOT / "examples/ie1")
    labels = {g.label for g in grants(site, "prd")}
    # the site's own names where it gives them, the team's wording where it does not
    assert {"allow-dns", "reporting-to-ledger", "web-portal-to-api-gateway"} <= labels
    assert "web-portal-from-external" in labels and "external-to-web-portal" not in labels
    assert "reporting-from-macro-corp-users" in labels


def test_the_a_subnets_come_from_the_site() -> None:
    site = load_site(ROOT / "examples/ie1")
    places = a_subnets(site)
    want = {(a.name, env, str(spec.subnets.a))
            for a in site.applications for env, spec in a.environments.items()}
    assert {(p.app, p.env, p.cidr) for p in places} == want
    assert {p.domain for p in places if p.env == "prd"} == {"ie1-prd"}


def test_the_switches_are_documented(tmp_path: Path) -> None:
    """Each brownfield switch of lab.yaml is in docs/twin.md, with how to turn it off."""
    from dataclasses import fields

    from lifecycle.lab.config import LabConfig

    doc = (Path(__file__).resolve().parents[2] / "docs" / "twin.md").read_text()
    names = [f.name for f in fields(LabConfig) if f.name.startswith(("brownfield_vsd_", "brownfield_cloud_"))]
    assert len(names) == 8 and [n for n in names if f"`{n}`" not in doc] == []
    (tmp_path / "lab.yaml").write_text("site: examples/ie1\n")
    (tmp_path / "brownfield.yaml").write_text("brownfield_vsd_stale_cms: false\n"
                                              "brownfield_cloud_flavor_drift: ''\n")
    cfg = LabConfig.load(tmp_path)
    assert (cfg.brownfield_vsd_stale_cms, cfg.brownfield_cloud_flavor_drift,
            cfg.brownfield_cloud_foreign) == (False, "", True)
