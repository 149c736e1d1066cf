"""The registry is the one declaration of a layer (issue 25): what a layer says of itself must be what its SQL does.
Every table its SQL reads is in its `tables` (the tile cache drops its tiles on their change notices) and notifies
(or the layer is live, with a bounded age); its `properties` are its SELECT's columns; its search and heat SELECTs
give what the search and the heat maps read; the style's colours name vocabularies that exist."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from geo_core import vocabulary
from geo_core.scope import EVERYTHING
from layers import registry
from layers.style import live_sources, style

pytestmark = pytest.mark.django_db
TABLE = re.compile(r"\b((?:geo_core|alarms|layers)_[a-z0-9_]+)\b(?!\s*\()")  # a function call is not a table
LAYERS = [pytest.param(layer, id=layer.id) for layer in registry.LAYERS]


def columns(sql: str, params: list) -> list[str]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT * FROM ({sql}) src LIMIT 0", params)
        return [c.name for c in cur.description]


def behind_views(names: set[str]) -> set[str]:
    """Tables, with the published views among them (alarms_open ...) replaced by the tables they read."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT view_name, table_name FROM information_schema.view_table_usage WHERE view_name = ANY(%s)",
            [sorted(names)],
        )
        views: dict[str, set[str]] = {}
        for view, table in cur.fetchall():
            views.setdefault(view, set()).add(table)
    return {t for n in names for t in views.get(n, {n})}


def notifying_tables() -> set[str]:
    with connection.cursor() as cur:
        cur.execute(
            """SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
               JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'geo_core_notify_change'"""
        )
        return {r[0] for r in cur.fetchall()}


@pytest.mark.parametrize("layer", LAYERS)
def test_every_table_a_layer_reads_is_declared_and_notifies(layer):
    read = behind_views(set(TABLE.findall(layer.sql)))
    assert read <= set(layer.tables), f"{layer.id} reads {sorted(read - set(layer.tables))} it does not declare"
    silent = set(layer.tables) - notifying_tables()
    if layer.live_ttl_s is None:  # a live layer's tiles are this old at most: its busy tables need not notify
        assert not silent, f"{layer.id}: {sorted(silent)} send no change notice: its tiles would go stale"


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layers_properties_are_its_selects_columns(layer):
    sql, params = layer.positional_sql(EVERYTHING)
    got = columns(sql, params)
    assert got[0] == "id"
    assert "geom" in got
    owner = {layer.scope_column} if layer.scope_column else {"enterprise_id"}
    assert set(got) - {"id", "geom"} - owner == set(layer.properties), layer.id


@pytest.mark.parametrize("layer", [p for p in LAYERS if p.values[0].search])
def test_a_search_selects_what_the_search_reads(layer):
    got = set(columns(layer.search.sql, []))
    assert {"kind", "id", "name", "code", "geom"} <= got
    assert set(layer.search.fields) <= got
    if layer.search.scope_column:
        assert layer.search.scope_column in got


def test_heat_maps_and_live_layers_are_declared_by_their_layers():
    for name, layer in registry.HEAT.items():
        assert {"geom", "enterprise_id"} <= set(columns(layer.heat.sql, {"days": 7})), name
    live = live_sources()
    assert live["people"] == {"stream": "positions", "kinds": ["person"], "cluster_maxzoom": 15}
    assert live["alarms"]["stream"] == "alarms"
    assert {k for kinds in registry.LIVE_KINDS.values() for k in kinds} == {"person", "welder", "body_camera", "phone"}


def test_the_style_colours_by_declared_vocabularies_and_marks_live_layers():
    doc = style("http://testserver")
    text = repr(doc)
    assert "ByTerm" not in text  # every colour resolved
    by_id = {layer["id"]: layer for layer in doc["layers"]}
    assert by_id["alarms"]["paint"]["circle-color"] == vocabulary.get("severity").colour_match("severity")
    assert by_id["people"]["metadata"] == {
        "geoservice:layer": "people",
        "geoservice:live": "positions",
        "geoservice:legend": {"vocabulary": "person_type", "codes": None},
    }
    live = {
        layer["metadata"]["geoservice:layer"]
        for layer in doc["layers"]
        if "geoservice:live" in layer.get("metadata", {})
    }
    assert live == {"people", "welders", "cameras", "alarms"}
    assert {"people-halo", "people-clusters", "alarms-halo", "heat-welding", "heat-alarms"} <= set(by_id)
    for layer in doc["layers"]:
        legend = layer.get("metadata", {}).get("geoservice:legend")
        if legend:
            known = vocabulary.get(legend["vocabulary"]).codes
            assert set(legend["codes"] or known) <= set(known), legend


def test_a_layer_applies_the_rule_its_rows_model_declares():
    from django.apps import apps

    models = {m._meta.db_table: m for m in apps.get_models()}
    for layer in registry.LAYERS:
        model = models.get(layer.tables[0])
        if layer.scope_column and model is not None and hasattr(model, "VISIBILITY"):
            rule, declared = layer.visibility, model.VISIBILITY  # field names differ from the SELECT's columns
            shape = (bool(rule.owner), bool(rule.place), rule.shared)
            assert shape == (bool(declared.owner), bool(declared.place), declared.shared), layer.id


def test_every_model_owned_by_an_enterprise_declares_who_may_see_it():
    from django.apps import apps

    from geo_core.models import Enterprise

    owned = [
        m
        for m in apps.get_models()
        if m._meta.app_label in ("geo_core", "alarms")
        and any(getattr(f, "related_model", None) is Enterprise and f.name == "enterprise" for f in m._meta.fields)
    ]
    missing = sorted(m.__name__ for m in owned if not hasattr(m, "VISIBILITY"))
    assert set(missing) == UNDECLARED, missing


# Owned tables no caller's output serves yet: what an enterprise files or reports (read back only by the service's
# own workers and supervisors' tools), credentials and profiles (the access layer itself).
UNDECLARED = {
    "DailyFiling",
    "FeedLiveness",
    "ReportCredential",
    "ReportedAlarm",
    "ReportedGathering",
    "StaffFiling",
    "UserProfile",
}
