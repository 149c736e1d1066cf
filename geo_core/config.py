"""Typed configuration read once from the environment.

Unknown GEO_* variables and malformed values fail at start-up with a message naming the variable, so a typo
never silently falls back to a default (the habit of tipg's settings and Martin's unrecognised-key check).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from urllib.parse import urlsplit

from coord_transform import sh2000


class ConfigError(ValueError):
    """A configuration variable is missing, malformed or unknown."""


def _number(name: str, default: float, lo: float, hi: float, kind: type = float):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected {'a whole number' if kind is int else 'a number'}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name}={value}: expected {lo}..{hi}")
    return value


def _int(name: str, default: int, lo: int, hi: int) -> int:
    return _number(name, default, lo, hi, int)


def _float(name: str, default: float, lo: float, hi: float) -> float:
    return _number(name, default, lo, hi, float)


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r}: expected true/false")


@dataclass(frozen=True)
class MqttEndpoint:
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> MqttEndpoint:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "tcp"):
            raise ConfigError(f"MQTT_URL={url!r}: expected mqtt://host:port")
        if not parts.hostname:
            raise ConfigError(f"MQTT_URL={url!r}: no host")
        return cls(parts.hostname, parts.port or 1883, parts.username, parts.password)


@dataclass(frozen=True)
class Config:
    database_url: str
    mqtt: MqttEndpoint
    debug: bool = False
    # Test users' passwords hashed cheaply (MD5): set by tests/conftest.py for the servers the tests start, never in a
    # deployment (PBKDF2's 1,000,000 rounds cost 0.5-0.7 s a user created or signed in, minutes over the suite).
    fast_password_hasher: bool = False
    secret_key: str = field(default="dev-only-not-secret", repr=False)
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]", "testserver")
    log_level: str = "INFO"
    http_port: int = 8000
    # Day partitions of the position history kept ready ahead of and behind today.
    partition_days_ahead: int = 7
    partition_days_behind: int = 2
    demo_seed: int = 20261121
    sh2000_definition: str = "announced"
    # Bounds a Shanghai 2000 calibration must meet to be stored (metres).
    calibration_max_rms_m: float = 0.05
    calibration_max_residual_m: float = 0.10
    transform_max_points: int = 1_000_000
    # Reporting liveness (ING-6): seconds without data before a feed counts as offline.
    offline_after_positions_s: float = 30.0
    offline_after_welders_s: float = 120.0
    offline_after_other_s: float = 3600.0
    # Relay to the city emergency bureau (ING-7): http(s)://... or mqtt://host:port/topic; empty = off.
    relay_url: str = ""
    relay_max_attempts: int = 12
    relay_timeout_s: float = 10.0
    # Retention of the position history, in days (partitions older than this are dropped).
    retention_days: int = 730
    # A streaming replica for the read-only paths (geo_core/replica.py); empty: every read on the primary.
    replica_url: str = ""
    # The stalest a replica read may be, in seconds; a replica further behind is not used until it catches up.
    replica_max_lag_s: float = 5.0
    # MQTT shared subscription group of the ingest workers (empty: one worker takes every message).
    ingest_share_group: str = ""
    # Alarm engine partitions (by park, else enterprise), shared among however many `manage.py alarms` run.
    alarm_partitions: int = 1
    # Bearer token for the device HTTP fallback; empty = fallback off.
    # A pool of database connections (the ASGI server turns it on: Django's persistent connections do not carry
    # across requests under ASGI, and a new connection per request costs more than the request).
    db_pool: bool = False
    db_pool_max: int = 10
    # SEC-2: idle session lifetime; behind TLS (secure cookies, HSTS, redirect to https).
    session_idle_s: int = 1800
    tls: bool = False
    # A base map under the service's layers (never required): XYZ URL templates, fetched by the server and passed on
    # to the pages (which load nothing from another host). GEO_BASEMAP: empty (none), tianditu-vec, tianditu-img (with
    # GEO_TIANDITU_KEY), or one or more templates "https://host/{z}/{x}/{y}.png" separated by spaces.
    basemap: tuple[str, ...] = ()
    # The 3D command centre's buildings: a 3D Tiles tileset.json (oblique photography), as a path on this server or an
    # http(s) URL (its origin is then allowed by the page's CSP). Empty: the park's generated tileset (/maps/3dtiles/).
    tiles3d_url: str = ""
    # GIS files uploaded for import (/api/imports): the largest accepted, in megabytes.
    import_max_mb: int = 200
    trusted_proxies: tuple = ()  # networks whose X-Forwarded-For is believed (ipaddress networks)
    import_max_rows: int = 200_000  # features one imported file may hold
    import_max_expanded_mb: int = 1024  # what a zip may unpack to
    import_max_s: int = 600  # wall-clock time of one import's process
    import_max_memory_mb: int = 4096  # address space of one import's process
    # /metrics (Prometheus) answers only with this bearer token; empty: the endpoint is off.
    metrics_token: str = field(default="", repr=False)
    # The deployment's media platform (video/gateway.py, docs/video.md): URL templates of a channel's live stream
    # and of a range of its recording; empty: no video (the pages say so). How long an issued URL plays, the
    # longest range asked at once.
    video_live_url: str = ""
    video_record_url: str = ""
    video_url_ttl_s: int = 300
    video_max_record_s: int = 7200
    # The fusion-communication platform that places group calls (video/fusion.py, docs/video.md); empty: no calls
    # (the pages say why the button is off). Its bearer token, if it asks for one.
    call_url: str = ""
    call_token: str = field(default="", repr=False)
    # The city IoT platform whose special-equipment readings are pulled (geo_core/ingest/city_iot.py,
    # docs/city-iot.md): its base URL, the app key and secret it issued us, the device vendor (our register) whose
    # devices it may report, and how often to pull. Empty URL: no sync.
    city_iot_url: str = ""
    city_iot_key: str = ""
    city_iot_secret: str = field(default="", repr=False)
    city_iot_vendor: str = "city-iot"
    city_iot_every_s: float = 10.0


KNOWN_GEO_VARS = {
    "GEO_INGEST_SHARE_GROUP",
    "GEO_REPLICA_MAX_LAG_S",
    "GEO_ALARM_PARTITIONS",
    "GEO_DEBUG",
    "GEO_FAST_PASSWORD_HASHER",
    "GEO_SECRET_KEY",
    "GEO_ALLOWED_HOSTS",
    "GEO_LOG_LEVEL",
    "GEO_HTTP_PORT",
    "GEO_PARTITION_DAYS_AHEAD",
    "GEO_PARTITION_DAYS_BEHIND",
    "GEO_DEMO_SEED",
    "GEO_SH2000_DEFINITION",
    "GEO_CALIBRATION_MAX_RMS_M",
    "GEO_CALIBRATION_MAX_RESIDUAL_M",
    "GEO_TRANSFORM_MAX_POINTS",
    "GEO_OFFLINE_AFTER_POSITIONS_S",
    "GEO_OFFLINE_AFTER_WELDERS_S",
    "GEO_OFFLINE_AFTER_OTHER_S",
    "GEO_RELAY_URL",
    "GEO_RELAY_MAX_ATTEMPTS",
    "GEO_RETENTION_DAYS",
    "GEO_DB_POOL",
    "GEO_DB_POOL_MAX",
    "GEO_SESSION_IDLE_S",
    "GEO_TLS",
    "GEO_BASEMAP",
    "GEO_TIANDITU_KEY",
    "GEO_3DTILES_URL",
    "GEO_IMPORT_MAX_MB",
    "GEO_TRUSTED_PROXIES",
    "GEO_IMPORT_MAX_ROWS",
    "GEO_IMPORT_MAX_EXPANDED_MB",
    "GEO_IMPORT_MAX_S",
    "GEO_IMPORT_MAX_MEMORY_MB",
    "GEO_METRICS_TOKEN",
    "GEO_VIDEO_LIVE_URL",
    "GEO_VIDEO_RECORD_URL",
    "GEO_VIDEO_URL_TTL_S",
    "GEO_VIDEO_MAX_RECORD_S",
    "GEO_CALL_URL",
    "GEO_CALL_TOKEN",
    "GEO_CITY_IOT_URL",
    "GEO_CITY_IOT_KEY",
    "GEO_CITY_IOT_SECRET",
    "GEO_CITY_IOT_VENDOR",
    "GEO_CITY_IOT_EVERY_S",
}

TIANDITU = (
    "https://t0.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}&STYLE=default"
    "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
# Tianditu's vector or imagery base and its labels (Web Mercator, CGCS2000 datum: no GCJ-02 offset to undo).
TIANDITU_LAYERS = {"tianditu-vec": ("vec", "cva"), "tianditu-img": ("img", "cia")}


def _basemap(value: str, key: str) -> tuple[str, ...]:
    value = value.strip()
    if not value:
        return ()
    if value in TIANDITU_LAYERS:
        if not key:
            raise ConfigError(f"GEO_BASEMAP={value}: needs GEO_TIANDITU_KEY (the deployment's Tianditu key)")
        return tuple(TIANDITU.format(layer=layer, key=key) for layer in TIANDITU_LAYERS[value])
    templates = tuple(value.split())
    for t in templates:
        if urlsplit(t).scheme not in ("http", "https") or not all(p in t for p in ("{z}", "{x}", "{y}")):
            raise ConfigError(
                f"GEO_BASEMAP: {t!r} is not an http(s) XYZ template with {{z}}, {{x}} and {{y}}; or use "
                f"{' / '.join(TIANDITU_LAYERS)}"
            )
    return templates


def _tiles3d_url(url: str) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    if (url.startswith("/") and not url.startswith("//")) or (parts.scheme in ("http", "https") and parts.hostname):
        return url
    raise ConfigError(f"GEO_3DTILES_URL={url!r}: expected a tileset.json as /path on this server or an http(s) URL")


def _platform_url(name: str, url: str, fields: tuple[str, ...]) -> str:
    """Another platform's URL or URL template (media, calls, the city IoT platform): http(s), naming what it must
    ({channel}; {start} and {end})."""
    if not url:
        return url
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise ConfigError(f"{name}={url!r}: expected an http(s) URL of the platform")
    missing = [f for f in fields if "{" + f + "}" not in url]
    if missing:
        raise ConfigError(f"{name}={url!r}: the template lacks {', '.join('{' + f + '}' for f in missing)}")
    return url


def _relay_url(url: str) -> str:
    if url and urlsplit(url).scheme not in ("http", "https", "mqtt"):
        raise ConfigError(f"GEO_RELAY_URL={url!r}: expected http(s)://... or mqtt://host:port/topic")
    return url


def load() -> Config:
    unknown = sorted(k for k in os.environ if k.startswith("GEO_") and k not in KNOWN_GEO_VARS)
    if unknown:
        raise ConfigError(f"unknown configuration variables: {', '.join(unknown)}; known: {sorted(KNOWN_GEO_VARS)}")
    database_url = os.environ.get("DATABASE_URL", "postgis://postgres@127.0.0.1:55432/geoservice")
    scheme = urlsplit(database_url).scheme
    if scheme not in ("postgis", "postgres", "postgresql"):
        raise ConfigError(f"DATABASE_URL scheme {scheme!r}: this service needs PostgreSQL with PostGIS")
    replica_url = os.environ.get("DATABASE_REPLICA_URL", "")
    if replica_url and urlsplit(replica_url).scheme not in ("postgis", "postgres", "postgresql"):
        raise ConfigError(f"DATABASE_REPLICA_URL scheme {urlsplit(replica_url).scheme!r}: expected a PostgreSQL URL")
    level = os.environ.get("GEO_LOG_LEVEL", "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"GEO_LOG_LEVEL={level!r}: expected DEBUG, INFO, WARNING or ERROR")
    debug = _bool("GEO_DEBUG", False)
    definition = os.environ.get("GEO_SH2000_DEFINITION") or "announced"
    if definition not in sh2000.names():
        raise ConfigError(f"GEO_SH2000_DEFINITION={definition!r}: expected one of {sh2000.names()}")
    hosts = os.environ.get("GEO_ALLOWED_HOSTS")
    return Config(
        database_url=database_url,
        replica_url=replica_url,
        replica_max_lag_s=_float("GEO_REPLICA_MAX_LAG_S", 5.0, 0.1, 3600.0),
        mqtt=MqttEndpoint.parse(os.environ.get("MQTT_URL", "mqtt://127.0.0.1:18830")),
        debug=debug,
        fast_password_hasher=_bool("GEO_FAST_PASSWORD_HASHER", False),
        secret_key=os.environ.get("GEO_SECRET_KEY") or "dev-only-not-secret",
        log_level=level,
        http_port=_int("GEO_HTTP_PORT", 8000, 1, 65535),
        partition_days_ahead=_int("GEO_PARTITION_DAYS_AHEAD", 7, 1, 366),
        partition_days_behind=_int("GEO_PARTITION_DAYS_BEHIND", 2, 0, 3660),
        demo_seed=_int("GEO_DEMO_SEED", 20261121, 0, 2**31 - 1),
        sh2000_definition=definition,
        calibration_max_rms_m=_float("GEO_CALIBRATION_MAX_RMS_M", 0.05, 0.0, 100.0),
        calibration_max_residual_m=_float("GEO_CALIBRATION_MAX_RESIDUAL_M", 0.10, 0.0, 100.0),
        transform_max_points=_int("GEO_TRANSFORM_MAX_POINTS", 1_000_000, 1, 100_000_000),
        offline_after_positions_s=_float("GEO_OFFLINE_AFTER_POSITIONS_S", 30.0, 1.0, 86400.0),
        offline_after_welders_s=_float("GEO_OFFLINE_AFTER_WELDERS_S", 120.0, 1.0, 86400.0),
        offline_after_other_s=_float("GEO_OFFLINE_AFTER_OTHER_S", 3600.0, 1.0, 7 * 86400.0),
        relay_url=_relay_url(os.environ.get("GEO_RELAY_URL", "")),
        relay_max_attempts=_int("GEO_RELAY_MAX_ATTEMPTS", 12, 1, 1000),
        retention_days=_int("GEO_RETENTION_DAYS", 730, 1, 36500),
        ingest_share_group=_share_group(os.environ.get("GEO_INGEST_SHARE_GROUP", "")),
        alarm_partitions=_int("GEO_ALARM_PARTITIONS", 1, 1, 256),
        db_pool=_bool("GEO_DB_POOL", False),
        db_pool_max=_int("GEO_DB_POOL_MAX", 10, 1, 200),
        session_idle_s=_int("GEO_SESSION_IDLE_S", 1800, 60, 86400),
        tls=_bool("GEO_TLS", False),
        basemap=_basemap(os.environ.get("GEO_BASEMAP", ""), os.environ.get("GEO_TIANDITU_KEY", "")),
        tiles3d_url=_tiles3d_url(os.environ.get("GEO_3DTILES_URL", "")),
        import_max_mb=_int("GEO_IMPORT_MAX_MB", 200, 1, 10_000),
        trusted_proxies=_networks("GEO_TRUSTED_PROXIES", os.environ.get("GEO_TRUSTED_PROXIES", "")),
        import_max_rows=_int("GEO_IMPORT_MAX_ROWS", 200_000, 1, 100_000_000),
        import_max_expanded_mb=_int("GEO_IMPORT_MAX_EXPANDED_MB", 1024, 1, 100_000),
        import_max_s=_int("GEO_IMPORT_MAX_S", 600, 5, 86_400),
        import_max_memory_mb=_int("GEO_IMPORT_MAX_MEMORY_MB", 4096, 512, 1_000_000),
        metrics_token=os.environ.get("GEO_METRICS_TOKEN", ""),
        video_live_url=_platform_url("GEO_VIDEO_LIVE_URL", os.environ.get("GEO_VIDEO_LIVE_URL", ""), ("channel",)),
        video_record_url=_platform_url(
            "GEO_VIDEO_RECORD_URL", os.environ.get("GEO_VIDEO_RECORD_URL", ""), ("channel", "start", "end")
        ),
        video_url_ttl_s=_int("GEO_VIDEO_URL_TTL_S", 300, 10, 86_400),
        video_max_record_s=_int("GEO_VIDEO_MAX_RECORD_S", 7200, 60, 7 * 86_400),
        call_url=_platform_url("GEO_CALL_URL", os.environ.get("GEO_CALL_URL", "").rstrip("/"), ()),
        call_token=os.environ.get("GEO_CALL_TOKEN", ""),
        city_iot_url=_platform_url("GEO_CITY_IOT_URL", os.environ.get("GEO_CITY_IOT_URL", "").rstrip("/"), ()),
        city_iot_key=os.environ.get("GEO_CITY_IOT_KEY", ""),
        city_iot_secret=os.environ.get("GEO_CITY_IOT_SECRET", ""),
        city_iot_vendor=os.environ.get("GEO_CITY_IOT_VENDOR", "city-iot"),
        city_iot_every_s=_float("GEO_CITY_IOT_EVERY_S", 10.0, 1.0, 3600.0),
        **({"allowed_hosts": tuple(h.strip() for h in hosts.split(",") if h.strip())} if hosts else {}),
    )


def _networks(name: str, value: str) -> tuple:
    """Addresses or networks, comma-separated (10.0.0.5, 10.1.0.0/16, ::1)."""
    import ipaddress

    out = []
    for part in value.split(","):
        if part.strip():
            try:
                out.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ConfigError(f"{name}: {part.strip()!r} is not an address or network") from None
    return tuple(out)


def _share_group(value: str) -> str:
    """An MQTT shared subscription's group name is one topic level: no '/', '+' or '#'."""
    value = value.strip()
    if any(c in value for c in "/+#"):
        raise ConfigError(f"GEO_INGEST_SHARE_GROUP: {value!r} must be one topic level (no '/', '+' or '#')")
    return value


def describe(cfg: Config) -> dict[str, object]:
    """The configuration as logged at start-up (no secrets)."""
    out: dict[str, object] = {}
    for f in fields(cfg):
        if f.name in ("secret_key", "metrics_token"):
            continue
        value = getattr(cfg, f.name)
        if f.name in ("database_url", "replica_url") and value:
            parts = urlsplit(value)
            value = f"{parts.scheme}://{parts.hostname}:{parts.port}{parts.path}"
        out[f.name] = value if not isinstance(value, MqttEndpoint) else f"{value.host}:{value.port}"
    return out
