"""Alarm partitions: the same answer in every process, a park's enterprises together, every subject in one."""

from __future__ import annotations

import subprocess
import sys

from alarms.partitioning import Partition, key_of, partition_of


def test_the_partition_of_a_key_is_the_same_in_another_process():
    keys = [key_of(e, p) for e, p in [(1, None), (2, 7), (3, None), (None, None)]]
    here = [partition_of(k, 4) for k in keys]
    code = f"from alarms.partitioning import partition_of; print([partition_of(k, 4) for k in {keys!r}])"
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert there.strip() == str(here)


def test_enterprises_of_one_park_share_a_partition_and_each_subject_has_exactly_one():
    parks = {e: (e % 5 if e % 3 else None) for e in range(1, 200)}
    parts = [Partition(i, 4, parks) for i in range(4)]
    for e in [*parks, None]:
        assert sum(p.owns(e) for p in parts) == 1
    for park in range(5):
        members = [e for e, p in parks.items() if p == park]
        assert len({next(i for i, p in enumerate(parts) if p.owns(e)) for e in members}) == 1
    used = {next(i for i, p in enumerate(parts) if p.owns(e)) for e in parks}
    assert used == {0, 1, 2, 3}  # the keys spread over every partition


def test_an_authoritys_zones_are_in_every_partition_and_one_partition_is_the_whole():
    parks = {e: None for e in range(1, 50)}
    parts = [Partition(i, 3, parks) for i in range(3)]
    assert all(p.shares(None) for p in parts)
    unowned = next(p for p in parts if p.owns(None))  # devices of no enterprise may enter any enterprise's zone
    assert all(unowned.shares(e) for e in parks)
    for p in parts:
        if p is not unowned:
            assert all(p.shares(e) == p.owns(e) for e in parks)
    assert Partition().owns(12345)
    assert Partition().knows(12345)
