"""Typed keys of the engine's state, instead of strings taken apart where they are used.

A `FenceKey` names a fence the tracker follows: a zone's (`z12`) or a permit's work area (`p5`). It is a `str` (the
same text, hash and pickle as before, so saved engine state and alarm keys stay as they were) that knows what it
names. An `AlarmKey` is an alarm's de-duplication key: its parts joined by `:` (rule, subject, visit, time ...),
deterministic from the data so that a replay after a restart names the same alarm.
"""

from __future__ import annotations


class FenceKey(str):
    __slots__ = ()

    @classmethod
    def zone(cls, zone_id: int) -> FenceKey:
        return cls(f"z{zone_id}")

    @classmethod
    def permit(cls, permit_id: int) -> FenceKey:
        return cls(f"p{permit_id}")

    @property
    def is_zone(self) -> bool:
        return self[0] == "z"

    @property
    def ident(self) -> int:
        return int(self[1:])

    @property
    def zone_id(self) -> int | None:
        return int(self[1:]) if self[0] == "z" else None

    @property
    def permit_id(self) -> int | None:
        return int(self[1:]) if self[0] == "p" else None


class AlarmKey(str):
    __slots__ = ()

    @classmethod
    def of(cls, *parts: object) -> AlarmKey:
        return cls(":".join(str(p) for p in parts))

    @property
    def parts(self) -> list[str]:
        return self.split(":")
