"""The endpoints file: secret references resolve, inline secrets and typos are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle.model.endpoints import (
    EndpointsInvalid,
    SecretMissing,
    SecretRef,
    SecretStore,
    load_endpoints,
)

GOOD = """\
secrets_file: secrets.yaml
oneview:
  url: https://127.0.0.1:8443
  username: admin
  password: {env: I2_TEST_OV_PASSWORD}
  ca_file: ca.pem
fabric:
  defaults: {transport: https, username: i2, password: {secret: eapi}}
  devices:
    c02-leaf1: {host: 127.0.0.1, port: 9443}
    c02-leaf2: {host: 127.0.0.1, port: 9444, username: other}
vsd: {url: https://127.0.0.1:8444, username: csproot, password: {file: vsd.pass}}
underclouds:
  uc-new: {host: 127.0.0.1, port: 2222, key_file: {file: id_ed25519}, known_hosts: known_hosts}
clouds:
  ie1-new: {cloud: ie1-new, clouds_yaml: clouds.yaml}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "endpoints.yaml"
    path.write_text(text)
    (tmp_path / "secrets.yaml").write_text("eapi: s3cr3t-eapi\n")
    (tmp_path / "vsd.pass").write_text("vsd-pass-value\n")
    return path


def test_references_resolve_from_env_file_and_secrets_file(tmp_path, monkeypatch):
    ep = load_endpoints(_write(tmp_path, GOOD))
    monkeypatch.setenv("I2_TEST_OV_PASSWORD", "ov-pass-value")
    store = SecretStore(ep)
    assert store.get(ep.oneview.password) == "ov-pass-value"
    assert store.get(ep.fabric.device("c02-leaf1").password) == "s3cr3t-eapi"
    assert store.get(ep.vsd.password) == "vsd-pass-value"
    assert store.seen == {"ov-pass-value", "s3cr3t-eapi", "vsd-pass-value"}
    assert ep.oneview.verify is True  # TLS verification is the default
    assert ep.path("ca.pem") == tmp_path / "ca.pem"


def test_device_settings_overlay_defaults(tmp_path):
    ep = load_endpoints(_write(tmp_path, GOOD))
    leaf2 = ep.fabric.device("c02-leaf2")
    assert (leaf2.host, leaf2.port, leaf2.username, leaf2.transport) == (
        "127.0.0.1", 9444, "other", "https")
    unknown = ep.fabric.device("c09-leaf1")
    assert unknown.username == "i2" and unknown.host is None


def test_inline_secret_is_refused_with_file_line_and_field(tmp_path):
    text = GOOD.replace("password: {file: vsd.pass}", "password: hunter2")
    with pytest.raises(EndpointsInvalid) as err:
        load_endpoints(_write(tmp_path, text))
    (problem,) = err.value.problems
    assert problem.field == "endpoints.vsd.password"
    assert problem.line == 12
    assert "inline secrets are not allowed" in problem.message
    assert "hunter2" not in str(err.value)


def test_unknown_key_is_reported(tmp_path):
    text = GOOD.replace("  username: admin\n", "  username: admin\n  pasword: {env: X}\n")
    with pytest.raises(EndpointsInvalid) as err:
        load_endpoints(_write(tmp_path, text))
    assert [(p.field, p.line) for p in err.value.problems] == [("endpoints.oneview.pasword", 5)]


def test_missing_secret_names_the_reference(tmp_path, monkeypatch):
    ep = load_endpoints(_write(tmp_path, GOOD))
    monkeypatch.delenv("I2_TEST_OV_PASSWORD", raising=False)
    with pytest.raises(SecretMissing, match="I2_TEST_OV_PASSWORD"):
        ep.resolve(ep.oneview.password)
    with pytest.raises(SecretMissing, match="nope"):
        ep.resolve(SecretRef(secret="nope"))


def test_reference_needs_exactly_one_source():
    with pytest.raises(ValueError, match="exactly one"):
        SecretRef(env="A", file="b")


def test_missing_file(tmp_path):
    with pytest.raises(EndpointsInvalid, match="does not exist"):
        load_endpoints(tmp_path / "nope.yaml")
