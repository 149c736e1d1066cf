"""One LISTEN connection per server process and channel: the streams of a process wait on it instead of polling.

A notification replaces the event it sets, so a waiter that took the event (`current()`) before reading never misses
one that came while it was reading. While the connection is down `listening` is False and waiters poll.
"""

from __future__ import annotations

import asyncio
import logging

import psycopg

from geo_core.db import conninfo

log = logging.getLogger(__name__)
RETRY_S = 1.0


class Bell:
    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.listening = False
        self.event: asyncio.Event | None = None
        self.task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def current(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self.event is None or self._loop is not loop:  # a new loop (tests run several): events of the old are dead
            self.event, self._loop, self.task = asyncio.Event(), loop, None
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._listen(), name=f"listen-{self.channel}")
        return self.event

    def _ring(self) -> None:
        old, self.event = self.event, asyncio.Event()
        if old is not None:
            old.set()

    async def _listen(self) -> None:
        try:
            conn = await psycopg.AsyncConnection.connect(conninfo(), autocommit=True)
            async with conn:
                await conn.execute(f"LISTEN {self.channel}")
                self.listening = True
                self._ring()  # what was notified before LISTEN took effect: waiters read once more
                async for _ in conn.notifies():
                    self._ring()
        except (psycopg.Error, OSError) as exc:
            log.warning(
                "listener lost; polling until it is back", extra={"channel": self.channel, "error": str(exc)[:200]}
            )
        finally:
            self.listening = False
        await asyncio.sleep(RETRY_S)
