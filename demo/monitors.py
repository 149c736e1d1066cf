"""The demo's special-equipment monitors (seed 001): elevators going floor to floor with their doors, runs and running
hours; boilers and pressure vessels holding their pressure and temperature under their limits; and a few faults an
hour (a stop outside the door zone, a door-lock fault, now and then trapped passengers or a pressure that passes its
limit) that clear after some minutes, as a maintenance unit would clear them. Pure: readings as dicts, published by
the simulator on `equipment/{registry_code}/reading`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LIFT_FAULTS = ["stop_out_of_zone", "door_lock", "trapped", "safety_circuit", "overload"]
LIFT_WEIGHTS = [0.35, 0.25, 0.2, 0.1, 0.1]
STOPPING = ("trapped", "stop_out_of_zone", "safety_circuit")  # faults that hold a lift where it is
FAULT_MINUTES = (3.0, 12.0)  # how long a fault lasts before it is cleared
PRESSURE = ("boiler", "pressure_vessel", "pressure_piping")


@dataclass
class Device:
    code: str
    kind: str
    floors: int = 1
    pressure_max: float = 1.6
    floor: int = 1
    target: int = 1
    door_open_s: float = 0.0
    runs: int = 0
    running_h: float = 0.0
    pressure: float = 0.8
    temperature: float = 150.0
    fault: str | None = None
    fault_left_s: float = 0.0
    extra: dict = field(default_factory=dict)


class Monitors:
    def __init__(self, seed: int, devices: list[Device], faults_per_hour: float = 4.0) -> None:
        self.rng = np.random.default_rng([seed, 27])
        self.devices = devices
        self.faults_per_hour = faults_per_hour
        for d in devices:
            d.runs = int(self.rng.integers(10_000, 400_000))
            d.running_h = float(self.rng.uniform(1_000, 40_000))
            d.floor = d.target = int(self.rng.integers(1, d.floors + 1))
            d.pressure = d.pressure_max * float(self.rng.uniform(0.55, 0.75))

    def step(self, dt: float) -> None:
        """Move every device on by `dt` seconds; start a fault now and then, clear those whose time has come."""
        for d in self.devices:
            if d.fault:
                d.fault_left_s -= dt
                if d.fault_left_s <= 0:
                    d.fault = None
            if d.kind == "elevator" and d.fault not in STOPPING:
                self._lift(d, dt)
            elif d.kind in PRESSURE and d.fault == "overpressure":
                d.pressure = d.pressure_max * 1.08  # held above the limit until the fault is cleared
            elif d.kind in PRESSURE:
                walk = d.pressure + self.rng.normal(0, 0.005 * d.pressure_max)
                d.pressure = float(np.clip(walk, 0.1, 2 * d.pressure_max))
                d.temperature = float(np.clip(d.temperature + self.rng.normal(0, 0.5), 20, 400))
                if d.fault is None and d.pressure > d.pressure_max:
                    d.pressure = d.pressure_max * 0.7  # the safety valve: back under the limit
        if self.devices and self.rng.random() < self.faults_per_hour * dt / 3600.0:
            self._fault(self.devices[int(self.rng.integers(len(self.devices)))])

    def _lift(self, d: Device, dt: float) -> None:
        if d.door_open_s > 0:
            d.door_open_s -= dt
            return
        if d.floor == d.target:
            d.door_open_s = float(self.rng.uniform(4, 12))
            d.target = int(self.rng.integers(1, d.floors + 1))
            d.runs += 1
            return
        d.floor += 1 if d.target > d.floor else -1  # about one floor a second or two
        d.running_h += dt / 3600.0

    def _fault(self, d: Device) -> None:
        if d.fault:
            return
        if d.kind == "elevator":
            d.fault = str(self.rng.choice(LIFT_FAULTS, p=LIFT_WEIGHTS))
        elif d.kind in PRESSURE:
            d.fault = "overpressure"
            d.pressure = d.pressure_max * 1.08  # the service sees the limit passed
        else:
            d.fault = "other"
        d.fault_left_s = 60.0 * float(self.rng.uniform(*FAULT_MINUTES))

    def reading(self, d: Device, ts_ms: int) -> dict:
        out: dict = {"ts": ts_ms}
        if d.kind == "elevator":
            moving = d.floor != d.target and d.door_open_s <= 0 and d.fault not in STOPPING
            out |= {
                "floor": d.floor,
                "direction": ("up" if d.target > d.floor else "down") if moving else "stop",
                "door": "open" if d.door_open_s > 0 else "closed",
                "runs": d.runs,
                "running_h": round(d.running_h, 2),
                "speed_mps": 1.5 if moving else 0.0,
            }
        elif d.kind in PRESSURE:
            out |= {"pressure_mpa": round(d.pressure, 3), "temperature_c": round(d.temperature, 1)}
        faults = [d.fault] if d.fault and d.fault != "overpressure" else []  # overpressure: the service derives it
        return out | {"faults": faults}
