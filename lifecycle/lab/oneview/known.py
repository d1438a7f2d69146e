"""Every collection an HPE OneView appliance serves (the URIs hpOneView's resource classes address),
so that a collection the estate has none of answers an empty page, as the appliance does, never 404.

The twin keeps tables only for what the lab's rack-server estate holds; the other collections are
empty on it, as they are on a real appliance managing DL servers only (no enclosures, SANs,
storage systems...). ``GET {collection}/{id}`` on them is the appliance's RESOURCE_NOT_FOUND, and
``GET {collection}/schema`` a JSON schema. List ``type`` names of collections i2 never reads are
plausible, not verified against a live appliance.
"""

from __future__ import annotations

from typing import Any

# collection URI -> (category, list type)
EMPTY_COLLECTIONS: dict[str, tuple[str, str]] = {
    "/rest/events": ("events", "EventResourceCollectionV3"),
    "/rest/labels": ("labels", "LabelCollection"),
    "/rest/scopes": ("scopes", "ScopeCollectionV3"),
    "/rest/enclosures": ("enclosures", "EnclosureListV7"),
    "/rest/logical-enclosures": ("logical-enclosures", "LogicalEnclosureCollectionV4"),
    "/rest/interconnects": ("interconnects", "InterconnectCollectionV6"),
    "/rest/interconnect-types": ("interconnect-types", "InterconnectTypeCollectionV5"),
    "/rest/logical-interconnects": ("logical-interconnects", "LogicalInterconnectCollectionV6"),
    "/rest/logical-interconnect-groups": (
        "logical-interconnect-groups",
        "LogicalInterconnectGroupCollectionV8",
    ),
    "/rest/sas-interconnects": ("sas-interconnects", "SasInterconnectCollection"),
    "/rest/sas-interconnect-types": ("sas-interconnect-types", "SasInterconnectTypeCollection"),
    "/rest/sas-logical-interconnects": ("sas-logical-interconnects", "SasLogicalInterconnectCollectionV2"),
    "/rest/sas-logical-interconnect-groups": (
        "sas-logical-interconnect-groups",
        "SasLogicalInterconnectGroupCollectionV2",
    ),
    "/rest/internal-link-sets": ("internal-link-sets", "InternalLinkSetCollection"),
    "/rest/uplink-sets": ("uplink-sets", "UplinkSetCollectionV7"),
    "/rest/fc-networks": ("fc-networks", "FcNetworkCollectionV4"),
    "/rest/fcoe-networks": ("fcoe-networks", "FcoeNetworkCollectionV4"),
    "/rest/network-sets": ("network-sets", "NetworkSetCollectionV5"),
    "/rest/connection-templates": ("connection-templates", "ConnectionTemplateCollection"),
    "/rest/switches": ("switches", "SwitchCollection"),
    "/rest/switch-types": ("switch-types", "SwitchTypeCollection"),
    "/rest/logical-switches": ("logical-switches", "LogicalSwitchCollectionV4"),
    "/rest/logical-switch-groups": ("logical-switch-groups", "LogicalSwitchGroupCollectionV4"),
    "/rest/fabrics": ("fabrics", "FabricCollection"),
    "/rest/fc-sans/managed-sans": ("fc-sans", "ManagedSanCollection"),
    "/rest/fc-sans/device-managers": ("fc-device-managers", "DeviceManagerCollection"),
    "/rest/fc-sans/endpoints": ("fc-sans", "EndpointCollection"),
    "/rest/storage-systems": ("storage-systems", "StorageSystemCollectionV5"),
    "/rest/storage-pools": ("storage-pools", "StoragePoolCollectionV3"),
    "/rest/storage-volumes": ("storage-volumes", "StorageVolumeCollectionV7"),
    "/rest/storage-volume-templates": ("storage-volume-templates", "StorageVolumeTemplateCollectionV6"),
    "/rest/storage-volume-attachments": ("storage-volume-attachments", "StorageVolumeAttachmentCollectionV2"),
    "/rest/drive-enclosures": ("drive-enclosures", "DriveEnclosureList"),
    "/rest/sas-logical-jbods": ("sas-logical-jbods", "SasLogicalJbodCollectionV2"),
    "/rest/sas-logical-jbod-attachments": (
        "sas-logical-jbod-attachments",
        "SasLogicalJbodAttachmentCollection",
    ),
    "/rest/datacenters": ("datacenters", "DatacenterCollectionV2"),
    "/rest/racks": ("racks", "RackCollectionV2"),
    "/rest/power-devices": ("power-devices", "PowerDeviceCollectionV3"),
    "/rest/unmanaged-devices": ("unmanaged-devices", "UnmanagedDeviceCollectionV2"),
    "/rest/hypervisor-managers": ("hypervisor-managers", "HypervisorManagerCollectionV2"),
    "/rest/hypervisor-cluster-profiles": (
        "hypervisor-cluster-profiles",
        "HypervisorClusterProfileCollectionV3",
    ),
    "/rest/os-deployment-plans": ("os-deployment-plans", "OsDeploymentPlanCollection"),
    "/rest/deployment-servers": ("deployment-servers", "DeploymentServerCollection"),
    "/rest/firmware-bundles": ("firmware-drivers", "FirmwareBundleCollection"),
    "/rest/backups": ("backups", "BackupCollection"),
    "/rest/licenses": ("licenses", "LicenseListV500"),
    "/rest/appliance/trap-destinations": ("SnmpV1TrapDestination", "SnmpV1TrapDestinationCollection"),
    "/rest/appliance/snmpv3-trap-forwarding/destinations": (
        "SnmpV3TrapDestination",
        "SnmpV3TrapDestinationCollection",
    ),
    "/rest/appliance/snmpv3-trap-forwarding/users": ("SnmpV3User", "SnmpV3UserCollection"),
    "/rest/migratable-vc-domains": ("migratable-vc-domains", "MigratableVcDomainCollection"),
    "/rest/connections": ("connections", "ConnectionCollectionV2"),
    "/rest/id-pools/ipv4/subnets": ("id-range-IPV4-subnet", "Collection"),
    "/rest/id-pools/ipv4/ranges": ("id-range-IPV4", "Collection"),
    "/rest/index/resources": ("index-resources", "IndexResourceCollection"),
    "/rest/logical-downlinks": ("logical-downlinks", "LogicalDownlinkCollectionV2"),
    "/rest/interconnect-link-topologies": (
        "interconnect-link-topologies",
        "InterconnectLinkTopologyCollection",
    ),
    "/rest/restores": ("restores", "RestoreCollection"),
}

# Collections the twin keeps tables for (routed by their own modules): they only get a schema here.
TABLE_COLLECTIONS = (
    "/rest/alerts",
    "/rest/server-hardware",
    "/rest/server-hardware-types",
    "/rest/server-profiles",
    "/rest/server-profile-templates",
    "/rest/ethernet-networks",
    "/rest/firmware-drivers",
    "/rest/enclosure-groups",
    "/rest/tasks",
    "/rest/users",
    "/rest/roles",
)


def schema(collection: str, sample: dict[str, Any] | None = None) -> dict[str, Any]:
    """``GET {collection}/schema``: a draft-03 JSON schema of its members (from a member when the
    twin has one, else the fields every OneView resource has)."""

    def kind(value: Any) -> str:
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, int | float):
            return "integer" if isinstance(value, int) else "number"
        return {list: "array", dict: "object"}.get(type(value), "string")

    fields = sample or dict.fromkeys(("type", "category", "uri", "name", "eTag", "created", "modified"), "")
    return {
        "$schema": "http://json-schema.org/draft-03/schema#",
        "id": f"{collection}/schema",
        "type": "object",
        "properties": {k: {"type": kind(v), "required": k in ("type", "uri")} for k, v in fields.items()},
    }
