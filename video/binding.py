"""Which officer carries which body camera (seed 004: 展示执法人员与执法仪绑定功能): shown on the camera's card and
changed there. The binding lives on the body camera's subject (`holder`, `unit`, `phone` in its attributes: the live
layer shows them, a dispatch and a group call reach the camera's holder by them); a change is audited with what it
replaced.

    PUT /api/video/holders/{subject}   {"holder": "张三", "unit": "金山区应急管理局", "phone": "13800000000"}
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from geo_core import audit
from geo_core.access import Access, scoped
from geo_core.apiview import json_api, json_body, json_response
from geo_core.errors import BadRequestError, DeniedError, NotFoundError
from geo_core.models import Subject
from geo_core.params import integer, members, text

FIELDS = {"holder": 64, "unit": 128, "phone": 32}


@json_api(("PUT",))
def holder(request: HttpRequest, access: Access, subject_id: str) -> HttpResponse:
    sid = integer(subject_id, "subject", 1, 2**63 - 1)
    body = members(json_body(request), dict.fromkeys(FIELDS, "text?"))
    if "holder" not in body:
        raise BadRequestError("holder: who carries the camera (a name; empty to unbind)")
    with transaction.atomic():
        s = scoped(Subject.objects.select_for_update().filter(pk=sid, kind="body_camera"), access).first()
        if s is None:
            raise NotFoundError(f"subject: no body camera {sid} you may see")
        if not access.may_change(s.enterprise_id):
            raise DeniedError(f"subject: body camera {s.external_id} is not yours to bind")
        attrs = dict(s.attributes) if isinstance(s.attributes, dict) else {}
        before = {k: attrs.get(k) for k in FIELDS}
        for name, limit in FIELDS.items():
            if name in body:
                value = text(body[name] or "", name, limit).strip()
                if value:
                    attrs[name] = value
                else:
                    attrs.pop(name, None)
        s.attributes = attrs
        s.save(update_fields=["attributes", "updated_at"])
    after = {k: attrs.get(k) for k in FIELDS}
    audit.record("bodycam.bind", "subject", s.id, {"before": before, "after": after})
    channels = list(s.video_channels.filter(active=True).values_list("code", flat=True))
    return json_response({"subject": s.id, "external_id": s.external_id, **after, "channels": channels})
