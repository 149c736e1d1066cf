"""A small Server-Sent Events client for tests (http.client; the response's readline decodes chunked bodies)."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit


class SSE:
    def __init__(self, base: str, path: str, token: str, last_id: int | None = None, timeout: float = 10):
        u = urlsplit(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_id is not None:
            headers["Last-Event-ID"] = str(last_id)
        self.conn.request("GET", path, headers=headers)
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200, self.resp.read()
        assert self.resp.getheader("Content-Type").startswith("text/event-stream")

    def next_event(self) -> dict:
        ev: dict = {}
        while True:
            raw = self.resp.readline()
            if not raw:  # the server closed the stream (or died): never a busy loop on an empty read
                raise ConnectionError("event stream ended")
            line = raw.decode().rstrip("\n")
            if not line:
                if "data" in ev:
                    return ev
                continue
            if line.startswith((":", "retry:")):
                continue
            k, _, v = line.partition(": ")
            ev[k] = v

    def close(self) -> None:
        self.conn.close()
