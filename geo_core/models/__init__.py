"""The domain model (STO-1). Every geometry is CGCS2000 geographic, SRID 4490 (CRS-1)."""

from geo_core.models.accounts import ApiToken, AuditEvent, SignInFailure, StreamSlot, UserProfile
from geo_core.models.calibrations import ShanghaiCalibration
from geo_core.models.contractors import (
    Contractor,
    ContractorStaff,
    ContractorVehicle,
    DailyFiling,
    Qualification,
    StaffFiling,
    Training,
)
from geo_core.models.enterprises import Enterprise, Park, Site
from geo_core.models.equipment import (
    EquipmentDispatch,
    EquipmentFault,
    EquipmentState,
    MaintenanceUnit,
    RescueStation,
    SpecialEquipment,
    UpkeepRecord,
)
from geo_core.models.imports import ImportJob
from geo_core.models.ingest import (
    DeviceEvent,
    DeviceVendor,
    FeedLiveness,
    FeedStateChange,
    PermitAttachment,
    Quarantine,
    RelayOutbox,
    ReportCredential,
    ReportedAlarm,
    ReportedGathering,
    ReportNonce,
    SyncCursor,
    UnknownDevice,
)
from geo_core.models.models3d import TilesetFile
from geo_core.models.permits import GasTest, PermitStatus, TicketType, WorkPermit
from geo_core.models.positions import PositionFix, SubjectState
from geo_core.models.regions import Region
from geo_core.models.subjects import Certificate, Subject
from geo_core.models.zones import TimeWindow, Zone

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Certificate",
    "Contractor",
    "ContractorStaff",
    "ContractorVehicle",
    "DailyFiling",
    "DeviceEvent",
    "DeviceVendor",
    "Enterprise",
    "EquipmentDispatch",
    "EquipmentFault",
    "EquipmentState",
    "FeedLiveness",
    "FeedStateChange",
    "GasTest",
    "ImportJob",
    "MaintenanceUnit",
    "Park",
    "PermitAttachment",
    "PermitStatus",
    "PositionFix",
    "Qualification",
    "Quarantine",
    "Region",
    "RelayOutbox",
    "ReportCredential",
    "ReportNonce",
    "ReportedAlarm",
    "ReportedGathering",
    "RescueStation",
    "ShanghaiCalibration",
    "SignInFailure",
    "Site",
    "SpecialEquipment",
    "StaffFiling",
    "StreamSlot",
    "Subject",
    "SubjectState",
    "SyncCursor",
    "TicketType",
    "TilesetFile",
    "TimeWindow",
    "Training",
    "UnknownDevice",
    "UpkeepRecord",
    "UserProfile",
    "WorkPermit",
    "Zone",
]
