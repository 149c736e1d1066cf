"""Connections of our own beside Django's (LISTEN feeds, async pools): one conninfo for the database Django uses."""

from __future__ import annotations

from django.db import connections
from psycopg.conninfo import make_conninfo


def conninfo(using: str = "default") -> str:
    s = connections[using].settings_dict
    parts = {"dbname": s["NAME"], "user": s["USER"], "password": s["PASSWORD"], "host": s["HOST"], "port": s["PORT"]}
    parts["options"] = s.get("OPTIONS", {}).get("options", "")
    return make_conninfo(**{k: str(v) for k, v in parts.items() if v})
