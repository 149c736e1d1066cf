"""When a time window (one-off period or iCalendar RRULE recurrence) is in force.

Recurrences are expanded in park-local time (Asia/Shanghai): "night hours 22:00-06:00" means local nights.
dateutil's rrule does the RFC 5545 work.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from dateutil.rrule import rrulestr
from django.core.exceptions import ValidationError

from geo_core.partitions import PARK_TZ

if TYPE_CHECKING:
    from collections.abc import Iterable

    from geo_core.models import TimeWindow


def _rule(window: TimeWindow):
    start = window.starts_at.astimezone(PARK_TZ)
    return rrulestr(window.rrule, dtstart=start, cache=True)


def validate_window(window: TimeWindow) -> None:
    if window.kind == "recurring":
        if not window.rrule:
            raise ValidationError({"rrule": "a recurring window needs an RRULE"})
        if window.rrule.upper().startswith("RRULE:") or "DTSTART" in window.rrule.upper():
            raise ValidationError({"rrule": "give only the rule body (FREQ=...); the start is starts_at"})
        try:
            _rule(window)
        except (ValueError, TypeError) as exc:
            raise ValidationError({"rrule": f"not a valid iCalendar RRULE: {exc}"}) from None
        if window.duration is None or window.duration.total_seconds() <= 0:
            raise ValidationError({"duration": "a recurring window needs a positive duration"})
    elif window.kind == "period" and (window.ends_at is None or window.ends_at <= window.starts_at):
        raise ValidationError({"ends_at": "a period needs an end after its start"})


def window_contains(window: TimeWindow, when: datetime) -> bool:
    if window.kind == "period":
        return window.starts_at <= when < window.ends_at
    last_start = _rule(window).before(when.astimezone(PARK_TZ), inc=True)
    return last_start is not None and when < last_start + window.duration


def zone_in_force(mode: str, windows: Iterable[TimeWindow], when: datetime) -> bool:
    """Apply a zone's window_mode: always, only inside its windows, or only outside them."""
    if mode == "always":
        return True
    inside = any(window_contains(w, when) for w in windows)
    return inside if mode == "inside" else not inside
