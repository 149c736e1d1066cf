"""Special equipment (特种设备, seed 001): elevators, boilers, cranes and the other kinds the special-equipment law
lists, as fixed map objects with the IoT monitor's state. Registered by the using unit, kept by a maintenance unit;
counted by region, and their faults mapped."""

from __future__ import annotations

from django.contrib.gis.db import models

from geo_core import equipment_codes
from geo_core.models.base import SRID, Timestamped
from geo_core.scope import PUBLIC, Visibility
from geo_core.validation import validate_geometry

KINDS = list(equipment_codes.KINDS)  # one list of the kinds (geo_core/equipment_codes.py)
UPKEEP = list(equipment_codes.UPKEEP)  # the upkeep states, worst first


class MaintenanceUnit(Timestamped):
    """A maintenance unit of special equipment (维保单位, seed 001: "在地图上实现标注维保单位具体位置"): its licence
    (资质) and where it is. Public registry data: every signed-in user sees the units and their rescue stations."""

    VISIBILITY = PUBLIC

    name = models.CharField(max_length=200, unique=True, help_text="维保单位名称")
    credit_code = models.CharField(max_length=18, blank=True, help_text="统一社会信用代码")
    licence_no = models.CharField(max_length=64, blank=True, help_text="资质证书编号")
    licence_expires = models.DateField(null=True, blank=True, help_text="资质有效期至")
    phone = models.CharField(max_length=32, blank=True, help_text="24 小时值班电话")
    address = models.CharField(max_length=256, blank=True)
    location = models.PointField(srid=SRID, null=True, blank=True, validators=[validate_geometry])
    enterprise = models.ForeignKey(
        "geo_core.Enterprise",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="maintenance_units",
        help_text="the enterprise whose people are this unit's staff: their positions check its arrivals",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RescueStation(Timestamped):
    """A maintenance unit's rescue station (救援站点): where its crews set out from when a lift traps people; the
    nearest one is dispatched (geo_core.equipment_upkeep.nearest_stations)."""

    VISIBILITY = PUBLIC

    unit = models.ForeignKey(MaintenanceUnit, on_delete=models.CASCADE, related_name="stations")
    name = models.CharField(max_length=128)
    phone = models.CharField(max_length=32, blank=True)
    location = models.PointField(srid=SRID, validators=[validate_geometry])

    class Meta:
        ordering = ["unit", "name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="rescue_station_once")]

    def __str__(self) -> str:
        return f"{self.unit.name} {self.name}"


class SpecialEquipment(Timestamped):
    VISIBILITY = Visibility("enterprise", "location")  # who may see its rows (geo_core.scope.Visibility)

    class Kind(models.TextChoices):
        ELEVATOR = "elevator", "电梯"
        BOILER = "boiler", "锅炉"
        PRESSURE_VESSEL = "pressure_vessel", "压力容器"
        PRESSURE_PIPING = "pressure_piping", "压力管道"
        CRANE = "crane", "起重机械"
        ROPEWAY = "ropeway", "客运索道"
        AMUSEMENT = "amusement_ride", "大型游乐设施"
        VEHICLE = "plant_vehicle", "场(厂)内专用机动车辆"

    class Monitoring(models.TextChoices):
        ONLINE = "online", "在线"
        OFFLINE = "offline", "离线"
        FAULT = "fault", "故障"
        ALARM = "alarm", "报警"

    registry_code = models.CharField(max_length=32, unique=True, help_text="使用登记证编号 / 设备注册代码")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=128, blank=True)
    enterprise = models.ForeignKey(
        "geo_core.Enterprise",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="equipment",
        help_text="the using unit, when it is an enterprise the service knows",
    )
    using_unit = models.CharField(max_length=200, help_text="使用单位")
    maintenance_unit = models.ForeignKey(
        MaintenanceUnit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="equipment",
        help_text="维保单位",
    )
    address = models.CharField(max_length=256, blank=True, help_text="使用地点")
    monitoring = models.CharField(max_length=8, choices=Monitoring.choices, default=Monitoring.ONLINE)
    monitored_at = models.DateTimeField(
        null=True, blank=True, help_text="when the monitoring state last changed (the last reading: EquipmentState)"
    )
    vendor = models.ForeignKey(
        "geo_core.DeviceVendor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="equipment",
        help_text="the IoT platform whose monitor reports it (may publish equipment/{registry_code}/reading)",
    )
    location = models.PointField(srid=SRID, validators=[validate_geometry])
    attributes = models.JSONField(default=dict, blank=True)
    # Upkeep (seed 001: 维保逾期, 超期未检, 应检设备, 维保合同到期, 服役年限), read by geo_core.equipment_upkeep.
    manufactured_on = models.DateField(null=True, blank=True, help_text="制造日期")
    maintenance_interval_days = models.PositiveSmallIntegerField(
        default=15, help_text="维保周期 (TSG T5002: an elevator at least every 15 days)"
    )
    maintained_at = models.DateTimeField(null=True, blank=True, help_text="最近维保 (the last maintenance record)")
    contract_expires = models.DateField(null=True, blank=True, help_text="维保合同到期")
    inspected_on = models.DateField(null=True, blank=True, help_text="最近检验日期")
    inspection_passed = models.BooleanField(null=True, blank=True, help_text="检验结论: 合格 / 不合格")
    inspection_due = models.DateField(null=True, blank=True, help_text="下次检验日期")
    upkeep = models.CharField(
        max_length=24, default="ok", help_text="the worst upkeep state now (geo_core.equipment_codes.UPKEEP), swept"
    )

    class Meta:
        ordering = ["registry_code"]
        indexes = [models.Index(fields=["kind", "monitoring"]), models.Index(fields=["upkeep"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=KINDS), name="equipment_kind"),
            models.CheckConstraint(
                condition=models.Q(monitoring__in=["online", "offline", "fault", "alarm"]), name="equipment_monitoring"
            ),
            models.CheckConstraint(condition=models.Q(upkeep__in=UPKEEP), name="equipment_upkeep"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.registry_code}"


class EquipmentState(models.Model):
    """The monitor's latest reading and active faults (geo_core.ingest.equipment), a row per device beside it: written
    with every reading, so it carries no change notice (the device's own row changes, and its tiles are dropped, only
    when its monitoring state does)."""

    equipment = models.OneToOneField(SpecialEquipment, primary_key=True, on_delete=models.CASCADE, related_name="state")
    time = models.DateTimeField(help_text="time of the latest reading")
    live = models.JSONField(default=dict, blank=True)


class EquipmentFault(models.Model):
    """A fault of a special equipment's monitor (seed 001: 设备历史监测到的故障信息): when the monitor first reported it
    (or the service saw a limit passed) and when it stopped; the reading at its start. Written by the ingest only
    (geo_core.ingest.equipment); the alarms read it (alarms.rules.equipment)."""

    VISIBILITY = Visibility("equipment__enterprise", "equipment__location")

    equipment = models.ForeignKey(SpecialEquipment, on_delete=models.CASCADE, related_name="faults")
    code = models.CharField(max_length=32, help_text="geo_core.equipment_codes.FAULTS")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reading = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["equipment", "-started_at"]), models.Index(fields=["code", "-started_at"])]
        constraints = [
            models.UniqueConstraint(fields=["equipment", "code", "started_at"], name="equipment_fault_once"),
            models.UniqueConstraint(
                fields=["equipment", "code"],
                condition=models.Q(ended_at__isnull=True),
                name="equipment_fault_open_once",
            ),
        ]


class EquipmentDispatch(models.Model):
    """A fault sent to the maintenance unit's nearest rescue station (seed 001: 故障调度), and the crew's arrival: a
    check-in at the device or one of the unit's staff seen within its site (geo_core.equipment_upkeep)."""

    VISIBILITY = Visibility("fault__equipment__enterprise", "fault__equipment__location")

    fault = models.OneToOneField(EquipmentFault, on_delete=models.CASCADE, related_name="dispatch")
    station = models.ForeignKey(RescueStation, null=True, blank=True, on_delete=models.SET_NULL)
    distance_m = models.FloatField(null=True, blank=True, help_text="straight line, on the ellipsoid")
    dispatched_at = models.DateTimeField()
    arrived_at = models.DateTimeField(null=True, blank=True)
    arrived_by = models.CharField(max_length=128, blank=True)
    arrival = models.CharField(max_length=16, blank=True, help_text="checkin, or position (a staff tag)")


class UpkeepRecord(models.Model):
    """Maintenance or inspection done (维保记录, 检验记录), with the one-click check-in at the device (一键签到): who,
    when, where the tablet was and how sure. A maintenance record ends 维保逾期; an inspection sets the next due
    date."""

    VISIBILITY = Visibility("equipment__enterprise", "equipment__location")

    class Kind(models.TextChoices):
        MAINTENANCE = "maintenance", "维保"
        INSPECTION = "inspection", "检验"
        RESCUE = "rescue", "救援到场"

    equipment = models.ForeignKey(SpecialEquipment, on_delete=models.CASCADE, related_name="upkeep_records")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    done_at = models.DateTimeField()
    by = models.CharField(max_length=128, help_text="维保人员 / 检验人员")
    unit = models.ForeignKey(MaintenanceUnit, null=True, blank=True, on_delete=models.SET_NULL)
    checkin = models.PointField(srid=SRID, null=True, blank=True, help_text="where the check-in was made")
    accuracy_m = models.FloatField(null=True, blank=True)
    distance_m = models.FloatField(null=True, blank=True, help_text="from the check-in to the device's site")
    passed = models.BooleanField(null=True, blank=True, help_text="an inspection's verdict")
    next_due = models.DateField(null=True, blank=True, help_text="an inspection's next due date")
    notes = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=16, default="page", help_text="page, report_api or import")
    user = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-done_at"]
        indexes = [models.Index(fields=["equipment", "-done_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["maintenance", "inspection", "rescue"]), name="upkeep_kind"
            )
        ]
