"""Answers kept a while: computed once per key however many ask at once, and again once they are stale."""

from __future__ import annotations

import threading
import time

from geo_core.ttl import TtlCache


def test_callers_at_once_share_one_computation_and_a_stale_answer_is_computed_again():
    cache: TtlCache[int] = TtlCache(0.3)
    calls = []

    def compute() -> int:
        calls.append(1)
        time.sleep(0.1)
        return len(calls)

    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get("k", compute))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [1] * 8
    assert cache.get("other", compute) == 2  # keys apart
    time.sleep(0.35)
    assert cache.get("k", compute) == 3


def test_the_oldest_answers_go_first_when_it_is_full():
    cache: TtlCache[str] = TtlCache(60, max_entries=2)
    for k in ("a", "b", "c"):
        cache.get(k, lambda k=k: k)
    assert cache.get("a", lambda: "again") == "again"
    assert cache.get("c", lambda: "again") == "c"
