"""Ingest: every source (report API, MQTT chips, HTTP devices, simulator) is parsed into records, normalised to
CGCS2000 with the raw input kept, and written through one batch writer (writer.py)."""
