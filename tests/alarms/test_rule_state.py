"""The rule types own their state (issue 25): the register is a leaf, each type that remembers something between
inputs declares a factory for it, the engine keeps one per type and saves it with its own; keys are typed."""

from __future__ import annotations

import pickle

import numpy as np

from alarms.catalogue import TYPES
from alarms.engine import Engine, RuleSpec
from alarms.keys import AlarmKey, FenceKey
from alarms.rules.person import Stillness
from tests.alarms.scenes import engine, kinds, line, run, track

STILL = RuleSpec(3, "stationary", params={"limit_s": 120, "radius_m": 3}, zones=frozenset({2}))


def test_the_types_with_memory_declare_it_and_the_engine_declares_none_of_it():
    assert {name for name, t in TYPES.items() if t.state} == {
        "stationary",
        "gathering",
        "mobile_welder",
        "equipment_fault",
    }
    fields = set(vars(Engine()))
    assert not fields & {"anchors", "still_fences", "still_radius", "work", "groups", "last_gathering"}


def test_the_stationary_type_keeps_its_anchors_in_its_own_state_across_a_restart():
    e = engine([STILL])
    still = [(350 + np.sin(k) * 0.5, 50) for k in range(60)]
    assert run(e, track(1, 0, line((280, 50), (350, 50), 20) + still)) == []
    st = e.state("stationary")
    assert isinstance(st, Stillness)
    assert st.fences == {"z2"}
    assert 1 in st.anchors
    revived = pickle.loads(pickle.dumps(e))
    assert revived.state("stationary").anchors == st.anchors
    revived.configure(list(e.zones.values()), [], [STILL], e.subjects)
    assert kinds(run(revived, track(1, 80, [(350, 50)] * 120))) == [("raise", "stationary")]


def test_an_engine_saved_before_the_types_owned_their_state_comes_back_with_it():
    e = engine([STILL])
    run(e, track(1, 0, line((280, 50), (350, 50), 20) + [(350, 50)] * 30))
    old = e.__getstate__()
    old["anchors"] = old.pop("states")["stationary"].anchors  # as an engine of before issue 25 saved it
    old["work"] = {7: "work starts"}
    revived = Engine.__new__(Engine)
    revived.__setstate__(old)
    assert revived.state("stationary").anchors == e.state("stationary").anchors
    assert revived.state("mobile_welder") == {7: "work starts"}


def test_fence_and_alarm_keys_are_typed_and_stay_the_text_they_were():
    z, p = FenceKey.zone(12), FenceKey.permit(5)
    assert (z, p) == ("z12", "p5")
    assert (z.is_zone, z.zone_id, z.permit_id, p.is_zone, p.permit_id) == (True, 12, None, False, 5)
    assert FenceKey("z12") in {"z12": 1}  # the same hash as the plain text saved engines carry
    assert pickle.loads(pickle.dumps(z)) == "z12"
    k = AlarmKey.of(3, 42, "z12-7")
    assert k == "3:42:z12-7"
    assert k.parts == ["3", "42", "z12-7"]
