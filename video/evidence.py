"""What the video room adds to an alarm when it is raised (VID-2): the channels offered for its place, best first, so
that the record says which cameras the duty officer was shown, whatever is moved or re-aimed later. Only channels
the alarm's own enterprise may see (its own and the park's): the evidence is read by everyone who may read the
alarm, and must not name another enterprise's camera."""

from __future__ import annotations

from geo_core.scope import Scope
from video.linkage import cameras_at

OFFERED = 4


def offer_channels(alarms: list) -> None:
    """Called by alarms.store for the alarms about to be written (alarms.store.EVIDENCE)."""
    for a in alarms:
        if a.location is None:
            continue
        scope = Scope(enterprises=frozenset({a.enterprise_id} if a.enterprise_id else ()))
        offered = cameras_at(a.location.x, a.location.y, scope, a.subject_id, limit=OFFERED)
        if offered:
            a.evidence = {**a.evidence, "video": [{k: c[k] for k in ("code", "name", "why")} for c in offered]}
