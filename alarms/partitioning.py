"""Which alarm worker evaluates which subjects (issue 16, part 3): the engine's state is split into `count`
partitions keyed by park (an enterprise in a park goes with its park, so a park's zones, gatherings and permits are
evaluated in one place), or by the enterprise itself when it is in no park (welders of district enterprises).

What one partition cannot see: a zone's occupancy (capacity, under-staffing, gatherings) counts the subjects of the
partition that evaluates it, so with more than one partition the devices of no enterprise are not counted together
with an enterprise's people in that enterprise's zones. One partition (the default) sees everything.

Pure: a stable hash of the key, the same in every process and every run (Python's hash() is salted per process).
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass, field


def key_of(enterprise_id: int | None, park_id: int | None) -> str:
    if park_id is not None:
        return f"park:{park_id}"
    if enterprise_id is not None:
        return f"enterprise:{enterprise_id}"
    return "none"  # subjects of no enterprise (provisional ones before they are matched)


@functools.lru_cache(maxsize=65536)
def partition_of(key: str, count: int) -> int:
    return zlib.crc32(key.encode()) % count if count > 1 else 0


@dataclass
class Partition:
    """Partition `index` of `count`; `parks` maps each enterprise to its park (None: in no park), refreshed by the
    worker when it meets an enterprise it does not know."""

    index: int = 0
    count: int = 1
    parks: dict[int, int | None] = field(default_factory=dict)

    @property
    def whole(self) -> bool:
        return self.count <= 1

    @property
    def label(self) -> str:
        return f"{self.index + 1}/{self.count}"

    def knows(self, enterprise_id: int | None) -> bool:
        return self.whole or enterprise_id is None or enterprise_id in self.parks

    def owns(self, enterprise_id: int | None) -> bool:
        """Whether this partition evaluates the subjects, permits, rules and feeds of `enterprise_id`."""
        if self.whole:
            return True
        return partition_of(key_of(enterprise_id, self.parks.get(enterprise_id)), self.count) == self.index

    def shares(self, enterprise_id: int | None) -> bool:
        """Whether this partition holds the zones and rules of `enterprise_id`: those of no enterprise (an
        authority's) are in every partition; the partition of the subjects of no enterprise (a park's body cameras,
        the province's welding machines, which may go anywhere) holds every zone and rule."""
        return enterprise_id is None or self.owns(enterprise_id) or self.owns(None)
