"""What every appliance serves whatever it manages: login details, node information, network
interfaces, users and roles, the ID pools, collection schemas, and every other collection (empty).

Registered before the table modules, so ``{collection}/schema`` wins over ``{collection}/{id}``.
Values an appliance sets per installation (serial numbers, build ids, addresses) are plausible.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from lifecycle.lab.base import Request, Router
from lifecycle.lab.oneview.catalog import stable_id
from lifecycle.lab.oneview.errors import bad_request, not_found
from lifecycle.lab.oneview.known import EMPTY_COLLECTIONS, TABLE_COLLECTIONS, schema

if TYPE_CHECKING:
    from lifecycle.lab.oneview.emulator import OneViewEmulator

_ID = r"(?P<id>[^/]+)"
# currentVersion (X-API-Version) -> the OneView release that serves it (build ids plausible)
RELEASES = {
    1200: "5.00.00-0396140",
    1600: "5.20.00-0418541",
    1800: "5.30.00-0428754",
    2000: "5.40.00-0434135",
    2200: "5.50.00-0441960",
}


def software_version(api: int) -> str:
    return RELEASES[max([v for v in RELEASES if v <= api] or [min(RELEASES)])]


# The roles of OneView 5.x, as GET /rest/roles lists them.
ROLES = (
    "Infrastructure administrator",
    "Read only",
    "Server administrator",
    "Network administrator",
    "Storage administrator",
    "Backup administrator",
    "Server firmware operator",
    "Server profile administrator",
    "Server profile architect",
    "Server profile operator",
    "Scope administrator",
    "Scope operator",
    "Software administrator",
)
# pool -> (range start, range end, size) of the appliance's generated default range.
_POOLS = {
    "vmac": ("F2:D4:C2:B0:00:00", "F2:D4:C2:BF:FF:FF", 1048576),
    "vwwn": ("10:00:0A:E3:7B:00:00:00", "10:00:0A:E3:7B:0F:FF:FF", 1048576),
    "vsn": ("VCG0FM5000", "VCG0FM5ZZZ", 46656),
    "ipv4": None,
}


def _meta(uri: str, category: str, type_: str) -> dict[str, Any]:
    return {"type": type_, "category": category, "uri": uri, "eTag": None, "created": None, "modified": None}


def user_doc(name: str) -> dict[str, Any]:
    return {
        **_meta(f"/rest/users/{name}", "users", "UserAndPermissions"),
        "userName": name,
        "fullName": "Default appliance administrator",
        "emailAddress": "",
        "officePhone": "",
        "mobilePhone": "",
        "enabled": True,
        "passwordUpdateDate": None,
        "permissions": [{"roleName": "Infrastructure administrator", "scopeUri": None}],
    }


def role_doc(name: str) -> dict[str, Any]:
    return {
        **_meta(f"/rest/roles/{name}", "roles", "RoleV3"),
        "name": name,
        "roleType": name.replace(" ", "_").upper(),
    }


def pool_doc(kind: str) -> dict[str, Any]:
    rng = _POOLS[kind]
    size = rng[2] if rng else 0
    return {
        **_meta(f"/rest/id-pools/{kind}", f"id-pool-{kind.upper()}", "Pool"),
        "name": kind.upper(),
        "poolType": kind.upper(),
        "enabled": True,
        "prefix": None,
        "rangeUris": [f"/rest/id-pools/{kind}/ranges/{stable_id('range', kind)}"] if rng else [],
        "totalCount": size,
        "allocatedCount": 0,
        "freeCount": size,
    }


def range_doc(kind: str) -> dict[str, Any]:
    start, end, size = _POOLS[kind]  # type: ignore[misc]
    uri = f"/rest/id-pools/{kind}/ranges/{stable_id('range', kind)}"
    return {
        **_meta(uri, f"id-range-{kind.upper()}", "Range"),
        "name": None,
        "prefix": None,
        "enabled": True,
        "startAddress": start,
        "endAddress": end,
        "rangeCategory": "GENERATED",
        "totalCount": size,
        "freeIdCount": size,
        "allocatedIdCount": 0,
        "reservedIdCount": 0,
        "defaultRange": True,
        "allocatorUri": f"{uri}/allocator",
        "collectorUri": f"{uri}/collector",
        "freeFragmentUri": f"{uri}/free-fragments?start=0&count=-1",
        "allocatedFragmentUri": f"{uri}/allocated-fragments?start=0&count=-1",
    }


def ilo_alert(hw_uri: str, name: str, ilo: str, since: str) -> dict[str, Any]:
    """The active alert of a server whose iLO does not answer (the appliance lost its management)."""
    uri = f"/rest/alerts/{stable_id('alert', hw_uri)}"
    return {
        **_meta(uri, "alerts", "AlertResourceV3"),
        "created": since,
        "modified": since,
        "alertState": "Active",
        "severity": "Critical",
        "urgency": "High",
        "healthCategory": "Connectivity",
        "physicalResourceType": "server-hardware",
        "resourceUri": hw_uri,
        "alertTypeID": "hpris.server.ServerHardwareCommunicationError",
        "associatedResource": {
            "resourceName": name,
            "resourceUri": hw_uri,
            "resourceCategory": "server-hardware",
            "associationType": "HAS_A",
        },
        "description": f"Unable to establish a connection with the iLO of {name} at {ilo}.",
        "correctiveAction": "Check the iLO's network connectivity and state, then refresh the server.",
        "lifeCycle": False,
        "serviceEventSource": False,
        "assignedToUser": None,
        "changeLog": [],
    }


def register(router: Router, emu: OneViewEmulator) -> None:
    node = stable_id("appliance", "node")

    @router.route("GET", r"/rest/logindetails")
    def login_details(req: Request) -> dict[str, Any]:
        local = {"name": "LOCAL", "uri": None, "loginDomain": "0"}
        return {
            **_meta("/rest/logindetails", "LoginDetails", "LoginDetailsV2"),
            "allowLocalLogin": True,
            "defaultLoginDomain": local,
            "loginDomainsList": [local],
            "loginDomainsDetailsList": [{**local, "directoryBindingType": "USER_ACCOUNT"}],
            "loginMessage": {"message": None, "acknowledgment": False},
        }

    @router.route("GET", r"/rest/appliance/nodeinfo/version")
    def node_version(req: Request) -> dict[str, Any]:
        release = software_version(emu.max_api)
        major, minor, rest = release.split(".", 2)
        return {
            **_meta("/rest/appliance/nodeinfo/version", "appliance", "ApplianceVersionResourceV3"),
            "softwareVersion": release,
            "major": major,
            "minor": minor,
            "revision": rest.split("-")[0],
            "build": rest.split("-")[1],
            "date": "2020-09-14T00:00:00.000Z",
            "family": "HPE OneView VM - VMware vSphere",
            "modelNumber": "HPE OneView VM - VMware vSphere",
            "platformType": "Virtual",
            "serialNumber": f"VMware-{node[:18]}",
            "uuid": node,
        }

    @router.route("GET", r"/rest/appliance/nodeinfo/status")
    def node_status(req: Request) -> dict[str, Any]:
        return {
            **_meta("/rest/appliance/nodeinfo/status", "appliance", "ApplianceStatusResourceV2"),
            "status": "OK",
            "cpu": "8",
            "cpuSpeedMhz": "2400",
            "memory": "24576 MB",
            "memoryUnits": "MB",
            "lan": emu.server.host,
            "networkConfiguration": "OK",
            "applianceConnection": {"connected": True, "startDate": emu.started},
            "upTime": None,
        }

    @router.route("GET", r"/rest/appliance/network-interfaces")
    def network_interfaces(req: Request) -> dict[str, Any]:
        nic = {
            "activeNode": 1,
            "device": "eth0",
            "interfaceName": "Appliance",
            "macAddress": "00:50:56:00:00:01",
            "hostname": "oneview.lab",
            "domainName": "lab",
            "confOneNode": True,
            "ipv4Type": "STATIC",
            "app1Ipv4Addr": emu.server.host,
            "virtIpv4Addr": None,
            "ipv4Subnet": "255.255.255.0",
            "ipv4Gateway": None,
            "ipv4NameServers": [],
            "ipv6Type": "UNCONFIGURE",
            "aliasDisabled": True,
            "searchDomains": [],
            "webServerCertificate": None,
        }
        return {
            **_meta("/rest/appliance/network-interfaces", "appliance", "ApplianceServerConfiguration"),
            "applianceNetworks": [nic],
            "serverCertificate": None,
        }

    @router.route("GET", r"/rest/appliance/configuration/time-locale")
    def time_locale(req: Request) -> dict[str, Any]:
        return {
            **_meta("/rest/appliance/configuration/time-locale", "appliance", "TimeAndLocale"),
            "locale": "en_US.UTF-8",
            "localeDisplayName": "English (United States)",
            "timezone": "UTC",
            "ntpServers": [],
            "dateTime": None,
            "pollingInterval": None,
        }

    @router.route("GET", r"/rest/appliance/device-read-community-string")
    def read_community(req: Request) -> dict[str, Any]:
        return {
            **_meta("/rest/appliance/device-read-community-string", "appliance", "DeviceReadCommunityString"),
            "communityString": "public",
        }

    @router.route("GET", r"/rest/certificates/ca")
    def internal_ca(req: Request) -> dict[str, Any]:
        """The CA the appliance's certificate chains to (the twin CA): what a client fetches to
        trust the appliance."""
        from cryptography import x509
        from cryptography.x509.oid import NameOID

        tls = emu.server.tls
        pem = tls.ca.read_text() if tls else ""
        cert = x509.load_pem_x509_certificate(pem.encode()) if pem else None
        cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value if cert else None
        member = {
            **_meta("/rest/certificates/ca/twin-ca", "ca", "CertificateAuthorityInfo"),
            "certificateDetails": {
                "type": "CertificateDetailV2",
                "aliasName": "twin-ca",
                "base64Data": pem,
                "commonName": cn,
            },
        }
        return emu.collection(req, "ca", [member], list_type="CertificateAuthorityInfoCollection")

    # --- users and roles: the one local administrator i2 logs in as ------------------------------
    @router.route("GET", r"/rest/users")
    def users(req: Request) -> dict[str, Any]:
        return emu.collection(
            req, "users", [user_doc(emu.username)], list_type="UserAndPermissionsCollection"
        )

    @router.route("GET", r"/rest/users/(?P<name>[^/]+)")
    def user(req: Request) -> dict[str, Any]:
        name = unquote(req.params["name"])
        if name.lower() != emu.username.lower():
            raise not_found(f"/rest/users/{name}")
        return user_doc(emu.username)

    @router.route("GET", r"/rest/roles")
    def roles(req: Request) -> dict[str, Any]:
        return emu.collection(req, "roles", [role_doc(r) for r in ROLES], list_type="RoleCollectionV3")

    @router.route("GET", r"/rest/roles/(?P<name>[^/]+)")
    def role(req: Request) -> dict[str, Any]:
        name = unquote(req.params["name"])
        found = [r for r in ROLES if r.lower() == name.lower()]
        if not found:
            raise not_found(f"/rest/roles/{name}")
        return role_doc(found[0])

    # --- alerts: what the appliance raises about the servers it manages ------------------------
    def alerts_now() -> list[dict[str, Any]]:
        with emu.lock:
            return [
                ilo_alert(hw.uri, hw.spec.oneview_name, hw.spec.ilo, emu.started)
                for hw in emu.hardware.values()
                if hw.power == "Unknown"
            ]

    @router.route("GET", r"/rest/alerts")
    def alerts(req: Request) -> dict[str, Any]:
        return emu.collection(req, "alerts", alerts_now(), list_type="AlertResourceCollectionV3")

    @router.route("GET", rf"/rest/alerts/{_ID}")
    def alert(req: Request) -> dict[str, Any]:
        found = [a for a in alerts_now() if a["uri"].endswith(f"/{req.params['id']}")]
        if not found:
            raise not_found(req.path)
        return found[0]

    # --- ID pools ----------------------------------------------------------------------------------
    pools = "(?P<pool>vmac|vwwn|vsn|ipv4)"

    @router.route("GET", rf"/rest/id-pools/{pools}")
    def pool(req: Request) -> dict[str, Any]:
        return pool_doc(req.params["pool"])

    @router.route("GET", rf"/rest/id-pools/{pools}/ranges/{_ID}")
    def pool_range(req: Request) -> dict[str, Any]:
        kind = req.params["pool"]
        if _POOLS[kind] is None or req.params["id"] != stable_id("range", kind):
            raise not_found(req.path)
        return range_doc(kind)

    @router.route("GET", rf"/rest/id-pools/{pools}/generate")
    def generate(req: Request) -> dict[str, Any]:
        kind = req.params["pool"]
        if _POOLS[kind] is None:  # no IPv4 subnet defined: nothing to generate from
            raise bad_request(
                "ID_POOL_NO_RANGES",
                f"The {kind.upper()} pool has no enabled ranges.",
                "Create an IPv4 subnet and range first.",
                source=f"/rest/id-pools/{kind}",
            )
        return {"type": "Range", "idList": [_POOLS[kind][0]]}  # type: ignore[index]

    @router.route("GET", rf"/rest/id-pools/{pools}/validate")
    def validate(req: Request) -> dict[str, Any]:
        return {"type": "Range", "idList": req.query.get("idList", [])}

    # --- schemas, then every other collection (empty) ------------------------------------------------
    def schema_of(collection: str) -> Any:
        def handler(req: Request) -> dict[str, Any]:
            sample = None
            if collection in TABLE_COLLECTIONS:  # a member of the twin's own table, when it has one
                first = router.dispatch(Request("GET", collection, {"count": ["1"]}, req.headers, b""))
                members = json.loads(first.body).get("members") or []
                sample = members[0] if members else None
            return schema(collection, sample)

        return handler

    def empty(collection: str, category: str, list_type: str) -> Any:
        def get_all(req: Request) -> dict[str, Any]:
            return emu.collection(req, category, [], list_type=list_type)

        def get_one(req: Request) -> dict[str, Any]:
            raise not_found(req.path)

        router.add("GET", collection, get_all)
        for method in ("GET", "PUT", "PATCH", "DELETE"):  # no member exists to change either
            router.add(method, rf"{collection}/{_ID}", get_one)

    for collection in (*TABLE_COLLECTIONS, *EMPTY_COLLECTIONS):
        router.add("GET", f"{collection}/schema", schema_of(collection))
    for collection, (category, list_type) in EMPTY_COLLECTIONS.items():
        empty(collection, category, list_type)
