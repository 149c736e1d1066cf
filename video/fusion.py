"""The fusion-communication platform (融合通信) that places group calls (seed 002: 一键发起 VoLTE 视频通话组会,
组会过程中实时添加或移除终端设备). The service never places a call itself: it tells the platform, configured
by GEO_CALL_URL (and GEO_CALL_TOKEN, sent as a bearer token), over this contract (docs/video.md):

    POST   {url}/calls                      {"ref", "initiator", "members": [...], "selection": GeoJSON | null,
                                             "media": "video"}  ->  2xx {"id": "<the platform's call id>"}
    POST   {url}/calls/{id}/members         {"members": [...]}  ->  2xx
    DELETE {url}/calls/{id}/members/{ref}   ->  2xx
    DELETE {url}/calls/{id}                 ->  2xx

A member: {"ref", "name", "kind", and what reaches it: "terminal" (a body camera's or phone's id, a camera's GB/T
28181 code), "phone", "sip"}. Anything but a 2xx within 5 s is the platform's refusal: an UpstreamError saying what
it answered; nothing is reported as placed that was not.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings

from geo_core.errors import UnavailableError, UpstreamError

TIMEOUT_S = 5.0


@dataclass(frozen=True)
class CallPlatform:
    url: str
    token: str

    @classmethod
    def configured(cls) -> CallPlatform:
        c = settings.CONFIG
        if not c.call_url:
            raise UnavailableError("no fusion-communication platform for group calls (GEO_CALL_URL)")
        return cls(c.call_url, c.call_token)

    def _send(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json; charset=utf-8")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as r:
                raw = r.read(65536)
        except urllib.error.HTTPError as exc:
            said = exc.read(300).decode("utf-8", "replace")
            raise UpstreamError(f"the call platform answered {exc.code} to {method} {path}: {said}") from None
        except (OSError, ValueError) as exc:
            raise UpstreamError(f"the call platform did not answer {method} {path}: {exc}") from None
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            raise UpstreamError(f"the call platform's answer to {method} {path} is not JSON") from None
        return answer if isinstance(answer, dict) else {}

    def start(self, ref: str, initiator: dict, members: list[dict], selection: dict | None) -> str:
        body = {"ref": ref, "initiator": initiator, "members": members, "selection": selection, "media": "video"}
        answer = self._send("POST", "/calls", body)
        call_id = answer.get("id")
        if not isinstance(call_id, str | int) or not str(call_id):
            raise UpstreamError("the call platform placed no call (its answer has no id)")
        return str(call_id)[:128]

    def add(self, call_id: str, members: list[dict]) -> None:
        self._send("POST", f"/calls/{quote(call_id, safe='')}/members", {"members": members})

    def remove(self, call_id: str, ref: str) -> None:
        self._send("DELETE", f"/calls/{quote(call_id, safe='')}/members/{quote(ref, safe='')}")

    def end(self, call_id: str) -> None:
        self._send("DELETE", f"/calls/{quote(call_id, safe='')}")
