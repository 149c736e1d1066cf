"""Special equipment (特种设备, seed 001): elevators, boilers, cranes and the other kinds the special-equipment law
lists, as fixed map objects with the IoT monitor's state. Registered by the using unit, kept by a maintenance unit;
counted by region, and their faults mapped."""

from __future__ import annotations

from django.contrib.gis.db import models

from geo_core import equipment_codes
from geo_core.models.base import SRID, Timestamped
from geo_core.scope import Visibility
from geo_core.validation import validate_geometry

KINDS = list(equipment_codes.KINDS)  # one list of the kinds (geo_core/equipment_codes.py)


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
    maintenance_unit = models.CharField(max_length=200, blank=True, help_text="维保单位")
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

    class Meta:
        ordering = ["registry_code"]
        indexes = [models.Index(fields=["kind", "monitoring"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=KINDS), name="equipment_kind"),
            models.CheckConstraint(
                condition=models.Q(monitoring__in=["online", "offline", "fault", "alarm"]), name="equipment_monitoring"
            ),
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
