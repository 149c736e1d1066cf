"""Write a generated demo scene into PostGIS, and remove it again.

Bulk inserts in one transaction. Everything the loader creates is findable again: the park by its code,
enterprises by park, authority-owned subjects and zones by `attributes.demo`.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.contrib.gis.geos import Point as GPoint
from django.db import connection, transaction
from pyproj import Geod
from tqdm import tqdm

from demo import vocab
from demo.scene import PARK_CODE, Scene, SceneSize, build_scene
from geo_core import equipment_upkeep
from geo_core.models import (
    Certificate,
    Contractor,
    ContractorStaff,
    DailyFiling,
    Enterprise,
    GasTest,
    MaintenanceUnit,
    Park,
    Qualification,
    Region,
    RescueStation,
    Site,
    SpecialEquipment,
    StaffFiling,
    Subject,
    SubjectState,
    TimeWindow,
    Training,
    WorkPermit,
    Zone,
)
from geo_core.models.positions import Source
from geo_core.partitions import ensure_partitions, local_day
from geo_core.signals import demo_removed
from video.models import VideoChannel

log = logging.getLogger(__name__)
BATCH = 2000


def _geos(geom: shapely.Geometry) -> GEOSGeometry:
    return GEOSGeometry(memoryview(shapely.to_wkb(geom)), srid=4490)


def shanghai_districts() -> dict[str, dict[str, Any]]:
    rows = Region.objects.filter(level=Region.Level.DISTRICT, code__startswith="31").values_list("code", "name", "geom")
    return {code: {"name": name, "geom": shapely.from_wkb(bytes(geom.wkb))} for code, name, geom in rows}


def loaded_demo() -> Park | None:
    return Park.objects.filter(code=PARK_CODE).first()


SERVICE_DB = "geoservice"  # the database `make run` serves (scripts/services.sh)


def demo_dir() -> Path:
    """Where the demo's credentials and users are written: .var/demo/ for the service's own database, a folder of
    its own for any other (tests, benchmarks), so that they never overwrite the running demo's files."""
    from django.db import connection

    base = Path(settings.BASE_DIR) / ".var" / "demo"
    name = connection.settings_dict["NAME"]
    return base if name == SERVICE_DB else base / "other" / name


def demo_credentials(path: Path | None = None) -> Path:
    """Issue a report API credential to every demo enterprise that has none, and write them all to
    .var/demo/credentials.json so a new user can try the signed API."""
    from geo_core.ingest.auth import issue

    park = loaded_demo()
    path = path or demo_dir() / "credentials.json"
    rows = []
    for e in Enterprise.objects.filter(park=park).order_by("company_code"):
        cred = e.credentials.filter(active=True).first() or issue(e)
        rows.append({"company_code": e.company_code, "app_id": cred.app_id, "app_secret": cred.app_secret})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    path.chmod(0o600)
    return path


MEDIA_SOURCES = 4


def demo_media(path: Path | None = None) -> Path:
    """The channels the demo's media source (demo/media_source.py) encodes: the first fixed cameras, whose pictures
    carry their own codes; every other demo channel plays one of them. Written to .var/demo/media.json for
    scripts/run.sh."""
    from video.models import VideoChannel

    path = path or demo_dir() / "media.json"
    codes = list(
        VideoChannel.objects.filter(attributes__demo=True, kind="fixed")
        .order_by("code")
        .values_list("code", flat=True)[:MEDIA_SOURCES]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"channels": codes}, indent=1), encoding="utf-8")
    return path


DEMO_VENDOR = "demo-chips"
CITY_VENDOR = "city-iot"  # geo_core.config's default GEO_CITY_IOT_VENDOR
CITY_KINDS = ("crane", "plant_vehicle")


def demo_vendor(path: Path | None = None) -> Path:
    """The demo's device vendor (the chip platform the simulator stands in for): it owns every demo device, and its
    secret is written to .var/demo/devices.json, as a vendor would keep it. Kept when the file still matches."""
    from geo_core.ingest import vendors
    from geo_core.models import DeviceVendor, SpecialEquipment, Subject

    path = path or demo_dir() / "devices.json"
    secret = None
    if path.exists():
        known = json.loads(path.read_text(encoding="utf-8"))
        if DeviceVendor.objects.filter(
            code=DEMO_VENDOR, token_digest=vendors.digest(known.get("secret", "")), active=True
        ).exists():
            secret = known["secret"]
    if secret is None:
        _, secret = vendors.issue(DEMO_VENDOR, "演示芯片平台 (simulator)")
    vendor = DeviceVendor.objects.get(code=DEMO_VENDOR)
    Subject.objects.filter(vendor__isnull=True, kind__in=("welder", "body_camera", "phone")).update(vendor=vendor)
    # The city IoT platform (its stand-in: demo/city_iot.py) monitors the demo's cranes and plant vehicles; the
    # service pulls their readings from it (geo_core/ingest/city_iot.py). The other equipment is the demo vendor's.
    city = (
        DeviceVendor.objects.filter(code=CITY_VENDOR).first()
        or vendors.issue(CITY_VENDOR, "城市物联感知平台 (stand-in)")[0]
    )
    SpecialEquipment.objects.filter(attributes__demo=True, kind__in=CITY_KINDS).exclude(vendor=city).update(vendor=city)
    SpecialEquipment.objects.filter(vendor__isnull=True, attributes__demo=True).update(vendor=vendor)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"vendor": DEMO_VENDOR, "secret": secret}, indent=1), encoding="utf-8")
    path.chmod(0o600)
    return path


def demo_users(path: Path | None = None) -> Path:
    """A park supervisor, a district officer (Jinshan) and one user per demo enterprise, with passwords and API
    tokens, written to .var/demo/users.json so a new user can try the alarm APIs. Kept when already written."""
    import secrets

    from django.contrib.auth import get_user_model

    from geo_core.access import create_user
    from geo_core.models import ApiToken, Region

    park = loaded_demo()
    path = path or demo_dir() / "users.json"
    enterprises = list(Enterprise.objects.filter(park=park).order_by("company_code"))
    wanted = ["supervisor", "officer-310116"] + [f"ent-{e.company_code}" for e in enterprises]
    if path.exists():
        names = {u["username"] for u in json.loads(path.read_text(encoding="utf-8"))}
        if names == set(wanted) and get_user_model().objects.filter(username__in=wanted).count() == len(wanted):
            return path
    specs = [
        ("supervisor", "supervisor", None, None, "安全监管科"),
        ("officer-310116", "district", None, Region.objects.get(code="310116"), "金山区应急管理局"),
    ]
    specs += [(f"ent-{e.company_code}", "enterprise", e, None, "") for e in enterprises]
    rows = []
    for username, role, ent, district, dept in specs:
        password = secrets.token_urlsafe(12)
        user = create_user(username, password, role, enterprise=ent, district=district, department=dept)
        ApiToken.objects.filter(user=user, name="demo").delete()
        _, token = ApiToken.issue(user, "demo")
        rows.append(
            {
                "username": username,
                "password": password,
                "token": token,
                "role": role,
                "company_code": ent.company_code if ent else None,
                "district": district.code if district else None,
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    path.chmod(0o600)
    return path


def reset_demo() -> None:
    """Remove the demo park and everything it brought (history included)."""
    park = loaded_demo()
    with transaction.atomic():
        demo_subjects = Subject.objects.filter(enterprise__park=park) | Subject.objects.filter(attributes__demo=True)
        ids = list(demo_subjects.values_list("id", flat=True))
        enterprises = list(Enterprise.objects.filter(park=park).values_list("id", flat=True)) if park else []
        demo_removed.send(sender=None, park=park, enterprise_ids=enterprises, subject_ids=ids)
        with connection.cursor() as cur:
            cur.execute("DELETE FROM geo_core_positionfix WHERE subject_id = ANY(%s)", [ids])
        if park is not None:
            WorkPermit.objects.filter(enterprise__park=park).delete()
        Contractor.objects.filter(attributes__demo=True).delete()
        VideoChannel.objects.filter(attributes__demo=True).delete()
        Zone.objects.filter(attributes__demo=True).delete()
        SpecialEquipment.objects.filter(attributes__demo=True).delete()
        # The city's certified welders of the demo registry (demo.scene._city_welders numbers them W + district).
        Certificate.objects.filter(subject__isnull=True, number__regex=r"^W31[0-9]{12}$").delete()
        Subject.objects.filter(id__in=ids).delete()
        if park is not None:
            Site.objects.filter(enterprise__park=park).delete()
            Enterprise.objects.filter(park=park).delete()
            park.delete()


def _maintenance_units(scene: Scene) -> dict[str, int]:
    """The demo's maintenance units and their rescue stations, by name (kept across reloads: equipment of other
    sources may name them too). Returns name -> id."""
    out = {}
    for u in scene.maintenance_units:
        fields = {k: v for k, v in u.items() if k not in ("name", "stations", "location")}
        unit, _ = MaintenanceUnit.objects.update_or_create(
            name=u["name"], defaults={**fields, "location": _geos(u["location"])}
        )
        for s in u["stations"]:
            RescueStation.objects.update_or_create(
                unit=unit, name=s["name"], defaults={"phone": s["phone"], "location": _geos(s["location"])}
            )
        out[unit.name] = unit.id
    return out


VIDEO_CENTRE = "3101160000"  # GB/T 28181 centre (Jinshan, 310116, padded) and industry 00 of the demo's channels
GEOD = Geod(ellps="GRS80")


def _video_channels(park: Park) -> None:
    """The park's cameras: one fixed camera at a corner of each forbidden zone and key place, aimed across it, and
    a channel for each body camera (type 138, carried by its officer). Derived from what was loaded: the same seed
    gives the same cameras."""
    channels = []
    zones = Zone.objects.filter(attributes__demo=True, kind__in=("forbidden", "key_place")).order_by("id")
    for k, z in enumerate(zones, 1):
        # From a corner of the zone (or 200 m short of the zone's middle, for a large one), aimed at its middle.
        x0, y0, _, _ = z.geom.extent
        target = z.geom.point_on_surface
        back, _, dist = GEOD.inv(target.x, target.y, x0, y0)
        if dist > 450:
            x0, y0, _ = GEOD.fwd(target.x, target.y, back, 200.0)
            dist = 200.0
        heading, _, _ = GEOD.inv(x0, y0, target.x, target.y)
        channels.append(
            VideoChannel(
                code=f"{VIDEO_CENTRE}1320{k:06d}",
                name=f"{z.name}摄像机",
                kind="fixed",
                enterprise_id=z.enterprise_id,
                authority=z.authority,
                location=GPoint(x0, y0, srid=4490),
                heading=heading % 360,
                angle=70.0,
                range_m=min(500.0, max(30.0, dist * 1.5)),
                attributes={"demo": True, "zone": z.id},
            )
        )
    cams = Subject.objects.filter(kind="body_camera", attributes__demo=True).order_by("id")
    for k, s in enumerate(cams, 1):
        channels.append(
            VideoChannel(
                code=f"{VIDEO_CENTRE}1380{k:06d}",
                name=f"{s.name or s.external_id}",
                kind="body_camera",
                enterprise_id=s.enterprise_id,
                authority="金山区应急管理局" if s.enterprise_id is None else "",
                subject=s,
                attributes={"demo": True},
            )
        )
    for c in channels:
        c.save()  # each computes its field of view


def _contractors(scene: Scene, by_code: dict, person_ids: dict) -> dict[str, Contractor]:
    """The scene's contractor units with their park certification, staff (certified, trained, filed for the
    enterprise they work at) and the enterprises' daily filings. Returns the units by credit code."""
    units = {}
    for u in scene.contractors:
        unit = Contractor.objects.create(credit_code=u["credit_code"], name=u["name"], attributes={"demo": True})
        unit.enterprises.set([by_code[c] for c in u["enterprises"]])
        units[u["credit_code"]] = unit
        Qualification.objects.create(
            contractor=unit,
            kind=Qualification.PARK,
            number=f"YQ-{u['credit_code'][-8:]}",
            valid_from=u["certified"][0],
            valid_until=u["certified"][1],
            park_certified=True,
        )
        filings: dict[str, list[ContractorStaff]] = {}
        for k, st in enumerate(u["staff"]):
            staff = ContractorStaff.objects.create(
                contractor=unit, name=st["name"], identify_sha256=st["sha"], identify_masked=st["masked"]
            )
            Qualification.objects.create(
                contractor=unit,
                staff=staff,
                kind=Qualification.PARK,
                number=f"YQ-{u['credit_code'][-8:]}-{k:04d}",
                valid_from=st["certified"][0],
                valid_until=st["certified"][1],
                park_certified=True,
            )
            Training.objects.create(
                staff=staff,
                course=vocab.TRAINING_COURSES[k % len(vocab.TRAINING_COURSES)],
                completed_on=st["trained"][0],
                valid_until=st["trained"][1],
            )
            filings.setdefault(st["company_code"], []).append(staff)
        for code, staff in filings.items():
            f = StaffFiling.objects.create(
                enterprise=by_code[code],
                contractor=unit,
                project="装置年度检修",
                valid_from=u["certified"][0],
                valid_until=u["certified"][1],
            )
            f.staff.set(staff)
    now = datetime.now(UTC)
    DailyFiling.objects.bulk_create(
        [
            DailyFiling(
                enterprise=by_code[d["company_code"]],
                day=d["day"],
                special_work=d["special_work"],
                commitment=d["commitment"],
                person_in_charge=d["person_in_charge"],
                filed_at=now,
            )
            for d in scene.daily_filings
        ]
    )
    return units


APPROVER_AWAY_EVERY = 10  # one open permit in ten was approved without the approver on site (an incident to find)


def _approvers_on_site(permits: list[WorkPermit]) -> None:
    """Most permits are in order: their approver stood at the work when approving (a fix there at approval time,
    a few metres off), so `approver_not_on_site` is raised for the few that were not."""
    rows = [
        (p.approver_id, p.approved_at, p.location.x, p.location.y)
        for k, p in enumerate(permits)
        if p.approved_at is not None and p.approver_id and p.status in (1, 2, 6) and k % APPROVER_AWAY_EVERY != 3
    ]
    if not rows:
        return
    ensure_partitions(local_day(min(r[1] for r in rows)), local_day(max(r[1] for r in rows)))
    with connection.cursor() as cur:
        cur.executemany(
            """INSERT INTO geo_core_positionfix (subject_id, time, geom, accuracy_m, source, raw_x, raw_y, raw_crs)
               VALUES (%s, %s, ST_SetSRID(ST_MakePoint(%s + 0.00005, %s + 0.00003, 0), 4490), 3.0, %s,
                       %s, %s, 'cgcs2000') ON CONFLICT DO NOTHING""",
            [(a, t, x, y, Source.DEMO, x, y) for a, t, x, y in rows],
        )


def load_demo(
    seed: int, anchor: datetime, size: SceneSize | None = None, progress: bool = True
) -> tuple[Scene, dict[str, float]]:
    """Build the scene for `seed` and write it. Returns the scene and timings (seconds) per step."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    districts = shanghai_districts()
    if len(districts) < 16:
        raise RuntimeError(f"{len(districts)} Shanghai districts loaded, 16 needed: run `manage.py load_regions` first")
    scene = build_scene(seed, anchor, districts, size)
    timings["generate"] = time.perf_counter() - t0
    steps = tqdm(total=7, desc="demo park", unit="step", disable=not progress)
    with transaction.atomic():
        t = time.perf_counter()
        park = Park.objects.create(
            code=scene.park["code"],
            name=scene.park["name"],
            boundary=_geos(scene.park["boundary"]),
            attributes={"demo": True, "seed": seed, "anchor": anchor.isoformat()},
        )
        enterprises = Enterprise.objects.bulk_create(
            [Enterprise(park=park, **e) for e in scene.enterprises], batch_size=BATCH
        )
        by_code = {e.company_code: e for e in enterprises}
        # Saved one by one: the district trigger runs per row either way, and save() reads the district back.
        sites = {}
        for s in scene.sites:
            site = Site(
                enterprise=by_code[s["company_code"]],
                name=s["name"],
                address=s["address"],
                footprint=_geos(s["footprint"]),
                height_m=s["height_m"],
            )
            site.save()
            sites[(s["company_code"], s["name"])] = site
        steps.update()
        timings["enterprises_sites"] = time.perf_counter() - t

        t = time.perf_counter()
        windows = {}
        for w in scene.time_windows:
            obj, _ = TimeWindow.objects.update_or_create(
                name=w["name"], defaults={k: v for k, v in w.items() if k != "name"}
            )
            windows[w["name"]] = obj
        zone_objs = []
        zone_windows = []
        for z in scene.zones:
            extra = {k: z[k] for k in ("floor", "height_min", "height_max", "capacity_min", "capacity_max") if k in z}
            zone_objs.append(
                Zone(
                    name=z["name"],
                    kind=z["kind"],
                    enterprise=by_code.get(z.get("company_code")),
                    authority=z.get("authority", ""),
                    geom=_geos(z["geom"]),
                    window_mode=z["window_mode"],
                    attributes={"demo": True, **z.get("attributes", {})},
                    **extra,
                )
            )
            zone_windows.append(z["windows"])
        zone_objs = Zone.objects.bulk_create(zone_objs, batch_size=BATCH)
        through = Zone.time_windows.through
        through.objects.bulk_create(
            [
                through(zone_id=z.id, timewindow_id=windows[name].id)
                for z, names in zip(zone_objs, zone_windows, strict=True)
                for name in names
            ]
        )
        steps.update()
        timings["zones"] = time.perf_counter() - t

        t = time.perf_counter()
        subjects = [
            Subject(
                kind=s["kind"],
                external_id=s["external_id"],
                enterprise=by_code.get(s["company_code"]),
                name=s["name"],
                person_type=s.get("person_type", ""),
                chip_id=s.get("chip_id"),
                qr_code=s.get("qr_code"),
                mobility=s.get("mobility", ""),
                attributes=s["attributes"] | {"demo": True},
                shift=windows.get(s.get("shift")),
            )
            for s in scene.subjects
        ]
        subjects = Subject.objects.bulk_create(subjects, batch_size=BATCH)
        steps.update()
        timings["subjects"] = time.perf_counter() - t

        t = time.perf_counter()
        states = []
        for obj, s in zip(subjects, scene.subjects, strict=True):
            st = s["state"]
            states.append(
                SubjectState(
                    subject=obj,
                    time=st.get("time", anchor),
                    geom=GPoint(st["lon"], st["lat"], 0.0, srid=4490),
                    accuracy_m=round(st["accuracy_m"], 1),
                    floor=st["floor"],
                    source=Source.DEMO,
                    live=st["live"],
                )
            )
        SubjectState.objects.bulk_create(states, batch_size=BATCH)
        ensure_partitions(local_day(min(s.time for s in states)), local_day(anchor))
        with connection.cursor() as cur:
            # The initial positions are history too.
            cur.execute(
                """
                INSERT INTO geo_core_positionfix (subject_id, time, geom, accuracy_m, floor, source,
                                                  raw_x, raw_y, raw_z, raw_crs)
                SELECT st.subject_id, st.time, st.geom, st.accuracy_m, st.floor, st.source,
                       ST_X(st.geom), ST_Y(st.geom), NULL, 'cgcs2000'
                FROM geo_core_subjectstate st
                JOIN geo_core_subject s ON s.id = st.subject_id
                WHERE s.attributes @> '{"demo": true}'
                ON CONFLICT DO NOTHING
                """
            )
        steps.update()
        timings["states"] = time.perf_counter() - t

        t = time.perf_counter()
        person_ids = {(s.enterprise.company_code if s.enterprise else None, s.external_id): s.id for s in subjects}
        district_ids = dict(Region.objects.filter(level="district").values_list("code", "id"))
        Certificate.objects.bulk_create(
            [
                Certificate(
                    subject_id=person_ids[(c["company_code"], c["external_id"])] if c["external_id"] else None,
                    holder_name=c.get("holder_name", ""),
                    unit=c.get("unit", ""),
                    category=c["category"],
                    number=c["number"],
                    authority=c["authority"],
                    birth_date=c["birth_date"],
                    issued_on=c["issued_on"],
                    valid_until=c["valid_until"],
                    location=GPoint(c["lon"], c["lat"], srid=4490) if "lon" in c else None,
                    district_id=district_ids.get(c.get("district")),
                )
                for c in scene.certificates
            ],
            batch_size=2000,
        )
        steps.update()

        units = _contractors(scene, by_code, person_ids)
        permits = []
        for p in scene.permits:
            code = p["company_code"]
            permits.append(
                WorkPermit(
                    enterprise=by_code[code],
                    site=sites[(code, p["site_name"])],
                    ticket_no=p["ticket_no"],
                    ticket_type=p["ticket_type"],
                    status=p["status"],
                    content=p["content"],
                    location=_geos(p["location"]),
                    work_area=_geos(p["work_area"]),
                    planned_start=p["planned_start"],
                    planned_end=p["planned_end"],
                    actual_start=p["actual_start"],
                    actual_end=p["actual_end"],
                    approved_at=p["approved_at"],
                    guardian_id=person_ids[(code, p["guardian"])],
                    approver_id=person_ids[(code, p["approver"])],
                    supervisor_name=p["supervisor_name"],
                    is_contractor_work=p["is_contractor_work"],
                    contractor=units.get(p.get("contractor_code")),
                    video_url=p["video_url"],
                    attributes={"demo": True, **({"upgraded": True} if p.get("upgraded") else {})},
                )
            )
        permits = WorkPermit.objects.bulk_create(permits, batch_size=BATCH)
        workers = WorkPermit.workers.through
        workers.objects.bulk_create(
            [
                workers(workpermit_id=obj.id, subject_id=person_ids[(p["company_code"], w)])
                for obj, p in zip(permits, scene.permits, strict=True)
                for w in p["workers"]
            ]
        )
        GasTest.objects.bulk_create(
            [GasTest(permit=obj, **g) for obj, p in zip(permits, scene.permits, strict=True) for g in p["gas_tests"]]
        )
        _approvers_on_site(permits)
        units = _maintenance_units(scene)
        SpecialEquipment.objects.bulk_create(
            [
                SpecialEquipment(
                    enterprise=by_code[q["company_code"]],
                    location=_geos(q["location"]),
                    maintenance_unit_id=units[q["maintenance_unit"]],
                    attributes={"demo": True, **q.get("attributes", {})},
                    **{
                        k: v
                        for k, v in q.items()
                        if k not in ("company_code", "location", "attributes", "maintenance_unit")
                    },
                )
                for q in scene.equipment
            ],
            batch_size=BATCH,
        )
        equipment_upkeep.sweep()
        steps.update()
        timings["permits"] = time.perf_counter() - t
        t = time.perf_counter()
        _video_channels(park)
        timings["video"] = time.perf_counter() - t
    steps.update()
    steps.close()
    timings["total"] = time.perf_counter() - t0
    return scene, timings
