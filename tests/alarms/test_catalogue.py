"""The register of rule types: every type declares itself once, and the docs, the default rules and the API's
catalogue all follow it."""

from __future__ import annotations

from pathlib import Path

import pytest

from alarms.catalogue import EVENTS, TYPES, RuleType, docs_table, register
from alarms.management.commands.alarm_types import with_table
from tests.alarms.test_api import bearer, create_user

DOC = Path(__file__).resolve().parents[2] / "docs" / "alarms.md"


def test_docs_table_is_the_registers():
    text = DOC.read_text(encoding="utf-8")
    assert with_table(text) == text, "docs/alarms.md is stale: run `manage.py alarm_types --write`"
    for name in TYPES:
        assert f"`{name}`" in docs_table()


def test_every_type_says_when_it_is_raised_and_ended_and_who_raises_it():
    for t in TYPES.values():
        assert t.label, t.name
        assert t.cause, t.name
        assert t.ending, t.name
        # A type either has rules of its own (and something it listens to) or says who raises it.
        if t.default_rule is None:
            assert t.raised_by, t.name
        else:
            assert t.on, f"{t.name}: a rule type that listens to nothing never raises"


def test_a_type_registers_once_and_names_only_known_events():
    with pytest.raises(ValueError, match="twice"):
        register(TYPES["sos"])
    with pytest.raises(ValueError, match="unknown events"):
        RuleType("x", "person", None, "alarm", "x", on={"fixes_please": print})
    assert set(EVENTS) >= {e for t in TYPES.values() for e in t.on}


def test_default_rules_and_api_catalogue_follow_the_register(client, db):
    supervisor = bearer(create_user("sup", "pw-1234567", "supervisor"))
    from alarms.models import AlarmRule

    ruled = {t.name for t in TYPES.values() if t.default_rule is not None}
    assert set(AlarmRule.objects.values_list("type", flat=True)) >= ruled
    body = client.get("/api/alarm-rules/", **supervisor).json()
    assert set(body["types"]) == set(TYPES)
    assert body["types"]["remote_scan"]["listens"] == ["scan"]
    assert body["types"]["feed_outage"]["rule"] is False
