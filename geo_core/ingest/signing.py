"""The report API's request signature: a published contract, implemented here without Django so enterprises'
vendors can read it, and run as a client (python -m geo_core.ingest.signing --help).

Headers:
    X-App-Id      the app_id the park issued
    X-Timestamp   Unix seconds; refused when more than 300 s away from the server's clock
    X-Nonce       unique per request (e.g. a UUID); a second use within the window is a replay
    X-Signature   lowercase hex HMAC-SHA256, key = app_secret (UTF-8), message = the UTF-8 string
                  METHOD + "\\n" + PATH + "\\n" + TIMESTAMP + "\\n" + NONCE + "\\n" + hex(SHA-256(body))
PATH is the request path without the query string, e.g. /api/report/v1/positions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid

MAX_SKEW_SECONDS = 300


def string_to_sign(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "\n".join([method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()])


def sign(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = string_to_sign(method, path, timestamp, nonce, body).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    app_id: str,
    secret: str,
    method: str,
    path: str,
    body: bytes,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or uuid.uuid4().hex
    return {
        "X-App-Id": app_id,
        "X-Timestamp": ts,
        "X-Nonce": nonce,
        "X-Signature": sign(secret, method, path, ts, nonce, body),
    }


class ReportClient:
    """A small client for /api/report/v1/: signs each request and returns (status, parsed JSON answer)."""

    def __init__(self, base_url: str, app_id: str, app_secret: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.timeout = timeout

    def post(self, feed: str, records: list[dict]) -> tuple[int, dict]:
        path = f"/api/report/v1/{feed}"
        body = json.dumps({"records": records}, ensure_ascii=False).encode()
        headers = signed_headers(self.app_id, self.app_secret, "POST", path, body)
        headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base_url + path, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.status, json.load(resp)
        except urllib.error.HTTPError as err:
            return err.code, json.load(err)


def _main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description="Post records to the report API, signed (prints the answer).")
    ap.add_argument("feed", help="personnel, zones, positions, gatherings, person-alarms, zone-alarms, permits")
    ap.add_argument("file", help="a JSON file holding a list of records")
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--app-id", required=True)
    ap.add_argument("--app-secret", required=True)
    args = ap.parse_args()
    with open(args.file, encoding="utf-8") as fh:
        records = json.load(fh)
    status, answer = ReportClient(args.url, args.app_id, args.app_secret).post(args.feed, records)
    print(status, json.dumps(answer, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    _main()
