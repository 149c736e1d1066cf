"""The query APIs over the layers: search, nearest, counts per region, key-area statistics, a track."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from geo_core.access import authenticate
from geo_core.apiview import get_only
from geo_core.errors import BadRequestError
from geo_core.gisfiles import writing
from geo_core.params import instant, text
from layers import registry
from layers.views.common import json, number, scope_for


@get_only
def search(request: HttpRequest) -> HttpResponse:
    from layers.queries import search as run

    scope = authenticate(request).scope
    return json({"results": run(request.GET.get("q", ""), scope, int(number(request, "limit", 20)))})


@get_only
def nearby(request: HttpRequest, layer: str) -> HttpResponse:
    from layers.queries import nearby as run

    lay = registry.get(layer)
    scope = scope_for(request, [lay])
    rows = run(
        lay,
        number(request, "lon"),
        number(request, "lat"),
        number(request, "radius"),
        int(number(request, "k", 10)),
        scope,
    )
    return json({"layer": layer, "results": rows})


@get_only
def district_counts(request: HttpRequest) -> HttpResponse:
    from layers.queries import district_counts as run

    return json({"districts": run(authenticate(request).scope)})


def _region_params(request: HttpRequest) -> tuple[str | None, str | None]:
    level = request.GET.get("level") or None
    parent = request.GET.get("parent") or None
    if parent is not None and not (parent.isascii() and parent.isdigit() and len(parent) in (6, 9, 12)):
        raise BadRequestError(f"parent: {parent[:20]!r} is not a region code (6, 9 or 12 digits)")
    return level, parent


@get_only
def regions(request: HttpRequest) -> HttpResponse:
    """/api/regions?level=&parent=&q=: the region tree (public, as the district boundaries are); without arguments
    its top."""
    from layers.stats import regions as run

    level, parent = _region_params(request)
    q = request.GET.get("q")
    if q is not None and not 1 <= len(q) <= 50:
        raise BadRequestError("q: 1 to 50 characters")
    rows = run(level, parent, q)
    return json({"level": level, "parent": parent, "count": len(rows), "regions": rows})


@get_only
def region_counts(request: HttpRequest) -> HttpResponse:
    """/api/counts/regions?level=district|township|...&parent=CODE: counts per region within the caller's scope."""
    from layers.queries import region_counts as run
    from layers.stats import LEVELS, distinct_enterprises

    scope = authenticate(request).scope
    level, parent = _region_params(request)
    level = level or "district"
    if level not in LEVELS:
        raise BadRequestError(f"level: {level[:20]!r} is not one of {', '.join(LEVELS)}")
    rows = run(scope, level, parent)
    return json(
        {
            "level": level,
            "parent": parent,
            "regions": rows,
            "totals": {
                "enterprises": distinct_enterprises(scope, level, parent),
                "enterprises_summed": sum(r["enterprises"] for r in rows),
            },
            "note": "an enterprise with sites in several regions is counted once in each of them: summed over regions "
            "the count can exceed the enterprises there (totals.enterprises counts each once)",
        }
    )


@get_only
def key_area_stats(request: HttpRequest) -> HttpResponse:
    """/api/stats/key-areas?since=&until=&level=&parent=: welding work, hot work and alarms inside and outside key
    areas (seed 003), by key area and, with a level, by region."""
    from layers.stats import key_areas

    scope = authenticate(request).scope
    g = request.GET
    if not g.get("since") or not g.get("until"):
        raise BadRequestError("since and until (RFC 3339) are required")
    level, parent = _region_params(request)
    return json(key_areas(scope, instant(g["since"], "since"), instant(g["until"], "until"), level, parent))


@get_only
def track(request: HttpRequest, external_id: str) -> HttpResponse:
    from layers.queries import track as run

    scope = authenticate(request).scope
    if not request.GET.get("from") or not request.GET.get("to"):
        raise BadRequestError("from and to (RFC 3339) are required")
    start = instant(request.GET["from"], "from")
    end = instant(request.GET["to"], "to")
    fmt = request.GET.get("f", "json")
    enterprise = text(request.GET["enterprise"], "enterprise", 32) if request.GET.get("enterprise") else None
    if fmt in writing.TRACK_FORMATS:
        from layers.queries import track_tables

        tables = track_tables(external_id, start, end, scope, fmt, enterprise)
        stem = f"track-{external_id}-{start:%Y%m%d%H%M}"
        return writing.response(writing.write(tables, fmt, "wgs84" if fmt != "gpkg" else "cgcs2000"), fmt, stem)
    if fmt != "json":
        raise BadRequestError(f"f: {fmt[:40]!r} is not offered; use json, {', '.join(writing.TRACK_FORMATS)}")
    return json(run(external_id, start, end, scope, number(request, "tolerance", 2.0), enterprise))
