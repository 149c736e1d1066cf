"""What ingest keeps besides positions: who may report, what was refused, device events, what enterprises raised
themselves, reporting liveness, and the durable outbox to the city bureau (ING-1 .. ING-7)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models

from geo_core.models.base import SRID


class ReportCredential(models.Model):
    """An enterprise's key for the report API (seed 002 item 2): issued, rotated and revoked by the park.

    The secret is needed to check HMAC signatures, so it is stored; it is shown once when issued."""

    enterprise = models.ForeignKey("geo_core.Enterprise", on_delete=models.CASCADE, related_name="credentials")
    app_id = models.CharField(max_length=32, unique=True)
    app_secret = models.CharField(max_length=64)
    active = models.BooleanField(default=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.app_id} ({self.enterprise.company_code})"


class ReportNonce(models.Model):
    """Nonces seen within the signature window; a second use of one is a replay."""

    app_id = models.CharField(max_length=32)
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app_id", "nonce"], name="nonce_once_per_app")]


# The raw bytes kept of one quarantined message (a 10 MB payload is evidence enough in its first 64 KiB).
QUARANTINE_RAW_MAX = 64 * 1024


def printable(text: str, limit: int) -> str:
    """Text PostgreSQL takes whatever it holds: NUL written as \\x00 and lone surrogates as \\udXXX escapes (a
    text column refuses both, and the refusal once killed the ingest worker on every redelivery)."""
    text = text[:limit].replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class Quarantine(models.Model):
    """Input that could not be used, kept with the reason (malformed MQTT payloads, unparsable records). `payload` is
    a readable copy; `raw` the bytes as received (up to QUARANTINE_RAW_MAX), so no payload can make the row fail."""

    source = models.CharField(max_length=16)  # mqtt, http, report_api
    channel = models.CharField(max_length=200, help_text="MQTT topic or HTTP path")
    payload = models.TextField()
    raw = models.BinaryField(null=True, blank=True, help_text="the bytes as received, at most 64 KiB")
    size = models.BigIntegerField(null=True, blank=True, help_text="bytes received")
    reason = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    @classmethod
    def of(cls, source: str, channel: str, payload: bytes | str, reason: str) -> Quarantine:
        """A row that stores whatever came: the readable copy with invalid UTF-8 and NUL escaped."""
        raw = payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else bytes(payload)
        readable = raw[:10000].decode("utf-8", "backslashreplace")
        return cls(
            source=source[:16],
            channel=printable(channel, 200)[:200],
            payload=printable(readable, 20000),
            raw=raw[:QUARANTINE_RAW_MAX],
            size=len(raw),
            reason=printable(str(reason), 2000),
        )

    def __str__(self) -> str:
        return f"{self.source} {self.channel}: {self.reason[:60]}"


class UnknownDevice(models.Model):
    """A device that reported but is not registered: recorded and reported, never silently dropped."""

    kind = models.CharField(max_length=16)  # welder_chip, camera, phone
    identifier = models.CharField(max_length=64)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)
    messages = models.PositiveIntegerField(default=1)
    last_payload = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "identifier"], name="unknown_device_once")]


class DeviceEvent(models.Model):
    """Device events other than positions: welder power on/off, heartbeat, scan-to-start, tamper; SOS buttons."""

    class Kind(models.TextChoices):
        POWER = "power", "通断电"
        HEARTBEAT = "heartbeat", "心跳"
        SCAN = "scan", "扫码开机"
        TAMPER = "tamper", "拆除/改装"
        SOS = "sos", "SOS 求救"

    subject = models.ForeignKey("geo_core.Subject", on_delete=models.CASCADE, related_name="device_events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    time = models.DateTimeField()
    data = models.JSONField(default=dict)
    location = models.PointField(srid=SRID, null=True, blank=True, help_text="scanning phone, in CGCS2000")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # (kind, time): the records lists (scans of a week across every machine in scope, newest first).
        indexes = [models.Index(fields=["subject", "kind", "-time"]), models.Index(fields=["kind", "-time"])]
        constraints = [models.UniqueConstraint(fields=["subject", "kind", "time"], name="device_event_once")]


class ReportedAlarm(models.Model):
    """A personnel (B.3) or zone (B.4) alarm raised by the enterprise's own system; stored, relayed, compared."""

    class Kind(models.TextChoices):
        PERSON = "person", "人员报警"
        ZONE = "zone", "区域报警"

    enterprise = models.ForeignKey("geo_core.Enterprise", on_delete=models.CASCADE, related_name="reported_alarms")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    external_id = models.CharField(max_length=64)
    alarm_type = models.CharField(max_length=2)
    subject = models.ForeignKey("geo_core.Subject", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    zone = models.ForeignKey("geo_core.Zone", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    alarm_time = models.DateTimeField()
    alarm_end_time = models.DateTimeField(null=True, blank=True)
    describe = models.TextField(blank=True)
    deleted = models.BooleanField(default=False)
    raw = models.JSONField()
    received_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "kind", "external_id"], name="reported_alarm_once")
        ]


class ReportedGathering(models.Model):
    """A gathering (B.5) raised by the enterprise's system: who, where (converted to CGCS2000), how long."""

    enterprise = models.ForeignKey("geo_core.Enterprise", on_delete=models.CASCADE, related_name="reported_gatherings")
    time = models.DateTimeField()
    last_time = models.CharField(max_length=32, blank=True, help_text="ALARM_LAST_TIME as reported")
    members = models.JSONField(help_text="[{name, person_type, person_id, lon, lat}]")
    centre = models.PointField(srid=SRID)
    raw = models.JSONField()
    received_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enterprise", "time"], name="reported_gathering_once")]


class PermitAttachment(models.Model):
    """A video link or attachment of a permit (seed 002: 特殊作业和视频关联数据, 特殊作业附件数据)."""

    permit = models.ForeignKey("geo_core.WorkPermit", on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=12)  # video, attachment
    name = models.CharField(max_length=200, blank=True)
    url = models.CharField(max_length=1000)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["permit", "kind", "url"], name="permit_attachment_once")]


class FeedLiveness(models.Model):
    """Per enterprise (or device fleet) and feed: when data last came and whether the feed is online (ING-6)."""

    class Feed(models.TextChoices):
        POSITIONS = "positions", "人员定位"
        PERMITS = "permits", "作业许可"
        ALARMS = "alarms", "报警"
        PERSONNEL = "personnel", "人员信息"
        WELDERS = "welders", "焊机"

    enterprise = models.ForeignKey(
        "geo_core.Enterprise", null=True, blank=True, on_delete=models.CASCADE, related_name="feeds"
    )
    feed = models.CharField(max_length=16, choices=Feed.choices)
    last_received_at = models.DateTimeField()
    online = models.BooleanField(default=True)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "feed"], name="liveness_once", nulls_distinct=False)
        ]


class FeedStateChange(models.Model):
    liveness = models.ForeignKey(FeedLiveness, on_delete=models.CASCADE, related_name="changes")
    online = models.BooleanField()
    at = models.DateTimeField()
    silent_seconds = models.FloatField(help_text="how long the feed had been silent when it went offline")

    class Meta:
        ordering = ["-at"]


class RelayOutbox(models.Model):
    """Records and alarms that must reach the city emergency bureau, written in the transaction that accepted them
    and forwarded at least once (ING-7). A row is done when delivered, dead after too many attempts."""

    topic = models.CharField(max_length=64, help_text="personnel, positions, permits, alarms ...")
    company_code = models.CharField(max_length=64, blank=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    dead = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(delivered_at__isnull=True, dead=False),
                name="outbox_pending",
            )
        ]


class DeviceVendor(models.Model):
    """A chip or device vendor's platform that reports for its devices (seed 003: 芯片中控平台): one secret, kept
    only as hashes, for both ways in. Over MQTT it is the broker user `code` (its password hash as Mosquitto's own
    password file wants it), allowed by the broker's ACL to publish only its own devices' topics; over HTTP it is
    the bearer token of the device fallback, accepted only for its own devices."""

    code = models.SlugField(max_length=32, unique=True, help_text="the broker user name")
    name = models.CharField(max_length=128)
    token_digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret (HTTP bearer)")
    mqtt_hash = models.CharField(max_length=200, help_text="PBKDF2-SHA512 of the secret in Mosquitto's $7$ form")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class SyncCursor(models.Model):
    """Where a pull from another platform stands (the city IoT platform's readings: geo_core.ingest.city_iot): the
    platform's own cursor, saved after each page is stored, so a restart goes on from there and a page read twice
    changes nothing (readings are idempotent by device and time)."""

    name = models.CharField(max_length=32, primary_key=True)
    cursor = models.CharField(max_length=256, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    pulled = models.BigIntegerField(default=0, help_text="items pulled in all")
