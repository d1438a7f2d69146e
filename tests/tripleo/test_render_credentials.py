"""The Nuage plugin's credential: each cloud's own VSD user in the endpoints file
(``vsd.plugins``), never i2's account; refused clearly when missing or when it is i2's own."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lifecycle.model.endpoints import EndpointsInvalid, load_endpoints
from lifecycle.tripleo.render import RenderError, plugin_account, render_overcloud
from tests.tripleo.conftest import CLOUD, require_tht


def write(tmp_path: Path, vsd: str) -> Path:
    (tmp_path / "endpoints.yaml").write_text(
        "secrets_file: secrets.yaml\n" + vsd
        + 'pure: {url: "https://pure-ie1.example.net", api_token: {secret: pure}}\n')
    (tmp_path / "secrets.yaml").write_text(yaml.safe_dump({"vsd": "i2-pw", "pure": "tok", "p": "plugin-pw",
                                                           "m": "md"}))
    return tmp_path / "endpoints.yaml"


def with_plugin(entry: str) -> str:
    """A vsd section whose plugins name ie1-new as ``entry`` (line 6 of the file)."""
    return ('vsd:\n  url: "https://vsd:8443"\n  username: csproot\n  password: {secret: vsd}\n'
            f"  plugins:\n    ie1-new: {entry}\n")


def test_a_cloud_without_its_plugin_user_is_refused_not_given_i2s_account(tmp_path, site) -> None:
    path = write(tmp_path, 'vsd: {url: "https://vsd:8443", username: csproot, password: {secret: vsd}}\n')
    with pytest.raises(RenderError) as err:
        plugin_account(site.cloud(CLOUD), load_endpoints(path))
    assert "vsd.plugins has no ie1-new" in str(err.value) and "csproot" in str(err.value)
    require_tht()
    with pytest.raises(RenderError, match=r"vsd\.plugins has no ie1-new"):
        render_overcloud(site, CLOUD, load_endpoints(path), tmp_path / "out")
    assert not (tmp_path / "out" / "secrets.yaml").exists()  # refused before anything was written


def test_the_plugin_user_may_not_be_i2s_own_account_file_line_field(tmp_path) -> None:
    path = write(tmp_path, with_plugin(
        "{username: csproot, password: {secret: p}, metadata_secret: {secret: m}}"))
    with pytest.raises(EndpointsInvalid) as err:
        load_endpoints(path)
    (problem,) = err.value.problems
    text = str(problem)
    assert text.startswith(f"{path}:6: endpoints.vsd.plugins: ie1-new: username csproot is i2's own")


def test_plugin_credentials_are_secret_references(tmp_path) -> None:
    path = write(tmp_path, with_plugin(
        "{username: ie1-new-neutron, password: plugin-inline, metadata_secret: {secret: m}}"))
    with pytest.raises(EndpointsInvalid) as err:
        load_endpoints(path)
    text = "; ".join(str(p) for p in err.value.problems)
    assert "vsd.plugins.ie1-new.password" in text and "inline secrets are not allowed" in text
    assert "plugin-inline" not in text
