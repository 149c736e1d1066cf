"""Device messages (welding-machine chips, body cameras, phones) -> positions, events and live state (ING-2, ING-3).

One function, process(), serves the MQTT consumer and the HTTP fallback alike. Topics (payloads in docs/mqtt.md):

    welder/{chip_id}/position | power | heartbeat | scan | tamper
    camera/{external_id}/position
    phone/{external_id}/position
    equipment/{registry_code}/reading    (special equipment's IoT monitors: geo_core/ingest/equipment.py)

Malformed messages go to Quarantine with the reason; unknown devices are recorded in UnknownDevice; neither is
dropped silently and neither stops the batch.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import orjson
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.db.models import F

from geo_core.ingest import equipment, liveness
from geo_core.ingest.normalize import to_cgcs2000
from geo_core.ingest.records import EPOCH_MS_MIN, MAX_FUTURE, RecordError, choice, number, text, timestamp
from geo_core.ingest.writer import FixBatch, notify_events, write_fixes
from geo_core.models import DeviceEvent, Quarantine, UnknownDevice
from geo_core.models.ingest import printable

WELDER_KINDS = {"position", "power", "heartbeat", "scan", "tamper"}
DEVICE_KINDS = {"welder": "welder", "camera": "body_camera", "phone": "phone"}
DEFAULT_CRS = {"welder": "cgcs2000", "camera": "cgcs2000", "phone": "gcj02"}
POSITION_FIELDS = {"x": "lon", "y": "lat", "z": "h", "crs": "crs"}


@dataclass
class DeviceResult:
    received: int = 0
    positions: int = 0
    duplicates: int = 0
    events: int = 0
    quarantined: int = 0
    unknown: int = 0
    readings: int = 0  # special equipment readings applied to the live state
    faults: int = 0  # equipment faults started or ended
    errors: list[dict] = field(default_factory=list)  # {"index", "topic", "reason"}
    batch: int | None = None

    def as_dict(self) -> dict:
        return self.__dict__.copy()

    def add(self, other: DeviceResult) -> None:
        """Sum what another batch stored into this one (the per-message errors are not carried over)."""
        for name in ("positions", "duplicates", "events", "quarantined", "unknown", "readings", "faults"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Message:
    index: int
    topic: str
    device: str  # welder, camera, phone
    ident: str
    kind: str
    body: dict
    raw: bytes


def _split(index: int, topic: str, payload: bytes) -> _Message:
    parts = topic.split("/")
    if len(parts) != 3 or parts[0] not in (*DEVICE_KINDS, "equipment"):
        raise RecordError("topic", f"{topic!r} is not welder|camera|phone|equipment/<id>/<kind>")
    device, ident, kind = parts
    allowed = WELDER_KINDS if device == "welder" else {"reading"} if device == "equipment" else {"position", "sos"}
    if kind not in allowed:
        raise RecordError("topic", f"{device} messages are {sorted(allowed)}, not {kind!r}")
    if not ident or len(ident) > 64:
        raise RecordError("topic", "device id must be 1-64 characters")
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise RecordError("payload", f"not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise RecordError("payload", "must be a JSON object")
    return _Message(index, topic, device, ident, kind, body, payload)


MAX_FUTURE_S = MAX_FUTURE.total_seconds()


def _resolve(msgs: list[_Message]) -> dict[tuple[str, str], int]:
    """(device, id) -> subject id: chips by chip_id, cameras and phones by external_id. Asked afresh for every batch
    (one indexed = ANY query each), so a chip moved to another machine is attributed right at once."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for m in msgs:
        wanted[m.device].add(m.ident)
    out: dict[tuple[str, str], int] = {}
    with connection.cursor() as cur:
        for device, idents in wanted.items():
            if device == "welder":
                cur.execute("SELECT chip_id, id FROM geo_core_subject WHERE chip_id = ANY(%s)", [list(idents)])
            else:
                cur.execute(
                    "SELECT external_id, id FROM geo_core_subject WHERE external_id = ANY(%s) AND kind = %s",
                    [list(idents), DEVICE_KINDS[device]],
                )
            out.update({(device, ident): sid for ident, sid in cur.fetchall()})
    return out


def _fast_position(body: dict, default_crs: str) -> dict | None:
    """The common case parsed without the per-field helpers; None sends the message to the careful path, which
    words any error."""
    try:
        ts, lon, lat = body["ts"], body["lon"], body["lat"]
    except KeyError:
        return None
    if not (type(ts) is int and type(lon) is float and type(lat) is float) or ts < EPOCH_MS_MIN:
        return None
    acc = body.get("acc")
    if len(body) != (3 if acc is None else 4) or (acc is not None and (type(acc) not in (int, float) or acc < 0)):
        return None
    when = datetime.fromtimestamp(ts / 1000.0, tz=UTC)
    if (when - datetime.now(UTC)).total_seconds() > MAX_FUTURE_S:
        return None
    return {
        "time": when,
        "x": lon,
        "y": lat,
        "z": None,
        "acc": None if acc is None else float(acc),
        "speed": None,
        "heading": None,
        "crs": default_crs,
    }


def _event(m: _Message) -> tuple[datetime, dict]:
    when = timestamp(m.body, "ts")
    b = m.body
    if m.kind == "power":
        data = {
            "state": choice(b, "state", {"on", "off"}),
            "current_a": number(b, "current_a", optional=True),
            "voltage_v": number(b, "voltage_v", optional=True),
        }
    elif m.kind == "heartbeat":
        data = {
            "battery": number(b, "battery", optional=True, lo=0, hi=100),
            "rssi": number(b, "rssi", optional=True),
            "power": choice(b, "power", {"on", "off"}, optional=True),
        }
    elif m.kind == "scan":
        phone = b.get("phone")
        if not isinstance(phone, dict):
            raise RecordError("phone", "must be {lon, lat, crs}: where the scanning phone was")
        data = {
            "operator_id": text(b, "operator_id", max_length=64),
            "operator_name": text(b, "operator_name", max_length=64, optional=True),
            "certificate": text(b, "certificate", max_length=64, optional=True),
            "decision": choice(b, "decision", {"allow", "deny"}),
            "reason": text(b, "reason", max_length=200, optional=True),
            "phone": {
                "lon": number(phone, "lon"),
                "lat": number(phone, "lat"),
                "crs": text(phone, "crs", max_length=32, optional=True) or "gcj02",
            },
        }
    elif m.kind == "sos":  # a body camera's or phone's SOS button, where it was pressed when the device knows
        data = {"detail": text(b, "detail", max_length=200, optional=True)}
        if b.get("lon") is not None or b.get("lat") is not None:
            data["phone"] = {
                "lon": number(b, "lon"),
                "lat": number(b, "lat"),
                "crs": text(b, "crs", max_length=32, optional=True) or DEFAULT_CRS[m.device],
            }
    else:  # tamper
        data = {"kind": text(b, "kind", max_length=32), "detail": text(b, "detail", max_length=200, optional=True)}
    return when, {k: v for k, v in data.items() if v is not None and v != ""}


def process(messages: list[tuple[str, bytes]], source: str = "mqtt") -> DeviceResult:
    """Parse, store and report a batch of (topic, payload) messages in one transaction."""
    result = DeviceResult(received=len(messages))
    parsed: list[_Message] = []
    bad: list[tuple[int, str, str, bytes]] = []
    for i, (topic, payload) in enumerate(messages):
        try:
            parsed.append(_split(i, topic, payload))
        except RecordError as exc:
            bad.append((i, topic, str(exc), payload))
    readings = [m for m in parsed if m.device == "equipment"]
    parsed = [m for m in parsed if m.device != "equipment"]
    with transaction.atomic():
        if readings:
            _equipment(readings, result, bad)
        subjects = _resolve(parsed)
        unknown: dict[tuple[str, str], list[_Message]] = defaultdict(list)
        positions: list[tuple[_Message, int, dict]] = []
        events: list[DeviceEvent] = []
        live: dict[int, dict] = defaultdict(dict)
        scans: list[tuple[DeviceEvent, dict]] = []
        for m in parsed:
            sid = subjects.get((m.device, m.ident))
            if sid is None:
                unknown[(m.device, m.ident)].append(m)
                continue
            try:
                if m.kind == "position":
                    fast = _fast_position(m.body, DEFAULT_CRS[m.device])
                    if fast is not None:
                        positions.append((m, sid, fast))
                        continue
                    positions.append(
                        (
                            m,
                            sid,
                            {
                                "time": timestamp(m.body, "ts"),
                                "x": number(m.body, "lon"),
                                "y": number(m.body, "lat"),
                                "z": number(m.body, "h", optional=True),
                                "acc": number(m.body, "acc", optional=True, lo=0),
                                "speed": number(m.body, "speed", optional=True, lo=0),
                                "heading": number(m.body, "heading", optional=True, lo=0, hi=359.999),
                                "crs": text(m.body, "crs", max_length=32, optional=True) or DEFAULT_CRS[m.device],
                            },
                        )
                    )
                    continue
                when, data = _event(m)
            except RecordError as exc:
                bad.append((m.index, m.topic, str(exc), m.raw))
                continue
            ev = DeviceEvent(subject_id=sid, kind=m.kind, time=when, data=data)
            events.append(ev)
            if m.kind in ("scan", "sos") and "phone" in data:
                scans.append((ev, data["phone"]))
            if m.kind == "power":
                live[sid] |= {"power": data["state"], "power_at": when.isoformat()}
            elif m.kind == "heartbeat":
                live[sid] |= {
                    "heartbeat_at": when.isoformat(),
                    **({"battery": data["battery"]} if "battery" in data else {}),
                    **({"power": data["power"]} if "power" in data else {}),
                }
            elif m.kind == "tamper":
                live[sid] |= {"tamper": data["kind"], "tamper_at": when.isoformat()}

        if scans:  # the scanning phone's position, in one datum with the machine's (CGCS2000)
            xs = np.array([p["lon"] for _, p in scans])
            ys = np.array([p["lat"] for _, p in scans])
            lon, lat, _, errs = to_cgcs2000(xs, ys, None, [p["crs"] for _, p in scans], POSITION_FIELDS)
            for k, (ev, _) in enumerate(scans):
                if k not in errs:
                    ev.location = Point(float(lon[k]), float(lat[k]), srid=4490)
                    ev.data["phone"]["cgcs2000"] = [float(lon[k]), float(lat[k])]
        if events:
            stored = DeviceEvent.objects.bulk_create(events, ignore_conflicts=True, batch_size=5000)
            result.events = len(stored)
            _welders_at_work([(ev, ev.data) for ev in events if ev.kind == "scan"])
            if any(ev.kind in ("sos", "scan", "power") for ev in events):
                notify_events()
        if positions:
            xs = np.array([p["x"] for _, _, p in positions])
            ys = np.array([p["y"] for _, _, p in positions])
            crs = [p["crs"] for _, _, p in positions]
            lon, lat, _, errs = to_cgcs2000(xs, ys, None, crs, POSITION_FIELDS)
            for k, (fld, reason) in errs.items():
                m = positions[k][0]
                bad.append((m.index, m.topic, f"{fld}: {reason}", m.raw))
            keep = [k for k in range(len(positions)) if k not in errs]
            if keep:

                def col(key):
                    return np.array([np.nan if positions[k][2][key] is None else positions[k][2][key] for k in keep])

                batch = FixBatch(
                    subject_id=np.array([positions[k][1] for k in keep], dtype=np.int64),
                    time=[positions[k][2]["time"] for k in keep],
                    lon=lon[keep],
                    lat=lat[keep],
                    source=source,
                    raw_x=xs[keep],
                    raw_y=ys[keep],
                    raw_crs=[crs[k] for k in keep],
                    z=col("z"),
                    raw_z=col("z"),
                    accuracy_m=col("acc"),
                    speed_mps=col("speed"),
                    heading_deg=col("heading"),
                )
                written = write_fixes(batch)
                result.positions, result.duplicates, result.batch = (
                    written.inserted,
                    written.duplicates,
                    written.batch_id,
                )

        # After the positions, so a machine's first fix has created its live state. (A machine never positioned has
        # no live state; its events are kept in DeviceEvent all the same.)
        for sid, fields in live.items():
            _merge_live(sid, fields)

        for (device, ident), msgs in unknown.items():
            _record_unknown(device, ident, msgs)
            result.unknown += len(msgs)
            for m in msgs:
                result.errors.append({"index": m.index, "topic": m.topic, "reason": f"unknown {device} {ident!r}"})
        if bad:
            Quarantine.objects.bulk_create([Quarantine.of(source, t, p, r) for _, t, r, p in bad])
            result.quarantined = len(bad)
            result.errors.extend({"index": i, "topic": t, "reason": r} for i, t, r, _ in bad)
        if result.positions or result.events:
            liveness.touch(None, "welders")
        if result.faults:
            notify_events()  # the alarm worker looks at once: trapped passengers do not wait for the next second
    result.errors.sort(key=lambda e: e["index"])
    return result


def _equipment(msgs: list[_Message], result: DeviceResult, bad: list) -> None:
    """Special equipment's readings: parsed per field, applied to the live state and the fault history."""
    readings = []
    for m in msgs:
        try:
            readings.append(equipment.parse(m.index, m.topic, m.ident, m.body, m.raw))
        except RecordError as exc:
            bad.append((m.index, m.topic, str(exc), m.raw))
    ids = equipment.resolve({r.code for r in readings})
    unknown: dict[str, list[equipment.Reading]] = defaultdict(list)
    for r in readings:
        if r.code not in ids:
            unknown[r.code].append(r)
    for code, rs in unknown.items():
        _record_unknown("equipment", code, rs)
        result.unknown += len(rs)
        result.errors.extend({"index": r.index, "topic": r.topic, "reason": f"unknown equipment {code!r}"} for r in rs)
    applied, duplicates, transitions = equipment.store([(r, ids[r.code]) for r in readings if r.code in ids])
    result.readings += applied
    result.duplicates += duplicates
    result.faults += transitions


def _merge_live(subject_id: int, fields: dict) -> None:
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE geo_core_subjectstate SET live = live || %s::jsonb, updated_at = now() WHERE subject_id = %s",
            [orjson.dumps(fields).decode(), subject_id],
        )


def _record_unknown(device: str, ident: str, msgs: list) -> None:
    """Count an unregistered device's messages (each has `.raw`, the bytes as they came)."""
    kind = {"welder": "welder_chip", "camera": "camera", "phone": "phone", "equipment": "equipment"}[device]
    last = printable(msgs[-1].raw[:2000].decode("utf-8", "backslashreplace"), 4000)
    obj, created = UnknownDevice.objects.get_or_create(
        kind=kind, identifier=ident, defaults={"messages": len(msgs), "last_payload": last}
    )
    if not created:
        UnknownDevice.objects.filter(pk=obj.pk).update(messages=F("messages") + len(msgs), last_payload=last)


CERTIFIED_WORK = """
UPDATE geo_core_certificate c SET last_machine_id = v.machine, last_scan_at = v.at,
       location = COALESCE(v.place, c.location),
       district_id = COALESCE((SELECT r.id FROM geo_core_region r WHERE r.level = 'district'
                               AND ST_Intersects(r.geom, v.place) LIMIT 1), c.district_id)
FROM (SELECT unnest(%s::text[]) AS number, unnest(%s::bigint[]) AS machine, unnest(%s::timestamptz[]) AS at,
             ST_SetSRID(ST_GeomFromText(unnest(%s::text[])), 4490) AS place) v
WHERE c.number = v.number AND (c.last_scan_at IS NULL OR c.last_scan_at < v.at)
"""


def _welders_at_work(scans: list[tuple[DeviceEvent, dict]]) -> None:
    """A welder's allowed start-up names their certificate: the register keeps the machine they last started and
    where (所在区域; 流动 or 固定 follows the machine's mobility). The newest scan of a certificate wins."""
    newest: dict[str, tuple] = {}
    for ev, data in scans:
        number = data.get("certificate")
        if data.get("decision") != "allow" or not number:
            continue
        if number not in newest or newest[number][1] < ev.time:
            newest[number] = (ev.subject_id, ev.time, ev.location.wkt if ev.location else None)
    if newest:
        with connection.cursor() as cur:
            cur.execute(
                CERTIFIED_WORK,
                [list(newest), [v[0] for v in newest.values()], [v[1] for v in newest.values()],
                 [v[2] for v in newest.values()]],
            )  # fmt: skip
