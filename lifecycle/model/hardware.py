"""Hardware profiles: what a kind of server must look like, in OneView and in Ironic.

One YAML file per profile in ``hardware-profiles/`` (the file name without ``.yaml`` is the
profile name).  The OneView part becomes a server profile template; the Ironic part is what the
node must end with after inspection (properties, capabilities, resource class, root device).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from lifecycle.model.schema import Name, Strict


class BiosSetting(Strict):
    id: str
    value: str


class LogicalDrive(Strict):
    name: str
    raid_level: Literal["RAID0", "RAID1", "RAID5", "RAID6", "RAID10", "RAID1ADM"]
    bootable: bool = False
    num_physical_drives: int = Field(ge=1)
    drive_technology: Literal["SasHdd", "SataHdd", "SasSsd", "SataSsd", "NvmeSsd"] = "SasSsd"


class Firmware(Strict):
    manage: bool = True
    baseline: str = Field(description="firmware bundle (SPP) name in OneView")
    install_type: Literal[
        "FirmwareAndOSDrivers", "FirmwareOnly", "FirmwareOnlyOfflineMode"
    ] = "FirmwareOnlyOfflineMode"


class IloMinimum(Strict):
    """The oldest iLO the profile's servers may have for i2 to drive them through Ironic's redfish
    driver (read from OneView's ``mpModel`` / ``mpFirmwareVersion``). A server below it is
    reported by the plans as ``drift``, with what its iLO lacks, and left alone."""

    model: Literal["iLO4", "iLO5", "iLO6"] = Field(description="OneView mpModel, e.g. iLO4")
    firmware: str = Field(pattern=r"^\d+\.\d+$", description="lowest firmware of that model, e.g. '2.50'")


class NicPort(Strict):
    name: Name = Field(description="how the site's servers name this port, e.g. nic1")
    port_id: str = Field(description="OneView physical port id, e.g. 'FlexibleLOM 1:1-a'")
    speed_gbps: int = 25
    pxe: bool = False


class Connection(Strict):
    id: int = Field(ge=1)
    nic: Name
    network: str = Field(description="OneView ethernet network name")
    function_type: Literal["Ethernet", "FibreChannel"] = "Ethernet"
    boot: bool = False


class Disk(Strict):
    size_gb: int = Field(ge=1)
    rotational: bool = False
    count: int = Field(1, ge=1)


class Inventory(Strict):
    """What inspection must find (compared with the Ironic inspection data)."""

    cpus: int = Field(ge=1)
    cpu_arch: Literal["x86_64"] = "x86_64"
    memory_mb: int = Field(ge=1024)
    disks: list[Disk] = Field(min_length=1)


class RootDevice(Strict):
    size_gb: int | None = None
    rotational: bool | None = None
    model: str | None = None


class IronicSpec(Strict):
    resource_class: Name
    profile: Name = Field(description="capabilities profile:<x> matched by the TripleO flavor")
    boot_mode: Literal["uefi", "bios"] = "uefi"
    capabilities: dict[str, str] = {}
    root_device: RootDevice = RootDevice()


class HardwareProfile(Strict):
    name: Name
    description: str = ""
    server_model: str = Field(description="OneView server hardware type, e.g. DL360 Gen9 1")
    boot_mode: Literal["UEFI", "UEFIOptimized", "BIOS"] = "UEFIOptimized"
    boot_order: list[Literal["HardDisk", "PXE", "CD", "USB"]] = ["HardDisk", "PXE"]
    bios: list[BiosSetting] = []
    raid: list[LogicalDrive] = []
    firmware: Firmware | None = None
    ilo: IloMinimum | None = None
    nics: list[NicPort] = Field(min_length=1)
    connections: list[Connection] = []
    inventory: Inventory
    ironic: IronicSpec

    @model_validator(mode="after")
    def _ilo_fits_model(self) -> HardwareProfile:
        # ProLiant Gen8/Gen9 carry iLO 4 and cannot take another: a higher minimum is never met
        if self.ilo and self.ilo.model != "iLO4" and any(g in self.server_model for g in ("Gen8", "Gen9")):
            raise ValueError(f"ilo.model {self.ilo.model}: a {self.server_model} has an iLO 4 "
                             f"(minimum model iLO4)")
        return self

    def nic_names(self) -> set[str]:
        return {n.name for n in self.nics}
