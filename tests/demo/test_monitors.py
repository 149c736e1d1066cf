"""The demo's equipment monitors: elevators stay within their floors and count their runs, a fault holds a lift where
it stopped and clears after minutes, pressure stays under the limit except while an overpressure fault is staged."""

from __future__ import annotations

from demo.monitors import Device, Monitors


def test_lifts_move_within_their_floors_and_faults_come_and_clear():
    lifts = [Device(f"L{k}", "elevator", floors=12) for k in range(20)]
    boilers = [Device(f"B{k}", "boiler", pressure_max=1.25) for k in range(10)]
    m = Monitors(7, lifts + boilers, faults_per_hour=600.0)  # many faults, to see them
    runs = sum(d.runs for d in lifts)
    floors, faults, over_without_fault = set(), set(), 0
    for _ in range(3600):
        m.step(1.0)
        for d in lifts:
            r = m.reading(d, 0)
            floors.add(r["floor"])
            faults.update(r["faults"])
            if d.fault == "trapped":
                assert r["direction"] == "stop"
        for d in boilers:
            r = m.reading(d, 0)
            over_without_fault += r["pressure_mpa"] > 1.25 and d.fault != "overpressure"
    assert floors <= set(range(1, 13))
    assert len(floors) > 6
    assert sum(d.runs for d in lifts) > runs + 100
    assert "trapped" in faults
    assert over_without_fault == 0
    assert any(d.fault is None for d in lifts)  # faults clear
