"""The kept reports (reports.files) as an API:

    GET  /api/report-files?kind=&region=            the reports kept, in the caller's regions
    POST /api/report-files {kind, region, day?}     make one now (the period holding `day`, default the last complete)
    GET  /api/report-files/{id}.pdf | .xlsx         the files

Supervisors for any region; a district officer for their own district only (a city's report holds other districts)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse

from geo_core.access import Access
from geo_core.apiview import json_api, json_body, json_response
from geo_core.errors import BadRequestError, NotFoundError
from geo_core.models import Region
from geo_core.params import day, integer, members, text
from geo_core.partitions import PARK_TZ
from reports import authority, files
from reports.models import ReportFile

BODY = {"kind": "text", "region": "text", "day": "text?"}
MEDIA = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _regions(access: Access):
    ids = authority.districts(access, "reports")
    return Region.objects.all() if ids is None else Region.objects.filter(id__in=ids)


def _row(r: ReportFile) -> dict:
    s = r.summary or {}
    return {
        "id": r.id,
        "kind": r.kind,
        "kind_label": r.get_kind_display(),
        "region": r.region.code,
        "region_name": r.region.name,
        "period_start": r.period_start.isoformat(),
        "period_end": r.period_end.isoformat(),
        "created_at": r.created_at.isoformat(),
        "created_by": r.created_by,
        "alarms": s.get("alarms"),
        "pdf": f"/api/report-files/{r.id}.pdf",
        "xlsx": f"/api/report-files/{r.id}.xlsx",
    }


@json_api(("GET", "POST"))
def report_files(request: HttpRequest, access: Access) -> HttpResponse:
    regions = _regions(access)
    if request.method == "POST":
        body = members(json_body(request), BODY)
        kind = body.get("kind")
        if kind not in ReportFile.Kind.values:
            raise BadRequestError(f"kind: one of {', '.join(ReportFile.Kind.values)}")
        code = text(body.get("region") or "", "region", 12)
        region = regions.filter(code=code).first()
        if region is None:
            raise NotFoundError(f"region {code!r}: none you may report on")
        today = datetime.now(PARK_TZ).date()
        when = day(body["day"], "day") if body.get("day") else files.last_complete(kind, today).start
        if when > today:
            raise BadRequestError("day: in the future")
        rf = files.make(kind, region, when, access.user.get_username())
        return json_response(_row(rf), status=201)
    qs = ReportFile.objects.filter(region__in=regions).select_related("region").defer("pdf", "xlsx")
    if v := request.GET.get("kind"):
        qs = qs.filter(kind=v if v in ReportFile.Kind.values else "-")
    if v := request.GET.get("region"):
        qs = qs.filter(region__code=text(v, "region", 12))
    return json_response({"reports": [_row(r) for r in qs[:500]]})


@json_api(("GET",))
def report_file(request: HttpRequest, access: Access, report_id: str, fmt: str) -> HttpResponse:
    rid = integer(report_id, "id", 1, 2**62)
    r = ReportFile.objects.filter(id=rid, region__in=_regions(access)).select_related("region").first()
    if r is None or fmt not in MEDIA:
        raise NotFoundError(f"report {report_id[:20]}.{fmt[:8]}: none you may read")
    data = bytes(r.pdf if fmt == "pdf" else r.xlsx)
    resp = HttpResponse(data, content_type=MEDIA[fmt])
    name = f"report-{r.region.code}-{r.kind}-{r.period_start:%Y%m%d}.{fmt}"
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp
