"""POST /api/report/v1/<feed>: the enterprise report API (ING-1, seed 002), signed per docs/report-api.md.

Body {"records": [...]} with up to 10,000 records named as in AQ 3064.3 Annex B / AQ 3064.2. The answer lists
what was accepted and every rejected record (index, field, reason); good records are stored even when others are
rejected. A bad signature is 401 and a record for another enterprise makes the whole request 403, both before
anything is stored.
"""

from __future__ import annotations

import json
import logging

import orjson
from django.db import transaction
from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from geo_core import audit
from geo_core.ingest import contractor_feeds, equipment_feeds, feeds, liveness, relay
from geo_core.ingest.auth import AuthError, ForbiddenError, verify
from geo_core.ingest.feeds import LIVENESS_FEED

log = logging.getLogger(__name__)
# The feeds by URL name. Contractor data and filings are not periodic: they count towards no liveness feed.
HANDLERS = {**feeds.HANDLERS, **contractor_feeds.HANDLERS, **equipment_feeds.HANDLERS}
MAX_RECORDS = 10_000


def _answer(status: int, body: dict) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
def report_view(request: HttpRequest, feed: str):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    handler = HANDLERS.get(feed)
    if handler is None:
        return _answer(404, {"error": f"no feed {feed!r}; feeds: {sorted(HANDLERS)}"})
    body = request.read()  # its size is capped by geo_core.boundary.BodyLimit, however it was sent
    try:
        cred = verify(request, body)
    except AuthError as exc:
        return _answer(401, {"error": str(exc)})
    enterprise = cred.enterprise
    audit.acting(None, f"credential:{cred.app_id}", audit.address_of(request))
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # orjson refuses the whole body for one unpaired surrogate escape ("\ud800") in one record; Python's parser
        # reads it, and that record alone is then refused (check_shape), so the good ones are not lost (issue 24).
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            return _answer(400, {"error": f"body is not JSON: {exc}"})
    records = doc.get("records") if isinstance(doc, dict) else None
    if not isinstance(records, list):
        return _answer(400, {"error": 'body must be {"records": [...]}'})
    if len(records) > MAX_RECORDS:
        return _answer(413, {"error": f"{len(records)} records; at most {MAX_RECORDS} per request"})
    try:
        for i, r in enumerate(records):
            code = r.get("COMPANY_CODE") if isinstance(r, dict) else None
            if code not in (None, "", enterprise.company_code):
                raise ForbiddenError(
                    f"record {i}: COMPANY_CODE {code!r} is not this credential's enterprise "
                    f"({enterprise.company_code}); nothing was stored"
                )
    except ForbiddenError as exc:
        return _answer(403, {"error": str(exc)})
    with transaction.atomic():
        report = handler(enterprise, records)
        if report.accepted:
            if feed in LIVENESS_FEED:
                liveness.touch(enterprise, LIVENESS_FEED[feed])
            if report.relay:
                relay.enqueue(feed, enterprise.company_code, report.relay if feed != "positions" else report.relay[0])
    log.info(
        "report",
        extra={
            "feed": feed,
            "company": enterprise.company_code,
            "received": report.received,
            "accepted": report.accepted,
            "rejected": len(report.rejected),
        },
    )
    return _answer(200, report.as_dict())
