"""A local stand-in for the city IoT platform (智慧城市物联感知平台) that the service pulls special-equipment readings
from (geo_core/ingest/city_iot.py, docs/city-iot.md). It keeps what its devices report (POST /devices/report, the
demo simulator standing in for the devices) and serves it by the contract: signed GETs of pages after a cursor.
A real HTTP server on the standard library's engine; the demo starts it (scripts/run.sh) and the tests run it in a
thread.

    python -m demo.city_iot --port 8091 --key demo --secret-file .var/demo/city_iot.secret
"""

from __future__ import annotations

import argparse
import hmac
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from geo_core.ingest.signing import MAX_SKEW_SECONDS, sign

PATH = "/api/v1/equipment/readings"  # the contract's (docs/city-iot.md)
KEEP = 200_000  # items kept for pulling (older ones are gone, as on a real platform's retention)


class Platform:
    def __init__(self, key: str, secret: str) -> None:
        self.key, self.secret = key, secret
        self.items: deque[tuple[int, dict]] = deque(maxlen=KEEP)
        self.seq = 0
        self.lock = threading.Lock()
        self.refused = 0  # pulls refused for a bad signature
        self.server: ThreadingHTTPServer | None = None

    def add(self, items: list[dict]) -> None:
        with self.lock:
            for item in items:
                self.seq += 1
                self.items.append((self.seq, item))

    def page(self, cursor: str, limit: int) -> dict:
        after = int(cursor) if cursor.isdigit() else 0
        with self.lock:
            rows = [(s, i) for s, i in self.items if s > after][: limit + 1]
        more = len(rows) > limit
        rows = rows[:limit]
        return {"items": [i for _, i in rows], "next_cursor": str(rows[-1][0] if rows else after), "more": more}

    def verified(self, headers, path_query: str) -> bool:
        ts, nonce, got = headers.get("X-Timestamp", ""), headers.get("X-Nonce", ""), headers.get("X-Signature", "")
        if headers.get("X-App-Key") != self.key or not ts.isdigit() or abs(time.time() - int(ts)) > MAX_SKEW_SECONDS:
            return False
        return hmac.compare_digest(sign(self.secret, "GET", path_query, ts, nonce, b""), got)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet: the service logs its pulls
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path != PATH:
                    return self._send(404, {"error": "no such path"})
                if not platform.verified(self.headers, self.path):
                    platform.refused += 1
                    return self._send(401, {"error": "bad signature"})
                q = parse_qs(url.query)
                limit = min(int((q.get("limit") or ["100"])[0] or 100), 1000)
                return self._send(200, platform.page((q.get("cursor") or [""])[0], limit))

            def do_POST(self) -> None:
                if self.path != "/devices/report":
                    return self._send(404, {"error": "no such path"})
                size = int(self.headers.get("Content-Length") or 0)
                try:
                    items = json.loads(self.rfile.read(min(size, 10_000_000)))
                except ValueError:
                    return self._send(400, {"error": "not JSON"})
                platform.add(items if isinstance(items, list) else [items])
                return self._send(200, {"kept": platform.seq})

        self.server = ThreadingHTTPServer((host, port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://{host}:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=8091)
    ap.add_argument("--key", required=True)
    ap.add_argument("--secret-file", required=True, help="the app secret it issued (not on the command line)")
    a = ap.parse_args()
    with open(a.secret_file, encoding="utf-8") as f:
        secret = f.read().strip()
    Platform(a.key, secret).start(port=a.port)
    print(json.dumps({"event": "city IoT stand-in up", "port": a.port}), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
