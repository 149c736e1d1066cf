"""The alarm worker: follows the live feed of committed position batches (NOTIFY geo_core_positions) and device
events (NOTIFY geo_core_events), feeds the engine, ticks it every second, and writes what it says in one
transaction per step. Every few seconds that transaction also saves the engine's state with the batch ids and event
cursors it has consumed; a restart resumes from the saved state and replays what was committed after it. The replay
names the same alarms (deterministic keys) and the store skips them, so nothing is repeated or lost.
"""

from __future__ import annotations

import json
import logging
import math
import pickle
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, transaction

from alarms import scene
from alarms.engine import Engine, Scan, Signal
from alarms.fences import Fixes
from alarms.models import EngineSnapshot
from alarms.partitioning import Partition
from alarms.plane import MetricPlane
from alarms.rules.equipment import Fault
from alarms.store import Writer
from geo_core import equipment_upkeep, seams
from geo_core.db import conninfo
from geo_core.ingest.writer import CHANNEL, EVENTS_CHANNEL
from geo_core.models import DeviceEvent, Enterprise, EquipmentFault, FeedLiveness, ReportedAlarm

log = logging.getLogger("alarms.worker")
VERSION = "engine-4"  # the engine's pickled state changed shape: an older save is not restored
KEEP_BATCHES = 5000  # processed batch ids remembered (a batch committing later than this many others is missed)
SNAPSHOT_EVERY_S = 5.0
UPKEEP_EVERY_S = 60.0  # equipment upkeep states change by the day: read them once a minute
SLOW_STEP_S = 0.25  # steps longer than this are logged with their parts
MAX_ATTEMPTS = 3  # an input that fails this many evaluations becomes an `input_unevaluated` alarm


class AlarmWorker:
    def __init__(
        self, name: str = "default", snapshot_every: float = SNAPSHOT_EVERY_S, partition: Partition | None = None
    ):
        self.name = name
        self.partition = partition or Partition()
        self.known: dict = {}  # every subject the scene holds (SubjectInfo by id), this partition's or not
        self.foreign: set[int] = set()  # subjects known to be other partitions' (not weighed again every batch)
        self.snapshot_every = snapshot_every
        self.engine = Engine()
        self.writer = Writer()
        self.plane: MetricPlane | None = None
        self.stamp: tuple | None = None
        self.done: deque[int] = deque(maxlen=KEEP_BATCHES)
        self.cursors: dict = {}
        self.last_snapshot = 0.0
        self.upkeep_at = -math.inf  # when the equipment upkeep states were last read (every UPKEEP_EVERY_S)
        self.stats = {
            "batches": 0,
            "fixes": 0,
            "raised": 0,
            "updated": 0,
            "ended": 0,
            "self_closed": 0,
            "suppressed": 0,
            "repeats": 0,
        }
        self.listener: psycopg.Connection | None = None
        self.saver = Saver(name)
        self.background = False  # snapshots in a thread: set by run(); tests save in their own transaction
        self.final_save = True  # saved when its loop is stopped (not when its lease went with a lost connection)

    # --- start: restore, configure, catch up --------------------------------------------------------------------

    def start(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self.plane = scene.plane_for_scene()
        snap = EngineSnapshot.objects.filter(name=self.name).first()
        restored = False
        if snap is not None and snap.version == VERSION:
            try:
                self.engine = pickle.loads(bytes(snap.state))
                self.cursors = snap.cursors
                self.done.extend(self.cursors.get("batches", []))
                restored = True
            except Exception as exc:
                log.warning("engine state unreadable, starting fresh", extra={"error": str(exc)[:200]})
        self.reload(now, force=True)
        signals = self._catch_up(snap.saved_at) if restored else self._bootstrap(now)
        signals += self._events(now)
        self._commit(signals, now, snapshot=True)
        log.info(
            "alarm worker started",
            extra={
                "restored": restored,
                "plane": self.plane.crs,
                **{k: v for k, v in self.engine.summary().items() if k in ("rules", "fences")},
            },
        )

    def reload(self, now: float, force: bool = False) -> list[Signal]:
        """Rebuild the scene when rules, zones, permits, windows or subjects changed (checked every tick)."""
        stamp = scene.stamp()
        if not force and stamp == self.stamp:
            return []
        same_subjects = (
            not force
            and self.stamp is not None
            and _row(stamp, "geo_core_subject") == _row(self.stamp, "geo_core_subject")
        )
        self.stamp = stamp
        zones, permits, rules, subjects = scene.load(self.plane, self.known if same_subjects else None)
        self.known = subjects
        part = self.partition
        if not part.whole:
            part.parks = dict(Enterprise.objects.values_list("id", "park_id"))
            zones = [z for z in zones if part.shares(z.enterprise_id)]
            permits = [p for p in permits if part.owns(p.enterprise_id)]
            rules = [r for r in rules if part.shares(r.enterprise_id)]
            subjects = {i: s for i, s in subjects.items() if part.owns(s.enterprise_id)}
            self.foreign = set(self.known.keys() - subjects.keys())
        out = self.engine.configure(zones, permits, rules, subjects, now=now, paperwork=scene.paperwork())
        self.writer.rule_ids = {r.id for r in rules}
        self.writer.dispatching = scene.dispatching()
        log.info(
            "scene loaded",
            extra={
                "partition": part.label,
                "rules": len(rules),
                "zones": len(zones),
                "permits": len(permits),
                "subjects": len(subjects),
                "fences": self.engine.summary()["fences"],
            },
        )
        return out

    def _bootstrap(self, now: float) -> list[Signal]:
        """First start: the live state of every subject is the first fix the engine sees; history is not replayed.
        Device cursors start 10 minutes back, so an SOS pressed just before the first start is not lost; equipment
        faults open now are raised."""
        self.cursors["batch_floor"] = seams.batch_cursor()
        rows = seams.live_fixes()
        for sid, powered, heard in seams.welder_power():
            if self._mine(sid):
                self.engine.device(sid, powered, float(heard))
        since = datetime.fromtimestamp(now, UTC) - timedelta(minutes=10)
        self.cursors["device_event"] = (
            DeviceEvent.objects.filter(received_at__lt=since).order_by("-id").values_list("id", flat=True).first() or 0
        )
        self.cursors["reported"] = (
            ReportedAlarm.objects.filter(received_at__lt=since).order_by("-id").values_list("id", flat=True).first()
            or 0
        )
        out = self._feed(rows)
        # Equipment faults open now are raised; those that have ended are history, not alarms.
        last = EquipmentFault.objects.order_by("-id").values_list("id", flat=True).first() or 0
        for f in _faults().filter(id__lte=last, ended_at__isnull=True):
            if self.partition.owns(f.equipment.enterprise_id):
                out += self.engine.equipment(_fault(f))
        self.cursors["equipment_fault"] = last
        # The live states are a snapshot, not a stream: the engine observes from now on (no clock_jump for their age).
        self.engine.observe(now)
        return out

    def _catch_up(self, saved_at: datetime) -> list[Signal]:
        """Batches committed since the saved state (or not yet processed when it was saved)."""
        floor = min(self.done) if self.done else self.cursors.get("batch_floor", 0)
        rows = seams.fixes_after(floor, list(self.done), saved_at - timedelta(hours=1))
        batches = sorted({r[5] for r in rows})
        self.done.extend(batches)
        log.info("caught up", extra={"batches": len(batches), "fixes": len(rows)})
        return self._feed(rows)

    # --- the loop -----------------------------------------------------------------------------------------------

    def listen(self) -> None:
        self.listener = psycopg.connect(conninfo(), autocommit=True)
        self.listener.execute(f"LISTEN {CHANNEL}")
        self.listener.execute(f"LISTEN {EVENTS_CHANNEL}")

    def wait(self, timeout: float) -> tuple[list[dict], bool]:
        """Notifications until `timeout`; returns early (after a 20 ms drain) once one has come."""
        import orjson

        batches, events = [], False
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            left = deadline - time.monotonic()
            got = False
            for n in self.listener.notifies(timeout=max(left, 0.0), stop_after=1):
                got = True
                if n.channel == CHANNEL:
                    batches.append(orjson.loads(n.payload))
                else:
                    events = True
            if not got or time.monotonic() >= deadline:
                return batches, events
            deadline = min(deadline, time.monotonic() + 0.02)

    def run(self, until: float | None = None, stop=None) -> None:
        self.background = True
        self.listen()
        self.start()
        next_tick = time.monotonic()
        while (until is None or time.monotonic() < until) and not (stop and stop.is_set()):
            batches, events = self.wait(next_tick - time.monotonic())
            now = time.time()
            try:
                if events and batches:  # a person's SOS does not wait for thousands of welder fixes: it goes first
                    self.step(now, [], events=True, tick=False)
                    events = False
                self.step(now, batches, events, tick=time.monotonic() >= next_tick)
            except Exception:
                log.exception("alarm step failed; the state is reloaded from the last save")
                self.engine = Engine()
                self.done.clear()
                self.start()
            if time.monotonic() >= next_tick:
                next_tick = time.monotonic() + 1.0

    def step(self, now: float, batches: list[dict], events: bool = True, tick: bool = True) -> list[Signal]:
        clock = [time.perf_counter()]

        def lap() -> float:
            clock.append(time.perf_counter())
            return round(clock[-1] - clock[-2], 4)

        signals: list[Signal] = []
        parts = {}
        if batches:
            new = [b for b in batches if b["batch"] not in self.done]
            if new:
                signals += self._batches(new)
            parts["batches"] = lap()
        if events or tick:
            signals += self._events(now)
            parts["events"] = lap()
        if tick:
            signals += self.reload(now)
            parts["reload"] = lap()
            signals += self.engine.feeds(self._feed_states(), now)
            signals += self._upkeep(now)
            signals += self.engine.tick(now)
            parts["tick"] = lap()
        # The state is saved every few seconds, not with every alarm: a restart replays the batches since the save,
        # and the replay's alarms are recognised by their keys (see the module docstring).
        snapshot = now - self.last_snapshot >= self.snapshot_every
        self._commit(signals, now, snapshot=snapshot)
        parts["commit"] = lap()
        total = clock[-1] - clock[0]
        self.stats["steps"] = self.stats.get("steps", 0) + 1
        self.stats["slowest_step_s"] = max(self.stats.get("slowest_step_s", 0.0), round(total, 4))
        if total > SLOW_STEP_S:
            log.info(
                "slow alarm step",
                extra={"seconds": round(total, 3), "parts": parts, "snapshot": snapshot, "signals": len(signals)},
            )
        return signals

    def _batches(self, notes: list[dict]) -> list[Signal]:
        ids = [b["batch"] for b in notes]
        first = min(b["first"] for b in notes if b["first"])
        last = max(b["last"] for b in notes if b["last"])
        rows = seams.fixes_of_batches(ids, first, last)
        self.done.extend(ids)
        self.stats["batches"] += len(ids)
        return self._feed(rows)

    def _know(self, ids) -> None:
        """Load the subjects the engine does not know yet, as they are in the database now, before any input about
        them is evaluated (the scene is re-read once a second; an input must not wait for it, nor be skipped)."""
        ids = {int(i) for i in ids if i is not None}
        missing = ids - self.known.keys()
        if missing:
            found = scene.subjects_by_id(missing)
            self.known.update(found)
            self.stats["subjects_loaded"] = self.stats.get("subjects_loaded", 0) + len(found)
        new = [self.known[i] for i in ids - self.foreign if i in self.known and not self.engine.knows(i)]
        if not all(self.partition.knows(s.enterprise_id) for s in new):  # an enterprise registered since the scene
            self.partition.parks = dict(Enterprise.objects.values_list("id", "park_id"))
        self.engine.add_subjects([s for s in new if self.partition.owns(s.enterprise_id)])
        self.foreign.update(s.id for s in new if not self.partition.owns(s.enterprise_id))

    def _mine(self, subject: int | None) -> bool:
        """Whether this worker's partition evaluates `subject` (call _know first for subjects new to it)."""
        if subject is None:
            return self.partition.owns(None)
        return self.partition.whole or self.engine.knows(subject)

    def _feed(self, rows: list[tuple]) -> list[Signal]:
        if not rows:
            return []
        self._know({r[0] for r in rows})
        if not self.partition.whole:
            rows = [r for r in rows if self.engine.knows(r[0])]
            if not rows:
                return []
        a = np.array([(*r[:5], r[6]) for r in rows], dtype=float)
        x, y = self.plane.forward(a[:, 2], a[:, 3])
        fixes = Fixes(a[:, 0].astype(np.int64), a[:, 1], x, y, a[:, 4], a[:, 2], a[:, 3], a[:, 5])
        self.stats["fixes"] += len(rows)
        self.engine.heard(fixes.subject.tolist(), fixes.t.tolist())
        return self.engine.fixes(fixes)

    def _events(self, now: float) -> list[Signal]:
        """Device events (power, heartbeat, scan, SOS) and enterprise-reported SOS since the cursors."""
        out: list[Signal] = []
        cursor = self.cursors.get("device_event", 0)
        evs = list(DeviceEvent.objects.filter(id__gt=cursor).order_by("id")[:5000])
        cursor = self.cursors.get("reported", 0)
        reps = list(ReportedAlarm.objects.filter(id__gt=cursor).select_related("enterprise").order_by("id")[:5000])
        retry = self.cursors.setdefault("retry", {})  # "device:ID" / "reported:ID" / "equipment:ID" -> failed attempts
        if retry:  # inputs that failed before come first, as they are in the database now
            evs = self._retrying(DeviceEvent.objects.all(), "device", retry) + evs
            reps = self._retrying(ReportedAlarm.objects.select_related("enterprise"), "reported", retry) + reps
        self._know({ev.subject_id for ev in evs} | {rep.subject_id for rep in reps})
        for ev in evs:
            if self._mine(ev.subject_id):
                out += self._guarded(f"device:{ev.id}", self._device_event, ev, now)
        if evs:
            self.cursors["device_event"] = max(self.cursors.get("device_event", 0), evs[-1].id)
        for rep in reps:
            if self.partition.owns(rep.enterprise_id):
                out += self._guarded(f"reported:{rep.id}", self._reported, rep, now)
        if reps:
            self.cursors["reported"] = max(self.cursors.get("reported", 0), reps[-1].id)
        return out + self._equipment(now)

    def _equipment(self, now: float) -> list[Signal]:
        """Special equipment's faults: those started since the cursor, and the end of those raised for (the ingest
        closes a fault by setting its end; the engine says which it is waiting for)."""
        out: list[Signal] = []
        cursor = self.cursors.get("equipment_fault", 0)
        rows = _faults()
        new = list(rows.filter(id__gt=cursor).order_by("id")[:5000])
        retry = self.cursors.setdefault("retry", {})  # a fault that failed to evaluate comes again, as it is now
        again = self._retrying(rows, "equipment", retry) if retry else []
        waiting = self.engine.equipment_open()
        ended = list(rows.filter(id__in=waiting, ended_at__isnull=False).order_by("id")) if waiting else []
        for f in again + new:
            if self.partition.owns(f.equipment.enterprise_id):
                out += self._guarded(f"equipment:{f.id}", self._fault, f, now)
        for f in ended:
            out += self.engine.equipment(_fault(f, ended=True))
        if new:
            self.cursors["equipment_fault"] = max(cursor, new[-1].id)
        return out

    def _fault(self, f: EquipmentFault) -> list[Signal]:
        out = self.engine.equipment(_fault(f))
        if f.ended_at is not None:  # started and ended between two looks
            out += self.engine.equipment(_fault(f, ended=True))
        return out

    @staticmethod
    def _retrying(rows, prefix: str, retry: dict) -> list:
        """The inputs of `rows` waiting for another attempt (one deleted meanwhile is forgotten)."""
        ids = [int(k.split(":")[1]) for k in retry if k.startswith(prefix + ":")]
        found = list(rows.filter(id__in=ids).order_by("id")) if ids else []
        for gone in set(ids) - {r.id for r in found}:
            retry.pop(f"{prefix}:{gone}", None)
        return found

    def _guarded(self, ref: str, evaluate, item, now: float) -> list[Signal]:
        """Evaluate one input on its own: one that fails is kept and tried again at the next steps; after
        MAX_ATTEMPTS failures it becomes an alarm itself (`input_unevaluated`), so no input is silently lost."""
        retry = self.cursors["retry"]
        try:
            out = evaluate(item)
        except Exception as exc:
            attempts = retry.get(ref, 0) + 1
            log.exception("alarm input could not be evaluated", extra={"input": ref, "attempts": attempts})
            if attempts < MAX_ATTEMPTS:
                retry[ref] = attempts
                return []
            retry.pop(ref, None)
            evidence = {"input": ref, "attempts": attempts, "error": f"{type(exc).__name__}: {exc}"[:500]}
            return self.engine.unevaluated(ref, now, getattr(item, "subject_id", None), evidence)
        retry.pop(ref, None)
        return out

    def _device_event(self, ev: DeviceEvent) -> list[Signal]:
        t = ev.time.timestamp()
        s = ev.subject_id
        if ev.kind == "power":
            self.engine.device(s, ev.data.get("state") == "on", t)
        elif ev.kind == "heartbeat":
            powered = ev.data.get("power", "on" if (self.engine.power_of(s) or (False, 0))[0] else "off") == "on"
            self.engine.device(s, powered, t)
        elif ev.kind == "scan":
            return self._scan(ev)
        elif ev.kind == "sos":
            lon, lat = (ev.location.x, ev.location.y) if ev.location else self._last_lonlat(s)
            return self.engine.sos(s, t, lon, lat, f"device:{ev.id}", extra={"device_data": ev.data})
        return []

    def _reported(self, rep: ReportedAlarm) -> list[Signal]:
        if rep.kind != "person" or rep.alarm_type != "0" or rep.deleted:
            return []
        lon, lat = self._last_lonlat(rep.subject_id) if rep.subject_id else (None, None)
        extra = {"reporter": rep.enterprise.company_code, "raw": rep.raw}
        return self.engine.sos(
            rep.subject_id,
            rep.alarm_time.timestamp(),
            lon,
            lat,
            f"reported:{rep.id}",
            enterprise=rep.enterprise_id,
            extra=extra,
        )

    def _last_lonlat(self, subject: int) -> tuple[float | None, float | None]:
        last = self.engine.last_fix(subject)
        return (last[3], last[4]) if last else (None, None)

    def _scan(self, ev: DeviceEvent) -> list[Signal]:
        """A scan: the machine's position at the scan (its latest fix within the hour before) and its district."""
        row = seams.fix_at(ev.subject_id, ev.time)
        machine = district = machine_acc = None
        if row:
            mx, my = self.plane.forward([row[0]], [row[1]])
            machine, district, machine_acc = (float(mx[0]), float(my[0])), row[2], row[3]
        phone = phone_lonlat = None
        if ev.location is not None:
            px, py = self.plane.forward([ev.location.x], [ev.location.y])
            phone, phone_lonlat = (float(px[0]), float(py[0])), (ev.location.x, ev.location.y)
        works = ev.data.get("decision", "allow") == "allow"
        phone_acc = (ev.data.get("phone") or {}).get("acc") if isinstance(ev.data.get("phone"), dict) else None
        out = self.engine.scan(
            Scan(
                ev.subject_id,
                ev.time.timestamp(),
                machine,
                phone,
                phone_lonlat,
                district,
                f"scan:{ev.id}",
                works=works,
                machine_accuracy_m=machine_acc,
                phone_accuracy_m=phone_acc if isinstance(phone_acc, (int, float)) else None,
            )
        )
        verdicts = self.engine.take_scan_verdicts()
        for _, verdict in verdicts:  # kept on the scan itself, an "uncertain" one included (seed 003: evidence)
            DeviceEvent.objects.filter(pk=ev.pk).update(data={**ev.data, "remote_scan": verdict})
        return out

    def _upkeep(self, now: float) -> list[Signal]:
        """The equipment upkeep states that hold (maintenance overdue, inspection overdue ...), once a minute."""
        if now - self.upkeep_at < UPKEEP_EVERY_S:
            return []
        self.upkeep_at = now
        concerns = [c for c in equipment_upkeep.concerns() if self.partition.owns(c.enterprise)]
        return self.engine.upkeep(concerns, now)

    def _feed_states(self) -> list[tuple[int | None, str, bool, float]]:
        return [
            (f.enterprise_id, f.feed, f.online, f.changed_at.timestamp())
            for f in FeedLiveness.objects.filter(enterprise__isnull=False)
            if self.partition.owns(f.enterprise_id)
        ]

    # --- write --------------------------------------------------------------------------------------------------

    def _commit(self, signals: list[Signal], now: float, snapshot: bool) -> None:
        if signals:
            with transaction.atomic():
                counts = self.writer.apply(signals)
            for k, v in counts.items():
                self.stats[k] += v
            if counts["raised"] or counts["ended"] or counts["suppressed"]:
                log.info("alarms written", extra=counts)
        if snapshot:
            self.save(background=self.background)

    def _state(self) -> tuple[bytes, dict]:
        """The engine's state and the input it has consumed, taken together after the alarms it produced are
        committed: replaying from these cursors reproduces everything after them."""
        self.cursors["batches"] = list(self.done)
        return pickle.dumps(self.engine, protocol=5), json.loads(json.dumps(self.cursors))

    def save(self, background: bool = False) -> None:
        """Save the state; in the background (a thread with its own connection) during the loop, so the write of a
        few megabytes never holds up an alarm."""
        state, cursors = self._state()
        self.last_snapshot = time.time()
        if background:
            self.saver.put(state, cursors)
        else:
            self.saver.flush()
            _write_snapshot(self.name, state, cursors)


def _faults():
    """Faults with what their alarm's evidence names: the device, its maintenance unit, the station sent."""
    return EquipmentFault.objects.select_related("equipment__maintenance_unit", "dispatch__station__unit")


def _fault(f: EquipmentFault, ended: bool = False) -> Fault:
    """An EquipmentFault row as the engine takes it: its start, or its end."""
    e = f.equipment
    info = {
        "id": e.id,
        "registry_code": e.registry_code,
        "name": e.name,
        "kind": e.kind,
        "using_unit": e.using_unit,
        "maintenance_unit": e.maintenance_unit.name if e.maintenance_unit else None,
        "address": e.address,
    }
    try:
        d = f.dispatch  # sent to the maintenance unit's nearest rescue station as it started (the ingest)
    except ObjectDoesNotExist:
        d = None
    if d is not None:
        s = d.station
        info["dispatch"] = {
            "station": s.name if s else None,
            "unit": s.unit.name if s else None,
            "phone": (s.phone or None) if s else None,
            "distance_m": round(d.distance_m, 1) if d.distance_m is not None else None,
            "arrived_at": d.arrived_at.isoformat() if d.arrived_at else None,
        }
    t = (f.ended_at if ended else f.started_at).timestamp()
    return Fault(f.id, e.id, f.code, t, ended, e.enterprise_id, e.location.x, e.location.y, info)


def _row(stamp: tuple, table: str) -> tuple:
    return next((r for r in stamp if r[0] == table), ())


def _write_snapshot(name: str, state: bytes, cursors: dict) -> None:
    EngineSnapshot.objects.update_or_create(
        name=name, defaults={"version": VERSION, "state": state, "cursors": cursors}
    )


class Saver:
    """Writes the newest pending snapshot in a thread; an older one still waiting is simply replaced."""

    def __init__(self, name: str):
        self.name = name
        self.pending: tuple[bytes, dict] | None = None
        self.cond = threading.Condition()
        self.busy = False
        self.thread: threading.Thread | None = None

    def put(self, state: bytes, cursors: dict) -> None:
        with self.cond:
            self.pending = (state, cursors)
            self.cond.notify()
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._run, name="alarm-snapshot", daemon=True)
            self.thread.start()

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until nothing is pending or being written (before a synchronous save, and at shutdown)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while (self.pending is not None or self.busy) and time.monotonic() < deadline:
                self.cond.wait(0.05)

    def _run(self) -> None:
        while True:
            with self.cond:
                while self.pending is None:
                    self.cond.wait()
                item, self.pending, self.busy = self.pending, None, True
            try:
                _write_snapshot(self.name, *item)
            except Exception:
                log.exception("saving the alarm engine state failed")
            finally:
                connection.close()
                with self.cond:
                    self.busy = False
                    self.cond.notify_all()
