"""Configuration comes from the environment and fails fast, naming the variable."""

from __future__ import annotations

import pytest

from geo_core import config


def test_defaults_point_at_the_private_services(monkeypatch):
    for var in ("DATABASE_URL", "MQTT_URL"):
        monkeypatch.delenv(var, raising=False)
    cfg = config.load()
    assert cfg.database_url.startswith("postgis://")
    assert ":55432/" in cfg.database_url
    assert (cfg.mqtt.host, cfg.mqtt.port) == ("127.0.0.1", 18830)


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("GEO_PARTITON_DAYS_AHEAD", "3", "unknown configuration variables: GEO_PARTITON_DAYS_AHEAD"),
        ("GEO_PARTITION_DAYS_AHEAD", "soon", "GEO_PARTITION_DAYS_AHEAD='soon': expected a whole number"),
        ("GEO_PARTITION_DAYS_AHEAD", "0", "GEO_PARTITION_DAYS_AHEAD=0: expected 1..366"),
        ("GEO_DEBUG", "maybe", "GEO_DEBUG='maybe': expected true/false"),
        ("MQTT_URL", "amqp://x", "expected mqtt://host:port"),
        ("DATABASE_URL", "sqlite:///x.db", "needs PostgreSQL with PostGIS"),
        ("GEO_INGEST_SHARE_GROUP", "a/b", "GEO_INGEST_SHARE_GROUP: 'a/b' must be one topic level"),
        ("GEO_ALARM_PARTITIONS", "0", "GEO_ALARM_PARTITIONS=0: expected 1..256"),
    ],
)
def test_bad_configuration_names_the_variable(monkeypatch, var, value, message):
    monkeypatch.setenv(var, value)
    with pytest.raises(config.ConfigError, match=message):
        config.load()


def test_description_hides_secrets(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgis://u:hunter2@db:5432/geo")
    monkeypatch.setenv("GEO_SECRET_KEY", "s3cret")
    text = str(config.describe(config.load()))
    assert "hunter2" not in text
    assert "s3cret" not in text


def test_shanghai_definition_is_validated(monkeypatch):
    monkeypatch.setenv("GEO_SH2000_DEFINITION", "duckdb-cn-shift")
    assert config.load().sh2000_definition == "duckdb-cn-shift"
    monkeypatch.setenv("GEO_SH2000_DEFINITION", "old")
    with pytest.raises(config.ConfigError, match="GEO_SH2000_DEFINITION='old': expected one of"):
        config.load()
