"""Parsing of single record fields, with errors that name the record and the field (ING-5).

A RecordError is about one record: the batch goes on with the others. Reports list them as
{"index": i, "field": name, "reason": why}.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

MAX_FUTURE = timedelta(minutes=5)
EPOCH_MS_MIN = 946_684_800_000  # 2000-01-01: smaller numbers are not epoch milliseconds
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # no record of this service's kind is older
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_DEPTH = 8  # objects and lists inside a record (B.5's ALARM_AREA members are at depth 2)
DIGITS = re.compile(r"[0-9]+")


class RecordError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


@dataclass
class Rejection:
    index: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"index": self.index, "field": self.field, "reason": self.reason}


def _given(record: dict, field: str, optional: bool) -> Any:
    """The field's value, or None when it is absent or empty and may be; absent and required is an error."""
    value = record.get(field)
    if value is None or value == "":
        if optional:
            return None
        raise RecordError(field, "is required")
    return value


SURROGATE = re.compile("[\ud800-\udfff]")


def check_shape(record: object, depth: int = 0, path: str = "") -> None:
    """Any record, before its fields are read: nesting no deeper than MAX_DEPTH, no NUL character in any text
    (PostgreSQL stores none; a NUL would abort the whole batch's transaction), keys are text."""
    if depth > MAX_DEPTH:
        raise RecordError(path or "record", f"is nested more than {MAX_DEPTH} levels deep")
    if isinstance(record, str):
        if "\x00" in record:
            raise RecordError(path or "record", "contains a NUL character")
        if SURROGATE.search(record):
            raise RecordError(path or "record", "contains an unpaired surrogate escape (\\ud800-\\udfff): not text")
    elif isinstance(record, dict):
        for k, v in record.items():
            name = f"{path}.{k}" if path else str(k)
            if "\x00" in str(k) or SURROGATE.search(str(k)):
                raise RecordError(path or "record", "a field name contains a NUL or an unpaired surrogate")
            check_shape(v, depth + 1, name)
    elif isinstance(record, list):
        for k, v in enumerate(record):
            check_shape(v, depth + 1, f"{path}[{k}]")


def required(record: dict, field: str) -> Any:
    return _given(record, field, optional=False)


def text(record: dict, field: str, *, max_length: int = 200, optional: bool = False) -> str:
    value = _given(record, field, optional)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RecordError(field, f"must be a string, not {type(value).__name__}")
    value = str(value).strip()
    if "\x00" in value:
        raise RecordError(field, "contains a NUL character")
    if len(value) > max_length:
        raise RecordError(field, f"is {len(value)} characters long, at most {max_length}")
    return value


def number(
    record: dict, field: str, *, optional: bool = False, lo: float | None = None, hi: float | None = None
) -> float | None:
    value = _given(record, field, optional)
    if value is None:
        return None
    if isinstance(value, bool):
        raise RecordError(field, "must be a number, not true/false")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise RecordError(field, f"{value!r} is not a number") from None
    if out != out or out in (float("inf"), float("-inf")):
        raise RecordError(field, "must be a finite number")
    if (lo is not None and out < lo) or (hi is not None and out > hi):
        raise RecordError(field, f"{out} is out of range [{lo}, {hi}]")
    return out


def whole(record: dict, field: str, *, optional: bool = False, lo: int, hi: int) -> int | None:
    """A whole number in [lo, hi] (a floor: 1.5 is no floor, whatever a JSON number allows)."""
    value = number(record, field, optional=optional, lo=lo, hi=hi)
    if value is None:
        return None
    if value != int(value):
        raise RecordError(field, f"{value} is not a whole number")
    return int(value)


# Links the service keeps and pages open: a javascript:, data: or file: URL would run or read in a supervisor's browser.
WEB_SCHEMES = frozenset({"http", "https"})
VIDEO_SCHEMES = WEB_SCHEMES | {"rtsp", "rtmp"}  # the video platforms' own streams (played through the gateway)


def link(record: dict, field: str, name: str, schemes: frozenset[str]) -> str:
    """A URL of one of `schemes`, with a host, no white space or control characters, at most 1000 characters."""
    from urllib.parse import urlsplit

    value = record.get(field)
    if not isinstance(value, str):
        raise RecordError(name, "must be a URL text")
    value = value.strip()
    if len(value) > 1000 or any(c.isspace() or ord(c) < 32 for c in value):
        raise RecordError(name, "must be one URL of at most 1000 characters, without spaces")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise RecordError(name, f"{value[:60]!r} is not a URL") from None
    if parts.scheme.lower() not in schemes or not parts.netloc:
        raise RecordError(name, f"{value[:60]!r} is not a {'/'.join(sorted(schemes))} URL with a host")
    return value


HEIGHT_RANGE = (-500.0, 10_000.0)  # metres: a mine's depth to above any tower; 1e308 is no height


def choice(
    record: dict, field: str, allowed: dict[str, str] | set[str], *, optional: bool = False, default: str | None = None
) -> str:
    value = _given(record, field, optional or default is not None)
    if value is None:
        return default or ""
    value = str(value).strip()
    if value not in allowed:
        raise RecordError(field, f"{value!r} is not one of {sorted(allowed)}")
    return value


def flag(record: dict, field: str, default: bool = False) -> bool:
    """AQ 3064 0/1 flags such as DELETED."""
    value = record.get(field)
    if value is None or value == "":
        return default
    if str(value) in ("0", "1"):
        return str(value) == "1"
    if isinstance(value, bool):
        return value
    raise RecordError(field, f"{value!r} is not 0 or 1")


def timestamp(
    record: dict, field: str, *, now: datetime | None = None, optional: bool = False, planned: bool = False
) -> datetime | None:
    """ISO 8601 with an offset, or epoch milliseconds. Times of events (not `planned` ones) may be at most 5 minutes
    in the future: more is a device or server clock out of step."""
    value = _given(record, field, optional)
    if value is None:
        return None
    if isinstance(value, bool):
        raise RecordError(field, "must be a time, not true/false")
    if isinstance(value, (int, float)) or (isinstance(value, str) and DIGITS.fullmatch(value.strip())):
        ms = float(value)
        if not EPOCH_MS_MIN <= ms < LATEST.timestamp() * 1000:
            raise RecordError(field, f"{value!r} is not epoch milliseconds between 2000 and 2100")
        when = datetime.fromtimestamp(ms / 1000.0, tz=UTC)
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            raise RecordError(field, f"{value!r} is neither ISO 8601 nor epoch milliseconds") from None
        if when.tzinfo is None:
            raise RecordError(field, f"{value!r} has no UTC offset; write e.g. 2026-11-21T09:00:00+08:00")
        if not EARLIEST <= when < LATEST:
            raise RecordError(field, f"{value!r} is not between 2000 and 2100")
    else:
        raise RecordError(field, f"must be a time, not {type(value).__name__}")
    now = now or datetime.now(UTC)
    if not planned and when - now > MAX_FUTURE:
        raise RecordError(
            field,
            f"{when.isoformat()} is {(when - now).total_seconds():.0f} s in the future (clock skew over 5 minutes)",
        )
    return when.astimezone(UTC)


def text_list(record: dict, field: str, *, max_length: int = 64, max_items: int = 1000) -> list[str]:
    """A list of ids (AQ 3064.2 WORKER_IDS): a JSON list, or one comma-separated text; never a text's letters."""
    value = record.get(field)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list):
        raise RecordError(field, f"must be a list of ids or a comma-separated text, not {type(value).__name__}")
    if len(value) > max_items:
        raise RecordError(field, f"has {len(value)} ids, at most {max_items}")
    return [text({field: v}, field, max_length=max_length) for v in value]


def day(record: dict, field: str, *, optional: bool = False) -> date | None:
    """A calendar day, YYYY-MM-DD (validity dates, filing days), between 2000 and 2100."""
    value = _given(record, field, optional)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(field, f"must be a date YYYY-MM-DD, not {type(value).__name__}")
    try:
        out = date.fromisoformat(value.strip())
    except ValueError:
        raise RecordError(field, f"{value!r} is not a date YYYY-MM-DD") from None
    if not EARLIEST.date() <= out < LATEST.date():
        raise RecordError(field, f"{value!r} is not between 2000 and 2100")
    return out


def identity(record: dict, field: str, *, optional: bool = False) -> tuple[str, str] | None:
    """An ID number as personal data is kept: a masked form to show and a hash to match on, never the number."""
    number = text(record, field, max_length=32, optional=optional)
    if not number:
        return None
    return number[:4] + "*" * max(0, len(number) - 8) + number[-4:], hashlib.sha256(number.encode()).hexdigest()


def credit_code(record: dict, field: str, *, optional: bool = False) -> str:
    """A unified social credit code (GB 32100), check character verified."""
    from django.core.exceptions import ValidationError

    from geo_core.validation import validate_credit_code

    code = text(record, field, max_length=18, optional=optional).upper()
    if code:
        try:
            validate_credit_code(code)
        except ValidationError as exc:
            raise RecordError(field, exc.messages[0]) from None
    return code
