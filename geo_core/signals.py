"""Signals geo_core sends for rooms built on it, which it cannot name."""

from django.dispatch import Signal

# Sent before a park's demo rows are deleted (demo.loader.reset_demo), so that rooms built on geo_core remove what
# they hold about them (the alarms room: the demo's alarms and its worker's saved state). Arguments: park,
# enterprise_ids, subject_ids.
demo_removed = Signal()
