"""The synthetic site generator writes valid sites of the shape of examples/ie1, deterministically."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest

from lifecycle.model import load_site, validate_site
from lifecycle.model.generate import PROFILES, Spec, main, site_files, write_site

ROOT = Path(__file__).resolve().parents[2]


def test_large_site_is_valid(tmp_path: Path):
    out = tmp_path / "big"
    write_site(out, Spec(racks=40, servers_per_rack=24, apps=150, seed=7))
    site, problems = validate_site(out)
    assert problems == []
    assert site is not None
    assert len(site.racks) == 41 and len(site.servers) == 40 * 24 + 3
    assert Counter(r.state for r in site.racks if r.kind == "compute") == {
        "in-service": 20, "planned": 20}
    assert Counter(s.cloud for s in site.servers) == {"syn1-old": 480, "syn1-new": 483}
    assert {s.model for s in site.spines} == {"DCS-7504R3"} and len(site.spines) == 2
    assert len(site.applications) == 150
    assert any(a.stateful for a in site.applications) and any(a.talks_to for a in site.applications)
    assert site.upgrade is not None
    waves = site.upgrade.waves
    assert len(waves) == 6 and all(len(w.applications) <= 25 for w in waves)
    assert sorted(a for w in waves for a in w.applications) == sorted(
        a.name for a in site.applications)
    assert site.peer_of("r040-s24:nic2") == "r040-leaf2:Ethernet24"
    # self-contained: its own copy of the profiles, nothing outside OUT
    assert site.site.hardware_profiles == "hardware-profiles"
    assert sorted(p.stem for p in (out / "hardware-profiles").iterdir()) == sorted(PROFILES)


def test_small_site_is_valid(tmp_path: Path):
    write_site(tmp_path / "small", Spec(racks=1, servers_per_rack=2, apps=2, spines=1))
    site = load_site(tmp_path / "small")
    assert [r.name for r in site.racks] == ["ctl01", "r001"]
    assert len(site.servers) == 5 and len(site.spines) == 1


def test_big_modular_spines_when_four_cards_are_not_enough(tmp_path: Path):
    write_site(tmp_path / "wide", Spec(racks=80, servers_per_rack=1, apps=3, spines=3))
    site = load_site(tmp_path / "wide")
    assert {s.model for s in site.spines} == {"DCS-7508R3"}
    assert site.peer_of("syn1-spine3:Ethernet7/18") == "r080-leaf2:Ethernet51/1"


def test_dense_racks(tmp_path: Path):
    write_site(tmp_path / "dense", Spec(racks=1, servers_per_rack=48, apps=1))
    site = load_site(tmp_path / "dense")
    assert max(s.u for s in site.servers_in("r001")) == 49


def test_deterministic_for_a_seed():
    def texts(seed: int) -> dict[str, str]:
        return {k: f.text() for k, f in site_files(Spec(racks=3, apps=30, seed=seed)).items()}

    assert texts(5) == texts(5)
    other = texts(6)
    assert other != texts(5)
    assert other["racks/r001.yaml"] == texts(5)["racks/r001.yaml"]  # only applications vary


def test_refuses_to_overwrite(tmp_path: Path):
    out = tmp_path / "site"
    spec = Spec(racks=1, servers_per_rack=1, apps=1)
    write_site(out, spec)
    with pytest.raises(FileExistsError):
        write_site(out, spec)
    write_site(out, Spec(racks=2, servers_per_rack=1, apps=1), force=True)
    assert not validate_site(out)[1] and (out / "racks/r002.yaml").is_file()
    other = tmp_path / "not-a-site"
    other.mkdir()
    (other / "keep.txt").write_text("precious")
    with pytest.raises(FileExistsError):
        write_site(other, spec, force=True)
    assert (other / "keep.txt").read_text() == "precious"


def test_spec_limits():
    assert Spec().problems() == []
    assert Spec(racks=143).problems() == []
    assert Spec(racks=144).problems() and Spec(servers_per_rack=49).problems()
    assert Spec(apps=0).problems() and Spec(spines=7).problems() and Spec(wave_size=0).problems()
    with pytest.raises(ValueError, match="racks"):
        write_site(Path("/nonexistent/never-written"), Spec(racks=0))


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "cli"
    assert main([str(out), "--racks", "2", "--servers-per-rack", "2", "--apps", "3", "--check"]) == 0
    assert "0 problem(s)" in capsys.readouterr().out
    assert main([str(out)]) == 1
    with pytest.raises(SystemExit) as exc:
        main([str(out), "--servers-per-rack", "60"])
    assert exc.value.code == 2


def test_script(tmp_path: Path):
    out = tmp_path / "script"
    res = subprocess.run([str(ROOT / "scripts/gen-site"), str(out), "--racks", "1",
                          "--servers-per-rack", "1", "--apps", "1", "--seed", "3"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert validate_site(out)[1] == []
