"""Rendering ie1-new from the site model: files, placement, predictable IPs, secrets, command."""

from __future__ import annotations

import stat

import pytest
import yaml

from lifecycle.model.endpoints import load_endpoints
from lifecycle.tripleo.render import RenderError, render_overcloud
from tests.tripleo.conftest import (
    CLOUD,
    METADATA_SECRET,
    PLUGIN_PASSWORD,
    PURE_TOKEN,
    VSD_PASSWORD,
    require_tht,
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, site, endpoints):
    require_tht()
    return render_overcloud(site, CLOUD, endpoints, tmp_path_factory.mktemp("render"))


def defaults(rendered, name):
    return yaml.safe_load(rendered.files[name].read_text())["parameter_defaults"]


def test_files_and_deploy_command(rendered):
    assert {"roles_data.yaml", "network_data.yaml", "network-environment.yaml", "node-info.yaml",
            "scheduler-hints.yaml", "ips-from-pool.yaml", "nuage.yaml", "pure.yaml", "ironic.yaml",
            "ntp-dns.yaml", "secrets.yaml", "nic-configs/controller.yaml",
            "nic-configs/computenuage.yaml", "manifest.json"} == set(rendered.files)
    cmd = rendered.command
    assert cmd[:5] == ["openstack", "overcloud", "deploy", "--templates",
                       "/usr/share/openstack-tripleo-heat-templates"]
    envs = [cmd[i + 1] for i, a in enumerate(cmd) if a == "-e"]
    tht = "/usr/share/openstack-tripleo-heat-templates/environments/"
    assert envs[:5] == [tht + "network-isolation.yaml", tht + "services/ironic-overcloud.yaml",
                        tht + "neutron-nuage-config.yaml", tht + "nova-nuage-config.yaml",
                        tht + "cinder-pure-config.yaml"]
    assert envs[-1] == "/home/stack/i2/ie1-new/secrets.yaml"  # secrets last: nothing overrides them
    assert cmd[cmd.index("-r") + 1] == "/home/stack/i2/ie1-new/roles_data.yaml"


def test_roles_come_from_the_real_tree(rendered):
    roles = {r["name"]: r for r in yaml.safe_load(rendered.files["roles_data.yaml"].read_text())}
    assert list(roles) == ["Controller", "ComputeNuage"]
    nuage = roles["ComputeNuage"]
    assert "OS::TripleO::Services::NovaCompute" in nuage["ServicesDefault"]
    assert "OS::TripleO::Services::ComputeNeutronCorePlugin" in nuage["ServicesDefault"]
    assert not {"OS::TripleO::Services::OVNController", "OS::TripleO::Services::ComputeNeutronOvsAgent"} \
        & set(nuage["ServicesDefault"])
    assert not any(k.startswith("deprecated_") for k in nuage)  # legacy aliases stay with Compute
    assert roles["Controller"]["CountDefault"] == 3
    assert set(roles["Controller"]["networks"]) == {"External", "InternalApi", "Storage", "StorageMgmt",
                                                    "Tenant"}


def test_placement_hostnames_and_predictable_ips(rendered):
    info = defaults(rendered, "node-info.yaml")
    assert info["ControllerCount"] == 3 and info["OvercloudComputeNuageFlavor"] == "compute"
    hints = defaults(rendered, "scheduler-hints.yaml")
    assert hints["ComputeNuageSchedulerHints"] == {"capabilities:node": "computenuage-%index%"}
    assert hints["HostnameMap"]["ie1-ctl-0"] == "r01-s01"
    assert hints["HostnameMap"]["ie1-cmp-7"] == "c02-s08"  # count 0 today, mapped for the scale-out
    ips = defaults(rendered, "ips-from-pool.yaml")
    assert ips["InternalApiVirtualFixedIPs"] == [{"ip_address": "172.16.2.10"}]
    assert ips["RedisVirtualFixedIPs"] == [{"ip_address": "172.16.2.11"}]
    assert ips["ControllerIPs"]["internal_api"] == ["172.16.2.12", "172.16.2.13", "172.16.2.14"]
    assert ips["ComputeNuageIPs"]["internal_api"][0] == "172.16.2.15"
    assert ips["ControllerIPs"]["tenant"][0] == "172.16.0.10"  # Tenant has no VIP


def test_nodes_from_ironic_drive_hostnames_and_ip_slots(tmp_path, site, endpoints):
    require_tht()
    nodes = {"Controller": [("r01-s03", 0), ("r01-s01", 1), ("r01-s02", 2)],
             "ComputeNuage": [("c02-s01", 0), ("c02-s02", 11)]}
    r = render_overcloud(site, CLOUD, endpoints, tmp_path, nodes=nodes)
    hints = defaults(r, "scheduler-hints.yaml")
    assert hints["HostnameMap"]["ie1-ctl-0"] == "r01-s03"
    assert hints["HostnameMap"]["ie1-cmp-11"] == "c02-s02"
    assert len(defaults(r, "ips-from-pool.yaml")["ComputeNuageIPs"]["tenant"]) == 12


def test_nuage_pure_and_ntp_parameters(rendered):
    nuage = defaults(rendered, "nuage.yaml")
    assert nuage["NeutronNuageVSDIp"] == "vsd.ie1.example.net:8443"
    assert nuage["NeutronNuageNetPartitionName"] == "IE1"
    assert (nuage["NuageActiveController"], nuage["NuageStandbyController"]) == ("10.0.0.50", "10.0.0.51")
    assert nuage["NovaOVSBridge"] == "alubr0"
    assert nuage["NeutronMechanismDrivers"] == ["nuage", "nuage_baremetal"]
    pure = defaults(rendered, "pure.yaml")
    assert pure["CinderPureSanIp"] == "pure-ie1.example.net" and pure["CinderPureStorageProtocol"] == "iSCSI"
    site_env = defaults(rendered, "ntp-dns.yaml")
    assert site_env["NtpServer"] == ["10.40.0.1", "10.40.0.2"]
    assert site_env["CloudDomain"] == "ie1.example.net"


def test_secrets_only_in_secrets_yaml_0600(rendered):
    secrets = rendered.files["secrets.yaml"]
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    values = defaults(rendered, "secrets.yaml")
    # the plugin's own password and the metadata secret, each from its own secret reference
    assert values["NeutronNuageVSDPassword"] == PLUGIN_PASSWORD and values["CinderPureAPIToken"] == PURE_TOKEN
    assert values["NuageMetadataProxySharedSecret"] == METADATA_SECRET
    assert values["NeutronMetadataProxySharedSecret"] == METADATA_SECRET
    for name, path in rendered.files.items():
        if name != "secrets.yaml":
            text = path.read_text()
            assert PLUGIN_PASSWORD not in text and PURE_TOKEN not in text, name
            assert METADATA_SECRET not in text, name
    assert PLUGIN_PASSWORD not in " ".join(rendered.command)


def test_no_file_carries_i2s_own_vsd_account(rendered, endpoints):
    """i2's VSD user and password appear in no rendered file, secrets.yaml included."""
    nuage = defaults(rendered, "nuage.yaml")
    assert nuage["NeutronNuageVSDUsername"] == "ie1-new-neutron"
    assert nuage["NeutronNuageVSDOrganization"] == "IE1"  # the plugin user's enterprise (net-partition)
    mine = endpoints.vsd.username
    for name, path in rendered.files.items():
        text = path.read_text()
        assert VSD_PASSWORD not in text, name
        assert mine not in text, (name, mine)
    assert VSD_PASSWORD not in " ".join(rendered.command) and mine not in " ".join(rendered.command)


def test_refusals(tmp_path, site, endpoints_file):
    require_tht()
    no_pure = tmp_path / "endpoints.yaml"
    no_pure.write_text("\n".join(line for line in endpoints_file.read_text().splitlines()
                                 if not line.startswith("pure:")) + "\n")
    (tmp_path / "secrets.yaml").write_text(endpoints_file.with_name("secrets.yaml").read_text())
    with pytest.raises(RenderError, match="needs a pure section"):
        render_overcloud(site, CLOUD, load_endpoints(no_pure), tmp_path / "a")
    with pytest.raises(RenderError, match="not managed by i2"):
        render_overcloud(site, "ie1-old", load_endpoints(endpoints_file), tmp_path / "b")
    with pytest.raises(RenderError, match="no cloud 'nope'"):
        render_overcloud(site, "nope", load_endpoints(endpoints_file), tmp_path / "c")


def test_a_pool_too_small_is_refused_naming_the_network(tmp_path, site, endpoints):
    require_tht()
    small = site.model_copy(deep=True)
    net = next(n for n in small.cloud(CLOUD).networks if n.name == "Storage")
    net.allocation_pools[0].end = net.allocation_pools[0].start.__class__("172.16.1.15")
    want = (r"network Storage of cloud ie1-new: its allocation pools hold 6 addresses but 13 are "
            r"needed \(2 VIPs, Controller 3, ComputeNuage 8\)")
    with pytest.raises(RenderError, match=want):
        render_overcloud(small, CLOUD, endpoints, tmp_path)
