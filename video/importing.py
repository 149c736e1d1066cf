"""Video channels from outside (VID-1): the GIS importer's `video` target (a camera register as a shapefile, a
GeoPackage, a spreadsheet with coordinates...) and the report API's `video-channels` feed (the seed's 视频编码接口:
an enterprise's video platform reports its channels). Both are registered when the app is ready (video/apps.py):
the geo_core rooms import nothing of video.

One rule for both, and for the map's aiming (VideoChannel.clean): a channel is its GB/T 28181 code; it belongs to an
enterprise or, with none, to an authority; a fixed camera has a position; an aim is heading, angle and range together
and its field of view is derived from them; a body camera names the device (subject) that carries it. A channel's
code is its identity: a second import updates it, and a report never takes over another owner's channel."""

from __future__ import annotations

import numpy as np
import shapely
from django.contrib.gis.geos import Point

from geo_core.gisfiles.targets import (
    COMPANY,
    CREDIT,
    NAME,
    Column,
    RowError,
    Target,
    boolean,
    choice,
    credit_code,
    number,
    owner_of,
    text,
)
from geo_core.ingest.feeds import DEFAULT_CRS, SITE_TOLERANCE_M, Report, own_ground, parse_each, store_each
from geo_core.ingest.normalize import to_cgcs2000
from geo_core.ingest.records import RecordError, Rejection, flag
from geo_core.ingest.records import choice as record_choice
from geo_core.ingest.records import number as record_number
from geo_core.ingest.records import text as record_text
from geo_core.models import Enterprise, Subject
from video import fov
from video.codes import channel_code
from video.models import VideoChannel

KIND_NAMES = {
    "枪机": "fixed",
    "固定": "fixed",
    "固定摄像机": "fixed",
    "球机": "ptz",
    "云台": "ptz",
    "执法仪": "body_camera",
    "记录仪": "body_camera",
    "无人机": "drone",
}
AIM = ("heading", "angle", "range_m")
FIXED = (VideoChannel.Kind.FIXED, VideoChannel.Kind.PTZ)


def _code(value, name: str) -> str:
    try:
        return channel_code(str(value)).text
    except ValueError as exc:
        raise RowError(name, str(exc)) from None


def placing_problem(kind: str, placed: bool, heading, angle, range_m) -> tuple[str, str] | None:
    """The first thing wrong with a camera's position and aim (field, reason), or None."""
    problems = fov.problems(kind in FIXED, placed, heading, angle, range_m)
    return next(iter(problems.items()), None)


def field_of_view(point, heading, angle, range_m) -> shapely.Polygon | None:
    if point is None or heading is None:
        return None
    return fov.sector(point.x, point.y, heading, angle, range_m)


# --- the GIS importer's target ------------------------------------------------------------------------------------


def _devices(ctx, owner: int | None) -> dict[str, int]:
    """The owner's body cameras and phones by external id, loaded once per owner and run."""
    key = ("video-devices", owner)
    if key not in ctx.cache:
        qs = Subject.objects.filter(kind__in=("body_camera", "phone"), enterprise_id=owner)
        ctx.cache[key] = dict(qs.values_list("external_id", "id"))
    return ctx.cache[key]


def _record(values: dict, geom, ctx) -> tuple[tuple, dict]:
    owner = owner_of(values, ctx.enterprises, ctx.credits, required=False)
    values["enterprise_id"] = owner
    if owner is not None:
        values["authority"] = ""
    elif not values.get("authority"):
        raise RowError("company_code", "a channel belongs to an enterprise (company_code) or an authority (authority)")
    device = values.pop("device", None)
    if device:
        devices = _devices(ctx, owner)
        if device not in devices:
            whose = f"enterprise {owner}" if owner is not None else "no enterprise"
            raise RowError("device", f"no body camera or phone {device!r} of {whose}: import the device first")
        values["subject_id"] = devices[device]
    aim = [values.get(f) for f in AIM]
    problem = placing_problem(values["kind"], geom is not None, *aim)
    if problem:
        field, reason = problem
        raise RowError("geometry" if field == "location" else field, reason)
    # The row describes the camera: no aim in it, no field of view (as a file's fence replaces a drawn one).
    values.update(dict(zip(AIM, aim, strict=True)))
    values["location"] = geom
    values["fov"] = field_of_view(geom, *aim)
    return (values["code"],), values


def _existing(keys: list[tuple]) -> dict[tuple, VideoChannel]:
    return {(c.code,): c for c in VideoChannel.objects.filter(code__in=[k[0] for k in keys])}


# fmt: off
TARGET = Target(
    "video", VideoChannel, "point", "location", ("code",),
    {
        "code": Column(("code", "channel_code", "通道编码", "通道编号", "国标编码", "国标编号", "视频编码"), _code,
                       required=True),
        "name": Column((*NAME, "通道名称", "摄像机名称", "点位名称"), text(128), required=True),
        "kind": Column(("kind", "类型", "摄像机类型", "设备类型"), choice(VideoChannel.Kind, KIND_NAMES),
                       required=True),
        "company_code": Column(COMPANY, text(64)),
        "credit_code": Column(CREDIT, credit_code),
        "authority": Column(("authority", "管理单位", "所属单位"), text(128)),
        "device": Column(("device", "device_id", "设备编号", "执法仪编号", "执法记录仪编号"), text(64)),
        "heading": Column(("heading", "朝向", "方位角", "方向角"), number(0, 360)),
        "angle": Column(("angle", "视场角", "水平视场角", "视角"), number(1, 360)),
        "range_m": Column(("range_m", "range", "可视距离", "监控距离", "视距"), number(1, fov.MAX_RANGE_M)),
        "active": Column(("active", "启用", "在用"), boolean),
    },
    geometry_required=False,
    record=_record,
    existing=_existing,
)
# fmt: on


# --- the report API's feed ----------------------------------------------------------------------------------------


def _channel(record: dict) -> dict:
    try:
        code = channel_code(record.get("CHANNEL_CODE")).text
    except ValueError as exc:
        raise RecordError("CHANNEL_CODE", str(exc)) from None
    x = record_number(record, "LONGITUDE", optional=True)
    y = record_number(record, "LATITUDE", optional=True)
    if (x is None) != (y is None):
        raise RecordError("LATITUDE" if y is None else "LONGITUDE", "LONGITUDE and LATITUDE are given together")
    aim = {
        "heading": record_number(record, "HEADING", optional=True, lo=0, hi=360),
        "angle": record_number(record, "ANGLE", optional=True, lo=1, hi=360),
        "range_m": record_number(record, "RANGE", optional=True, lo=1, hi=fov.MAX_RANGE_M),
    }
    kind = record_choice(record, "CHANNEL_TYPE", set(VideoChannel.Kind.values))
    problem = placing_problem(kind, x is not None, *aim.values())
    if problem:
        field, reason = problem
        raise RecordError({"location": "LONGITUDE", "range_m": "RANGE"}.get(field, field.upper()), reason)
    return {
        "code": code,
        "name": record_text(record, "CHANNEL_NAME", max_length=128),
        "kind": kind,
        "x": x,
        "y": y,
        "crs": record_text(record, "CRS", max_length=32, optional=True) or DEFAULT_CRS,
        "device": record_text(record, "DEVICE_ID", max_length=64, optional=True),
        "deleted": flag(record, "DELETED"),
        **aim,
    }


def handle_channels(enterprise: Enterprise, records: list) -> Report:
    """`video-channels`: the reporting enterprise's channels, placed on its own sites (within SITE_TOLERANCE_M), a
    body camera bound to its device; DELETED retires a channel (kept for the evidence that names it)."""
    report = Report(received=len(records))
    parsed = parse_each(records, report, _channel)
    placed = [(i, p) for i, p in parsed if p["x"] is not None]
    if placed:
        xs = np.array([p["x"] for _, p in placed])
        ys = np.array([p["y"] for _, p in placed])
        lon, lat, _, errors = to_cgcs2000(xs, ys, None, [p["crs"] for _, p in placed])
        for k, (_, p) in enumerate(placed):
            p["point"] = None if k in errors else Point(float(lon[k]), float(lat[k]), srid=4490)
        for k, (fld, reason) in errors.items():
            report.rejected.append(Rejection(placed[k][0], fld, reason))
    ground = own_ground(enterprise) if placed else None
    owners = dict(
        VideoChannel.objects.filter(code__in=[p["code"] for _, p in parsed]).values_list("code", "enterprise_id")
    )
    devices = dict(
        Subject.objects.filter(
            enterprise=enterprise, kind__in=("body_camera", "phone"), external_id__in={p["device"] for _, p in parsed}
        ).values_list("external_id", "id")
    )
    ok: list[tuple[int, dict]] = []
    for i, p in parsed:
        point = p.get("point")
        if p["x"] is not None and point is None:
            continue  # its coordinates did not convert: rejected above
        if p["code"] in owners and owners[p["code"]] != enterprise.id:
            report.rejected.append(Rejection(i, "CHANNEL_CODE", f"{p['code']} is another owner's channel"))
        elif point is not None and (ground is None or not ground.covers(point)):
            why = f"lies outside the enterprise's own sites (more than {SITE_TOLERANCE_M:.0f} m beyond them)"
            report.rejected.append(Rejection(i, "LONGITUDE", why))
        elif p["device"] and p["device"] not in devices:
            report.rejected.append(
                Rejection(i, "DEVICE_ID", f"no body camera or phone {p['device']!r}: report the device first")
            )
        else:
            ok.append((i, p))
    counts = {"created": 0}

    def store(p: dict) -> None:
        point = p.get("point")
        _, created = VideoChannel.objects.update_or_create(
            code=p["code"],
            defaults={
                "name": p["name"],
                "kind": p["kind"],
                "enterprise": enterprise,
                "authority": "",
                "subject_id": devices.get(p["device"]) if p["device"] else None,
                "location": point,
                "heading": p["heading"],
                "angle": p["angle"],
                "range_m": p["range_m"],
                "active": not p["deleted"],
            },
        )
        counts["created"] += created

    stored = store_each(ok, report, store)
    report.accepted = len(stored)
    report.extra = {"created": counts["created"], "updated": len(stored) - counts["created"]}
    return report


HANDLERS = {"video-channels": handle_channels}
