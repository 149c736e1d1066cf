"""What a row of a GIS file becomes, and the columns each kind of row takes.

Each target names its model, the geometry it wants, the fields that identify a row (a second import of the same file
updates rather than duplicates) and its columns, each with the names people give it in English and Chinese. A
mapping file (TOML) may name other columns, translate values and give defaults:

    [fields]            # model field = the file's column, or a template of columns: "{Layer}-{EntityHandle}"
    name = "MC"
    [values.kind]       # the file's value = ours
    "危化品储罐区" = "forbidden"
    [defaults]          # for rows whose column is empty or absent
    authority = "园区管委会"
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models as dj

from geo_core import params
from geo_core.errors import BadRequestError
from geo_core.models import (
    Enterprise,
    MaintenanceUnit,
    Park,
    Region,
    RescueStation,
    Site,
    SpecialEquipment,
    Subject,
    Zone,
)
from geo_core.partitions import PARK_TZ
from geo_core.validation import validate_credit_code


class RowError(ValueError):
    """One row cannot become a record: `field` and why."""

    def __init__(self, field_name: str, reason: str):
        self.field = field_name
        self.reason = reason
        super().__init__(f"field {field_name}: {reason}")


TRUE = {"1", "true", "yes", "y", "是", "有", "t"}
FALSE = {"0", "false", "no", "n", "否", "无", "f", ""}


def _checked(name: str, check: Callable, *args):
    """The service's own parameter checks (geo_core.params), their refusal as a row's."""
    try:
        return check(*args)
    except BadRequestError as exc:
        raise RowError(name, str(exc).removeprefix(f"{name}: ")) from None


def text(limit: int) -> Callable:
    def parse(value, name: str):
        return _checked(name, params.text, str(value).strip(), name, limit)

    return parse


def number(lo: float, hi: float, integer: bool = False) -> Callable:
    def parse(value, name: str):
        if integer:
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # a spreadsheet's 3.0
            return _checked(name, params.integer, value if isinstance(value, int) else str(value), name, lo, hi)
        return _checked(name, params.number, value if isinstance(value, (int, float)) else str(value), name, lo, hi)

    return parse


def boolean(value, name: str) -> bool:
    s = str(value).strip().lower()
    if s in TRUE:
        return True
    if s in FALSE:
        return False
    raise RowError(name, f"{value!r} is not yes/no (是/否, 1/0, true/false)")


def choice(choices: type[dj.TextChoices], extra: dict[str, str] | None = None) -> Callable:
    """A value or its Chinese label (禁区 -> forbidden)."""
    known = {c.value.lower(): c.value for c in choices} | {str(c.label).lower(): c.value for c in choices}
    known |= {k.lower(): v for k, v in (extra or {}).items()}

    def parse(value, name: str):
        s = str(value).strip().lower()
        if s in known:
            return known[s]
        raise RowError(
            name,
            f"{value!r} is not one of {', '.join(c.value for c in choices)} "
            f"({', '.join(str(c.label) for c in choices)})",
        )

    return parse


def day(value, name: str):
    """A calendar day: 2027-03-01, 2027/3/1, 2027年3月1日, or a spreadsheet's date."""
    if hasattr(value, "isoformat") and hasattr(value, "year"):
        return value if not hasattr(value, "date") else value.date()
    s = str(value).strip()
    m = DAY.fullmatch(s)
    if not m:
        raise RowError(name, f"{value!r} is not a day (YYYY-MM-DD)")
    return _checked(name, params.day, f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}", name)


def day_start(value, name: str):
    """A day as its first moment in the park's calendar (a maintenance done on 2026-12-01)."""
    d = day(value, name)
    return datetime(d.year, d.month, d.day, tzinfo=PARK_TZ)


DAY = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?")


def verdict(value, name: str) -> bool:
    """An inspection's verdict: 合格 / 不合格 (复检合格 passes), or yes/no."""
    s = str(value).strip()
    if s in ("合格", "复检合格", "允许使用"):
        return True
    if s in ("不合格", "停止使用"):
        return False
    return boolean(value, name)


def credit_code(value, name: str) -> str:
    s = str(value).strip().upper()
    try:
        validate_credit_code(s)
    except Exception as exc:  # django's ValidationError carries the reason
        raise RowError(name, "; ".join(getattr(exc, "messages", [str(exc)]))) from None
    return s


@dataclass(frozen=True)
class Column:
    names: tuple[str, ...]  # the names people give it, most telling first (a KML placemark's `id` comes last)
    parse: Callable
    required: bool = False


@dataclass
class Target:
    name: str
    model: type[dj.Model]
    geometry: str | None  # "polygon", "point" or None
    geom_field: str | None
    key: tuple[str, ...]  # model fields that identify a row
    columns: dict[str, Column]
    geometry_required: bool = True
    refs: dict[str, Callable] = field(default_factory=dict)  # model field -> (values) -> value from references
    # A target another room registers (`register`) brings its own rules: record(values, geometry, context) ->
    # (key, model field values), raising RowError; existing(keys) -> {key: stored instance}.
    record: Callable | None = None
    existing: Callable | None = None

    def describe(self) -> dict:
        return {name: list(c.names) for name, c in self.columns.items()}


NAME = ("name", "名称", "title")
COMPANY = ("company_code", "企业编码", "企业代码", "company")
CREDIT = ("credit_code", "统一社会信用代码", "信用代码", "uscc")

ZONE_KIND_EXTRA = {
    "重点区域": "key_place",
    "危险区域": "forbidden",
    "作业区": "work_area",
    "集结点": "muster_point",
    "应急集合点": "muster_point",
    "厂界": "site_boundary",
    "临时": "temporary",
}

# fmt: off
TARGETS: dict[str, Target] = {
    "zones": Target(
        "zones", Zone, "polygon", "geom", ("enterprise_id", "authority", "external_id"),
        {
            "name": Column((*NAME, "区域名称", "围栏名称"), text(128), required=True),
            "kind": Column(("kind", "类型", "区域类型", "围栏类型"), choice(Zone.Kind, ZONE_KIND_EXTRA), required=True),
            "external_id": Column(("external_id", "编号", "区域编号", "围栏编号", "id"), text(64)),
            "company_code": Column(COMPANY, text(64)),
            "authority": Column(("authority", "管理单位", "主管单位"), text(128)),
            "floor": Column(("floor", "楼层"), number(-20, 200, integer=True)),
            "height_min": Column(("height_min", "最低高度"), number(-1000, 10000)),
            "height_max": Column(("height_max", "最高高度"), number(-1000, 10000)),
            "capacity_min": Column(("capacity_min", "最少人数"), number(0, 100000, integer=True)),
            "capacity_max": Column(("capacity_max", "最多人数", "容量"), number(0, 100000, integer=True)),
        },
    ),
    "sites": Target(
        "sites", Site, "polygon", "footprint", ("enterprise_id", "name"),
        {
            "name": Column((*NAME, "厂区名称", "地块名称"), text(128), required=True),
            "company_code": Column(COMPANY, text(64)),
            "credit_code": Column(CREDIT, credit_code),
            "address": Column(("address", "地址", "厂区地址"), text(256)),
            "height_m": Column(("height_m", "高度", "建筑高度"), number(0, 1000)),
        },
    ),
    "enterprises": Target(
        "enterprises", Enterprise, "point", "location", ("credit_code",),
        {
            "credit_code": Column(CREDIT, credit_code, required=True),
            "name": Column((*NAME, "企业名称", "单位名称"), text(200), required=True),
            "company_code": Column(COMPANY, text(64)),
            "industry": Column(("industry", "行业", "所属行业"), text(64)),
            "major_hazard": Column(("major_hazard", "重大危险源"), boolean),
            "address": Column(("address", "地址", "注册地址", "企业地址"), text(256)),
            "park": Column(("park", "park_code", "园区", "园区编码"), text(32)),
        },
        geometry_required=False,
    ),
    "regions": Target(
        "regions", Region, "polygon", "geom", ("code",),
        {
            "code": Column(("code", "adcode", "区划代码", "行政区划代码", "代码"), text(12), required=True),
            "name": Column((*NAME, "区划名称"), text(64), required=True),
            "level": Column(("level", "级别", "层级"), choice(Region.Level, {
                "省级": "province", "地级": "city", "县级": "district", "乡级": "township", "乡镇": "township",
                "街道": "township", "镇": "township", "乡": "township", "村级": "community", "社区": "community",
                "村": "community"})),
            "parent_code": Column(("parent_code", "parent", "上级代码", "上级区划代码"), text(12)),
        },
    ),
    "subjects": Target(
        "subjects", Subject, None, None, ("enterprise_id", "external_id"),
        {
            "external_id": Column(("external_id", "编号", "设备编号", "人员编号", "id"), text(64), required=True),
            "kind": Column(("kind", "类型"), choice(Subject.Kind, {"人": "person", "电焊机": "welder"}), required=True),
            "name": Column((*NAME, "姓名"), text(128)),
            "company_code": Column(COMPANY, text(64)),
            "person_type": Column(
                ("person_type", "人员类型"), choice(Subject.PersonType, {"内部": "01", "外来": "03"})
            ),
            "chip_id": Column(("chip_id", "芯片编号", "芯片"), text(64)),
            "qr_code": Column(("qr_code", "二维码", "二维码编号"), text(128)),
            "mobility": Column(
                ("mobility", "固定/移动", "焊机类型"), choice(Subject.Mobility, {"固定": "fixed", "移动": "mobile"})
            ),
        },
        geometry_required=False,
    ),
    "equipment": Target(
        "equipment", SpecialEquipment, "point", "location", ("registry_code",),
        {
            "registry_code": Column(("registry_code", "设备注册代码", "注册代码", "使用登记证编号", "登记证编号",
                                     "设备编号"), text(32), required=True),
            "kind": Column(("kind", "设备类别", "设备种类", "设备类型", "类别"), choice(SpecialEquipment.Kind, {
                "场内专用机动车辆": "plant_vehicle", "厂内车辆": "plant_vehicle", "游乐设施": "amusement_ride",
                "索道": "ropeway", "起重机": "crane", "压力管": "pressure_piping"}), required=True),
            "name": Column((*NAME, "设备名称"), text(128)),
            "using_unit": Column(("using_unit", "使用单位", "使用单位名称"), text(200), required=True),
            "maintenance_unit": Column(("maintenance_unit", "维保单位", "维保单位名称"), text(200)),
            "manufactured_on": Column(("manufactured_on", "制造日期", "出厂日期"), day),
            "maintenance_interval_days": Column(("maintenance_interval_days", "维保周期", "维保周期(天)"),
                                                number(1, 366, integer=True)),
            "maintained_at": Column(("maintained_at", "最近维保日期", "上次维保日期", "维保日期"), day_start),
            "contract_expires": Column(("contract_expires", "维保合同到期", "合同到期日期", "维保合同到期日期"), day),
            "inspected_on": Column(("inspected_on", "检验日期", "最近检验日期"), day),
            "inspection_passed": Column(("inspection_passed", "检验结论", "检验结果"), verdict),
            "inspection_due": Column(("inspection_due", "下次检验日期", "下检日期"), day),
            "address": Column(("address", "使用地点", "安装地点", "地址"), text(256)),
            "monitoring": Column(("monitoring", "监测状态", "运行状态", "状态"), choice(
                SpecialEquipment.Monitoring, {"正常": "online", "异常": "fault", "困人": "alarm"})),
            "company_code": Column(COMPANY, text(64)),
            "credit_code": Column((*CREDIT, "使用单位统一社会信用代码"), credit_code),
        },
    ),
    "maintenance_units": Target(
        "maintenance_units", MaintenanceUnit, "point", "location", ("name",),
        {
            "name": Column((*NAME, "维保单位", "维保单位名称", "单位名称"), text(200), required=True),
            "credit_code": Column(CREDIT, credit_code),
            "licence_no": Column(("licence_no", "资质证书编号", "许可证编号"), text(64)),
            "licence_expires": Column(("licence_expires", "资质有效期", "资质有效期至", "许可证有效期"), day),
            "phone": Column(("phone", "电话", "值班电话", "联系电话"), text(32)),
            "address": Column(("address", "地址", "单位地址"), text(256)),
            "company_code": Column(COMPANY, text(64)),
        },
        geometry_required=False,
    ),
    "rescue_stations": Target(
        "rescue_stations", RescueStation, "point", "location", ("unit_id", "name"),
        {
            "name": Column((*NAME, "站点名称", "救援站点"), text(128), required=True),
            "unit": Column(("unit", "maintenance_unit", "维保单位", "维保单位名称"), text(200), required=True),
            "phone": Column(("phone", "电话", "值班电话"), text(32)),
        },
    ),
}
# fmt: on


def register(target: Target) -> None:
    """A target of another room (video channels: video/importing.py), added when its app is ready. The geo_core
    rooms import nothing of it; it brings `record` and `existing`."""
    if target.record is None or target.existing is None:
        raise ValueError(f"target {target.name}: a registered target brings record and existing")
    TARGETS[target.name] = target


LEVEL_BY_LENGTH = {2: "province", 4: "city", 6: "district", 9: "township", 12: "community"}


def region_level(code: str) -> str:
    """The level a code says by itself: 310000 province, 310100 city, 310116 district, 310116101 township..."""
    if len(code) == 12 and code.endswith("000"):
        code = code[:9]
    if len(code) == 9 and code.endswith("000"):
        code = code[:6]
    if len(code) == 6:
        return "province" if code.endswith("0000") else "city" if code.endswith("00") else "district"
    return LEVEL_BY_LENGTH.get(len(code), "district")


PREFIX_LENGTH = {"province": 2, "city": 4, "district": 6, "township": 9, "community": 12}


def region_prefix(code: str) -> str:
    """The digits every region under `code` starts with: 3101 under the city 310100, 31 under the province 310000,
    310116 under the district 310116 (a LIKE on the whole code would find no district under a city)."""
    level = region_level(code)
    return code[: PREFIX_LENGTH[level]] if len(code) >= PREFIX_LENGTH[level] else code


def region_parent(code: str, level: str) -> str | None:
    if level == "province":
        return None
    if level == "city":
        return code[:2] + "0000"
    if level == "district":
        return code[:4] + "00"
    if level == "township":
        return code[:6]
    return code[:9]


CODE = re.compile(r"^\d{6}(\d{3}){0,2}$")


def region_code(value: str, name: str) -> str:
    """Statistical codes come 12 digits long with trailing zeros: 310116101000 is the township 310116101."""
    s = value.strip()
    if len(s) == 12 and s.endswith("000000") and not s.endswith("000000000"):
        s = s[:6]
    elif len(s) == 12 and s.endswith("000"):
        s = s[:9]
    if not CODE.match(s):
        raise RowError(name, f"{value!r} is not a region code (6 digits GB/T 2260, or 9/12 below a district)")
    return s


def owner_of(values: dict, enterprises: dict[str, int], credits: dict[str, int], required: bool) -> int | None:
    """The enterprise a row names by company code or credit code (None when it names none)."""
    code = values.pop("company_code", "") or ""
    credit = values.pop("credit_code", "") or ""
    if code:
        if code not in enterprises:
            raise RowError("company_code", f"no enterprise {code!r}")
        return enterprises[code]
    if credit:
        if credit not in credits:
            raise RowError("credit_code", f"no enterprise with credit code {credit}")
        return credits[credit]
    if required:
        raise RowError("company_code", "required: the enterprise this row belongs to (company_code or credit_code)")
    return None


def parks() -> dict[str, int]:
    return dict(Park.objects.values_list("code", "id"))
