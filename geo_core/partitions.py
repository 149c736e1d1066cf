"""Day partitions of the position history (geo_core_positionfix), on Asia/Shanghai days.

Partitions are created ahead of time (GEO_PARTITION_DAYS_AHEAD) so no write ever waits on DDL, and behind
today (GEO_PARTITION_DAYS_BEHIND) for late uploads. The SQL function geo_core_ensure_position_partition
(migration 0002) takes an advisory lock, so several workers may call this at once.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections

PARENT = "geo_core_positionfix"
PARK_TZ = ZoneInfo("Asia/Shanghai")
log = logging.getLogger(__name__)


def partition_name(day: date) -> str:
    return f"{PARENT}_p{day:%Y%m%d}"


def local_day(moment: datetime) -> date:
    """The partition day a timestamp falls in."""
    return moment.astimezone(PARK_TZ).date()


def ensure_partitions(first: date, last: date, using: str = "default") -> list[str]:
    """Create the partitions for every day from `first` to `last` inclusive that do not exist yet."""
    if last < first:
        raise ValueError(f"last day {last} is before first day {first}")
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    with connections[using].cursor() as cur:
        cur.execute("SELECT geo_core_ensure_position_partition(d::date) FROM unnest(%s::date[]) AS d", [days])
        names = [row[0] for row in cur.fetchall()]
    return names


def existing_partitions(using: str = "default") -> list[date]:
    with connections[using].cursor() as cur:
        cur.execute(
            """
            SELECT c.relname FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_class p ON p.oid = i.inhparent
            WHERE p.relname = %s ORDER BY c.relname
            """,
            [PARENT],
        )
        return [datetime.strptime(name[-8:], "%Y%m%d").date() for (name,) in cur.fetchall()]


def drop_before(day: date, using: str = "default") -> list[str]:
    """Drop the day partitions older than `day` (retention; GEO_RETENTION_DAYS, default 24 months)."""
    dropped = []
    with connections[using].cursor() as cur:
        for old in existing_partitions(using):
            if old < day:
                cur.execute(f'DROP TABLE IF EXISTS "{partition_name(old)}"')
                dropped.append(partition_name(old))
    return dropped


def ensure_around(today: date | None = None, using: str = "default") -> list[str]:
    cfg = settings.CONFIG
    today = today or local_day(datetime.now(PARK_TZ))
    return ensure_partitions(
        today - timedelta(days=cfg.partition_days_behind), today + timedelta(days=cfg.partition_days_ahead), using
    )


def ensure_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate hook: a freshly migrated database can take positions at once."""
    with connections[using].cursor() as cur:
        cur.execute("SELECT to_regproc('geo_core_ensure_position_partition') IS NOT NULL")
        if not cur.fetchone()[0]:
            return  # migrated backwards past 0002
    names = ensure_around(using=using)
    log.info("position partitions ready", extra={"first": names[0], "last": names[-1], "count": len(names)})
