"""manage.py simulate: drive the demo park through the real interfaces.

People's tags post to the signed report API (one request per enterprise per round), welding machines publish to
MQTT (positions, power, heartbeats), permits change status through the report API, and now and then an enterprise
stops reporting for a while (ING-6). Rates are configurable; progress is logged every 10 s as JSON.
"""

from __future__ import annotations

import json
import logging
import signal
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
import shapely
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from demo.incidents import Incidents
from demo.loader import CITY_VENDOR, demo_credentials, demo_vendor, loaded_demo
from demo.monitors import Device, Monitors
from demo.motion import LocalFrame, PeopleModel, WelderModel
from demo.patrol import patrol_of, todays_plan
from demo.scene import PARK_CENTRE
from geo_core.ingest.signing import ReportClient
from geo_core.models import Certificate, DailyFiling, Region, Site, SpecialEquipment, SubjectState, WorkPermit, Zone
from geo_core.partitions import PARK_TZ
from geo_core.timewindows import window_contains

log = logging.getLogger("geo_core.simulate")


GUARDIAN_POST_M = 3.0
FORBIDDEN_MARGIN_DEG = 0.0001  # about 10 m
WORKER_POST_M = 8.0
EQUIPMENT_INTERVAL_S = 5.0  # an IoT monitor reports every 5 s
PATROL_INTERVAL_S = 5  # a body camera reports its position every 5 s (seed 002: positions every 5 s)


def _geom(g) -> shapely.Geometry:
    return shapely.from_wkb(bytes(g.wkb))


def _on_duty(window, t: float) -> bool:
    return window_contains(window, datetime.fromtimestamp(t, UTC))


class Command(BaseCommand):
    help = "Simulate the demo park: tags over the signed report API, welders over MQTT, permits, offline feeds"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default=None, help="service base URL (default http://127.0.0.1:GEO_HTTP_PORT)")
        parser.add_argument("--tag-interval", type=float, default=5.0, help="seconds between a tag's reports")
        parser.add_argument("--welder-interval", type=float, default=60.0, help="seconds between a machine's fixes")
        parser.add_argument("--heartbeat-interval", type=float, default=300.0)
        parser.add_argument("--permit-interval", type=float, default=30.0, help="seconds between permit updates")
        parser.add_argument("--offline-every", type=float, default=600.0, help="an enterprise goes silent this often")
        parser.add_argument("--offline-for", type=float, default=90.0)
        parser.add_argument("--incident-every", type=float, default=300.0, help="seconds between scripted incidents")
        parser.add_argument("--seconds", type=float, default=None, help="stop after this long")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **o) -> None:
        park = loaded_demo()
        if park is None:
            raise CommandError("no demo park: run `manage.py load_demo` first")
        url = o["url"] or f"http://127.0.0.1:{settings.CONFIG.http_port}"
        creds = {c["company_code"]: c for c in json.loads(Path(demo_credentials()).read_text(encoding="utf-8"))}
        sim = Simulation(park, url, creds, o)
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
        signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
        sim.run(lambda: bool(stopping))


class Simulation:
    def __init__(self, park, url: str, creds: dict, o: dict) -> None:
        self.o = o
        self.park = park
        self.rng = np.random.default_rng(o["seed"])
        self.patrol = None  # the day's enforcement team (demo/patrol.py)
        self.patrol_day = None
        self.patrol_t0 = 0.0
        self.frame = LocalFrame(*PARK_CENTRE)
        # People, by enterprise, starting from their live state.
        people = list(
            SubjectState.objects.filter(
                subject__kind="person", subject__provisional=False, subject__enterprise__park=park
            )
            .select_related("subject__enterprise", "subject__shift")
            .order_by("subject_id")
        )
        companies = sorted({s.subject.enterprise.company_code for s in people})
        self.companies = companies
        self.clients = {c: ReportClient(url, creds[c]["app_id"], creds[c]["app_secret"]) for c in companies}
        # Where people walk: their sites, less forbidden zones and the work areas of running permits, with a margin
        # round them (no one strays in there in a normal day; a permit's crew keeps to its work, see _posts).
        kept_out = [_geom(z) for z in Zone.objects.filter(kind="forbidden", active=True).values_list("geom", flat=True)]
        kept_out += [
            _geom(a)
            for a in WorkPermit.objects.filter(
                enterprise__park=park, status=2, deleted=False, work_area__isnull=False
            ).values_list("work_area", flat=True)
        ]
        forbidden = shapely.buffer(shapely.union_all(kept_out), FORBIDDEN_MARGIN_DEG)
        areas = []
        for code in companies:
            sites = Site.objects.filter(enterprise__company_code=code).values_list("footprint", flat=True)
            areas.append(shapely.difference(shapely.union_all([_geom(g) for g in sites]), forbidden))
        index = {c: k for k, c in enumerate(companies)}
        self.people = PeopleModel(
            o["seed"],
            self.frame,
            [s.subject.external_id for s in people],
            [index[s.subject.enterprise.company_code] for s in people],
            np.array([s.geom.x for s in people]),
            np.array([s.geom.y for s in people]),
            areas,
            *self._shifts([s.subject.shift for s in people]),
            now=time.time(),
        )
        self._posts(park, [s.subject_id for s in people])
        self.tag_due = self.rng.uniform(0, o["tag_interval"], len(people))
        self.incidents = self._incidents(companies, [s.subject.person_type for s in people], o)
        # Welding machines.
        welders = list(
            SubjectState.objects.filter(subject__kind="welder").select_related("subject").order_by("subject_id")
        )
        self.chips = [w.subject.chip_id for w in welders]
        # Who starts each machine (扫码开机): its regular welder, one of the certified welders of its district.
        holders: dict[str, list[tuple[str, str]]] = {}
        today = datetime.now(UTC).date()
        for number, name, code in Certificate.objects.filter(
            subject__isnull=True, valid_until__gte=today, district__isnull=False
        ).values_list("number", "holder_name", "district__code"):
            holders.setdefault(code, []).append((number, name))
        self.operators = [
            holders[d][int(self.rng.integers(len(holders[d])))]
            if (d := (w.subject.attributes or {}).get("district")) in holders
            else None
            for w in welders
        ]
        city = Region.objects.get(code="310100").geom
        self.welders = WelderModel(
            o["seed"],
            np.array([w.geom.x for w in welders]),
            np.array([w.geom.y for w in welders]),
            np.array([w.subject.mobility == "mobile" for w in welders]),
            _geom(city),
        )
        self.welder_due = self.rng.uniform(0, o["welder_interval"], len(welders))
        # Special equipment's monitors (demo/monitors.py), each reporting every EQUIPMENT_INTERVAL_S.
        devices = [
            Device(
                q.registry_code,
                q.kind,
                floors=int(q.attributes.get("floors", 1)),
                pressure_max=float((q.attributes.get("limits") or {}).get("pressure_max_mpa", 1.6)),
            )
            for q in SpecialEquipment.objects.filter(attributes__demo=True, enterprise__park=park).order_by("id")
        ]
        self.monitors = Monitors(o["seed"], devices)
        self.city_devices = set(
            SpecialEquipment.objects.filter(attributes__demo=True, vendor__code=CITY_VENDOR).values_list(
                "registry_code", flat=True
            )
        )
        self.city_url = settings.CONFIG.city_iot_url
        self.equipment_due = self.rng.uniform(0, EQUIPMENT_INTERVAL_S, len(devices))
        self.heartbeat_due = self.rng.uniform(0, o["heartbeat_interval"], len(welders))
        self.permits = list(
            WorkPermit.objects.filter(enterprise__park=park)
            .filter(Q(status__in=[1, 2, 6]))
            .select_related("enterprise")
            .values_list("id", flat=True)
        )
        self.next_permit = o["permit_interval"]
        # The daily commitments of the enterprises that file them (the latest of each), re-filed each new day.
        self.filed = {
            code: work
            for code, work in DailyFiling.objects.filter(enterprise__park=park)
            .order_by("day")
            .values_list("enterprise__company_code", "special_work")
        }
        self.filed_day = datetime.now(UTC).astimezone(PARK_TZ).date().isoformat()
        self.scripted = 0
        self.silent: dict[str, float] = {}
        self.next_offline = o["offline_every"]
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sim-http")
        ep = settings.CONFIG.mqtt
        self.mqtt = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"geoservice-sim-{o['seed']}")
        # The demo's chips report as their vendor's platform would: with the vendor's own broker credentials, which
        # let it publish its devices' topics only (geo_core.ingest.vendors).
        device = json.loads(Path(demo_vendor()).read_text(encoding="utf-8"))
        self.mqtt.username_pw_set(device["vendor"], device["secret"])
        self.mqtt.max_inflight_messages_set(10000)
        self.mqtt.connect(ep.host, ep.port)
        self.mqtt.loop_start()
        self.sent = {
            "tag_fixes": 0,
            "tag_requests": 0,
            "rejected": 0,
            "http_errors": 0,
            "welder_msgs": 0,
            "permit_updates": 0,
            "publish_errors": 0,
        }

    @staticmethod
    def _shifts(windows: list) -> tuple[np.ndarray, list[Callable[[float], bool]]]:
        """Each person's shift (index, -1 for none) and each shift as a callable over epoch seconds."""
        distinct = sorted({w.id: w for w in windows if w is not None}.values(), key=lambda w: w.id)
        index = {w.id: k for k, w in enumerate(distinct)}
        shift = np.array([index[w.id] if w is not None else -1 for w in windows], dtype=int)
        return shift, [partial(_on_duty, w) for w in distinct]

    def _incidents(self, companies: list[str], person_types: list[str], o: dict) -> Incidents:
        """The scripted incidents of the demo day (demo.incidents), on the zones of the park."""
        index = {c: k for k, c in enumerate(companies)}

        def to_m(c: np.ndarray) -> np.ndarray:
            return np.column_stack(self.frame.to_m(c[:, 0], c[:, 1]))

        def local(kind: str) -> list[tuple[int, shapely.Geometry]]:
            rows = Zone.objects.filter(kind=kind, active=True, enterprise__company_code__in=companies)
            return [
                (index[code], shapely.transform(_geom(geom), to_m))
                for code, geom in rows.values_list("enterprise__company_code", "geom")
            ]

        return Incidents(
            people=self.people,
            forbidden=local("forbidden"),
            work_areas=local("work_area"),
            muster_points=local("muster_point"),
            contractors=np.flatnonzero(np.array(person_types) == "02"),
            sos=self._sos,
            scan=self._far_scan,
            permit=self._scripted_permit,
            every_s=o["incident_every"],
            rng=np.random.default_rng(o["seed"] + 1),
        )

    def _sos(self, person: int) -> None:
        """A worker presses SOS: the enterprise reports it (AQ 3064.3 B.3, ALARM_TYPE 0)."""
        p = self.people.p
        code = self.companies[p.company[person]]
        now = datetime.now(UTC).replace(microsecond=0)
        record = {
            "ID": f"SOS-{p.ids[person]}-{int(now.timestamp())}",
            "PERSON_ID": p.ids[person],
            "ALARM_TYPE": "0",
            "ALARM_TIME": now.isoformat(),
            "DESCRIBE": "人员按下SOS求救",
        }
        self.pool.submit(self._post, code, "person-alarms", [record])

    def _far_scan(self, metres: float) -> None:
        """A welding machine scanned by a phone far from it (a borrowed QR code: seed 003's remote scan)."""
        i = int(self.rng.integers(len(self.chips)))
        lon = float(self.welders.lon[i]) + metres / (111_000.0 * np.cos(np.radians(float(self.welders.lat[i]))))
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        body = {
            "ts": now_ms,
            "operator_id": "W-DEMO",
            "operator_name": "张三",
            "decision": "allow",
            "phone": {"lon": round(lon, 7), "lat": round(float(self.welders.lat[i]), 7), "crs": "cgcs2000"},
        }
        self._publish(f"welder/{self.chips[i]}/scan", json.dumps(body))

    def _scripted_permit(self, kind: str) -> list:
        """A permit for an incident, reported by its enterprise as real ones are, with its follow-ups: `late_video`
        starts without a video (linked 12 min on, closed at 25 min); `overdue` is still in progress 35 min past its
        planned end (closed 6 min on). Of a ticket type its enterprise filed for today, so only the incident's
        alarms follow."""
        filed = [(c, w) for c, w in self.filed.items() if w]
        if not filed:
            return []
        code, work = filed[int(self.rng.integers(len(filed)))]
        site = Site.objects.filter(enterprise__company_code=code).order_by("id").first()
        spot = site.footprint.point_on_surface
        now = datetime.now(UTC).replace(microsecond=0)
        self.scripted += 1
        start, end = (
            (now, now + timedelta(hours=4))
            if kind == "late_video"
            else (now - timedelta(hours=4), now - timedelta(minutes=35))
        )
        record = {
            "ID": f"{code}-INC-{int(now.timestamp())}-{self.scripted}",
            "TICKETTYPE": sorted(work)[0],
            "STATUS": "2",
            "LONGITUDE": spot.x,
            "LATITUDE": spot.y,
            "STARTTIME": start.isoformat(),
            "ENDTIME": end.isoformat(),
            "ACTUALSTARTTIME": start.isoformat(),
            "CONTENT": "设备检修作业",
        }
        video = [{"URL": f"https://video.demo.invalid/incidents/{record['ID']}.m3u8", "NAME": "作业现场"}]
        self.pool.submit(self._post, code, "permits", [record])

        def send(closed: bool) -> Callable[[], None]:
            def report() -> None:
                changes = {"VIDEOS": video}
                if closed:
                    changes |= {"STATUS": "3", "ACTUALENDTIME": datetime.now(UTC).replace(microsecond=0).isoformat()}
                self.pool.submit(self._post, code, "permits", [{**record, **changes}])

            return report

        if kind == "late_video":
            return [(720.0, send(closed=False)), (1500.0, send(closed=True))]
        return [(360.0, send(closed=True))]

    def _daily_filings(self, now: datetime) -> None:
        """Each enterprise that files its daily commitment (all but the scene's one) files again on a new day."""
        day = now.astimezone(PARK_TZ).date().isoformat()
        if day == self.filed_day:
            return
        self.filed_day = day
        for code, work in self.filed.items():
            record = {
                "DAY": day,
                "SPECIAL_WORK": work,
                "PERSON_IN_CHARGE": "值班长",
                "COMMITMENT": "今日特殊作业已落实安全措施",
            }
            self.pool.submit(self._post, code, "daily-filings", [record])

    def _posts(self, park, subject_ids: list[int]) -> None:
        """Work in progress keeps its people: each running permit's guardian stays within GUARDIAN_POST_M of the
        work (the guardian_away rule allows 10 m), its workers within WORKER_POST_M."""
        self.person_index = {sid: k for k, sid in enumerate(subject_ids)}
        running = WorkPermit.objects.filter(enterprise__park=park, status=2, deleted=False).prefetch_related("workers")
        for permit in running.order_by("id"):
            self._crew_to(permit)

    def _crew_to(self, permit: WorkPermit) -> None:
        lon, lat = permit.location.x, permit.location.y
        for sid, radius in [(permit.guardian_id, GUARDIAN_POST_M)] + [
            (w.id, WORKER_POST_M) for w in permit.workers.all()
        ]:
            k = self.person_index.get(sid)
            if k is not None and k not in self.people.p.anchors:
                self.people.keep_to(k, lon, lat, radius)

    def _publish(self, topic: str, body: str) -> None:
        info = self.mqtt.publish(topic, body, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            self.sent["publish_errors"] += 1

    def _post(self, code: str, feed: str, records: list[dict]) -> None:
        try:
            status, answer = self.clients[code].post(feed, records)
        except OSError as exc:
            self.sent["http_errors"] += 1
            log.warning("report failed", extra={"company": code, "error": str(exc)[:200]})
            return
        if status != 200:
            self.sent["http_errors"] += 1
            log.warning("report refused", extra={"company": code, "status": status, "answer": str(answer)[:300]})
            return
        self.sent["rejected"] += len(answer.get("rejected", []))

    def _tags(self, t: float, now: datetime) -> None:
        due = np.flatnonzero(self.tag_due <= t)
        if due.size == 0:
            return
        self.tag_due[due] += self.o["tag_interval"]
        due = due[self.people.present[due]]  # off duty, tags are silent
        lon, lat, sigma = self.people.observe(due)
        stamp = now.isoformat()
        by_company: dict[str, list[dict]] = {}
        for k, i in enumerate(due.tolist()):
            code = self.companies[self.people.p.company[i]]
            if code in self.silent:
                continue
            by_company.setdefault(code, []).append(
                {
                    "PERSON_ID": self.people.p.ids[i],
                    "TIME_STAMP": stamp,
                    "LONGITUDE": round(float(lon[k]), 8),
                    "LATITUDE": round(float(lat[k]), 8),
                    "ACCURACY": round(float(sigma[k]), 1),
                }
            )
        for code, records in by_company.items():
            self.sent["tag_fixes"] += len(records)
            self.sent["tag_requests"] += 1
            self.pool.submit(self._post, code, "positions", records)

    def _welders(self, t: float, now_ms: int) -> None:
        moved, flipped = self.welders.step(1.0)
        due = np.union1d(np.flatnonzero(self.welder_due <= t), moved)
        self.welder_due[due] = t + self.o["welder_interval"]
        if due.size:
            lon, lat, acc = self.welders.observe(due)
            for k, i in enumerate(due.tolist()):
                body = json.dumps(
                    {
                        "ts": now_ms,
                        "lon": round(float(lon[k]), 7),
                        "lat": round(float(lat[k]), 7),
                        "acc": round(float(acc[k])),
                    }
                )
                self._publish(f"welder/{self.chips[i]}/position", body)
        lon_p, lat_p = self.welders.lon, self.welders.lat
        for i in flipped.tolist():
            state = "on" if self.welders.powered[i] else "off"
            if state == "on" and self.operators[i] is not None:  # the welder scans the machine's code to start it
                number, name = self.operators[i]
                phone = {"lon": round(float(lon_p[i]) + 0.0001, 7), "lat": round(float(lat_p[i]), 7), "crs": "cgcs2000"}
                scan = {"ts": now_ms - 1000, "operator_id": number, "operator_name": name, "certificate": number,
                        "decision": "allow", "phone": phone}  # fmt: skip
                self._publish(f"welder/{self.chips[i]}/scan", json.dumps(scan, ensure_ascii=False))
            self._publish(f"welder/{self.chips[i]}/power", json.dumps({"ts": now_ms, "state": state}))
        beat = np.flatnonzero(self.heartbeat_due <= t)
        self.heartbeat_due[beat] += self.o["heartbeat_interval"]
        for i in beat.tolist():
            power = "on" if self.welders.powered[i] else "off"
            body = json.dumps({"ts": now_ms, "power": power, "battery": int(self.rng.integers(30, 101))})
            self._publish(f"welder/{self.chips[i]}/heartbeat", body)
        self.sent["welder_msgs"] += int(due.size + flipped.size + beat.size)

    def _permit(self, now: datetime) -> None:
        """One permit moves on (issued -> in progress <-> paused), and work due to end is closed on time: most
        permits are in order (the scripted incidents bring the ones that are not)."""
        if not self.permits:
            return
        permits = WorkPermit.objects.select_related("enterprise", "contractor", "guardian", "approver")
        due = permits.filter(
            id__in=self.permits,
            status__in=[2, 6],
            planned_end__lt=now + timedelta(seconds=2 * self.o["permit_interval"]),
        )
        for p in due.prefetch_related("workers"):
            self._report_permit(p, 3, now)
            self.permits.remove(p.id)
            for k in (self.person_index.get(sid) for sid in [p.guardian_id, *(w.id for w in p.workers.all())]):
                self.people.p.anchors.pop(k, None)  # the crew is free again
        if not self.permits:
            return
        p = permits.prefetch_related("workers").get(pk=self.permits[int(self.rng.integers(len(self.permits)))])
        new_status = {1: 2, 2: 6, 6: 2}.get(p.status, 2)
        if new_status == 2 and p.status == 1:  # work begins: its crew goes to it and stays (see _posts)
            self._crew_to(p)
        self._report_permit(p, new_status, now)

    def _report_permit(self, p: WorkPermit, status: int, now: datetime) -> None:
        """The permit as its enterprise reports it (AQ 3064.2 records are snapshots): crew, approval, unit, video."""
        record = {
            "ID": p.ticket_no,
            "TICKETTYPE": p.ticket_type,
            "STATUS": str(status),
            "LONGITUDE": p.location.x,
            "LATITUDE": p.location.y,
            "STARTTIME": p.planned_start.isoformat(),
            "ENDTIME": p.planned_end.isoformat(),
            "CONTENT": p.content,
            "SUPERVISORNAME": p.supervisor_name,
            "ISCONTRACTORWORK": int(p.is_contractor_work),
            "WORKER_IDS": [w.external_id for w in p.workers.all()],
        }
        for field, value in (("GUARDIAN_ID", p.guardian), ("APPROVER_ID", p.approver)):
            if value is not None:
                record[field] = value.external_id
        if p.approved_at and p.approved_at <= now:
            record["ISSUETIME"] = p.approved_at.isoformat()
        if p.contractor_id:
            record["CONTRACTOR_CODE"] = p.contractor.credit_code
        if p.video_url:
            record["VIDEOS"] = [{"URL": p.video_url, "NAME": "作业现场"}]
        if p.attributes.get("upgraded"):
            record["UPGRADED"] = 1
        started = p.actual_start or (now if status == 2 else None)
        if started:
            record["ACTUALSTARTTIME"] = started.isoformat()
        if status == 3:
            record["ACTUALENDTIME"] = max(now, started or now).isoformat()
        self.sent["permit_updates"] += 1
        self.pool.submit(self._post, p.enterprise.company_code, "permits", [record])

    def _equipment(self, t: float, now_ms: int) -> None:
        """Monitors publish over MQTT as the demo vendor; the city platform's devices report to the platform's
        stand-in (demo/city_iot.py), which the service pulls from."""
        self.monitors.step(1.0)
        due = np.flatnonzero(self.equipment_due <= t)
        self.equipment_due[due] += EQUIPMENT_INTERVAL_S
        to_city = []
        for i in due.tolist():
            d = self.monitors.devices[i]
            reading = self.monitors.reading(d, now_ms)
            if d.code in self.city_devices:
                ts = reading.pop("ts")
                to_city.append({"registry_code": d.code, "ts": ts, "reading": reading})
            else:
                self._publish(f"equipment/{d.code}/reading", json.dumps(reading))
        if to_city and self.city_url:
            self.pool.submit(self._to_city, to_city)
        self.sent["equipment_readings"] = self.sent.get("equipment_readings", 0) + int(due.size)

    def _to_city(self, items: list[dict]) -> None:
        req = urllib.request.Request(
            f"{self.city_url}/devices/report", json.dumps(items).encode(), {"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                r.read()
        except OSError as exc:
            self.sent["http_errors"] += 1
            log.warning("city platform report failed", extra={"error": str(exc)[:200]})

    def _patrol(self, t: float, now: datetime) -> None:
        """The enforcement team's body cameras, every PATROL_INTERVAL_S, along the day's inspection plan."""
        day = now.astimezone(PARK_TZ).date()
        if day != self.patrol_day:
            self.patrol_day = day
            plan = todays_plan(self.park, day, self.o["seed"])
            self.patrol = patrol_of(plan, self.frame) if plan else None
            self.patrol_t0 = t
            log.info("inspection plan", extra={"day": day.isoformat(), "plan": plan.id if plan else None})
        where = self.patrol.at(t - self.patrol_t0) if self.patrol else None
        if where is None:
            return
        ms = int(now.timestamp() * 1000)
        for cam, lon, lat in zip(self.patrol.cameras, *where, strict=True):
            body = {"ts": ms, "lon": round(float(lon), 7), "lat": round(float(lat), 7), "acc": 5}
            self._publish(f"camera/{cam}/position", json.dumps(body))

    def run(self, stopping) -> None:
        started = time.monotonic()
        last_log = 0.0
        log.info(
            "simulation starting",
            extra={"people": len(self.people.p.ids), "welders": len(self.chips), "companies": len(self.companies)},
        )
        while not stopping():
            t = time.monotonic() - started
            if self.o["seconds"] is not None and t >= self.o["seconds"]:
                break
            now = datetime.now(UTC).replace(microsecond=0)
            self.people.step(1.0)
            if int(t) % 10 == 0:
                self.people.shifts_at(now.timestamp())
            self.incidents.step(t)
            self._tags(t, now)
            self._welders(t, int(now.timestamp() * 1000))
            self._equipment(t, int(now.timestamp() * 1000))
            if int(t) % PATROL_INTERVAL_S == 0:
                self._patrol(t, now)
            if t >= self.next_permit:
                self.next_permit = t + self.o["permit_interval"]
                self._permit(now)
                self._daily_filings(now)
            if t >= self.next_offline:
                self.next_offline = t + self.o["offline_every"]
                code = self.companies[int(self.rng.integers(len(self.companies)))]
                self.silent[code] = t + self.o["offline_for"]
                log.info("enterprise goes silent", extra={"company": code, "seconds": self.o["offline_for"]})
            self.silent = {c: until for c, until in self.silent.items() if until > t}
            if t - last_log >= 10:
                last_log = t
                log.info("simulation progress", extra={"seconds": round(t), **self.sent})
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started - t)))
        self.pool.shutdown(wait=True)
        self.mqtt.loop_stop()
        self.mqtt.disconnect()
        log.info("simulation stopped", extra={**self.sent, "incidents": self.incidents.happened})
