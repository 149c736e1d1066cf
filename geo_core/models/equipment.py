"""Special equipment (特种设备, seed 001): elevators, boilers, cranes and the other kinds the special-equipment law
lists, as fixed map objects with the IoT monitor's state. Registered by the using unit, kept by a maintenance unit;
counted by region, and their faults mapped."""

from __future__ import annotations

from django.contrib.gis.db import models

from geo_core.models.base import SRID, Timestamped
from geo_core.scope import Visibility
from geo_core.validation import validate_geometry

KINDS = [
    "elevator",
    "boiler",
    "pressure_vessel",
    "pressure_piping",
    "crane",
    "ropeway",
    "amusement_ride",
    "plant_vehicle",
]


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
    monitored_at = models.DateTimeField(null=True, blank=True, help_text="when the monitor last reported")
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
