"""Change notices for the channels table: the video layers' tiles (cameras and their fields of view) are dropped when
a channel is added, moved or re-aimed. A whole-layer notice (no geometry column): cameras change seldom, and a
re-aimed camera's old and new sectors need not share a box."""

import importlib

from django.db import migrations

notices = importlib.import_module("geo_core.migrations.0006_change_notifications")


class Migration(migrations.Migration):
    dependencies = [("video", "0001_initial"), ("geo_core", "0006_change_notifications")]

    operations = [migrations.RunSQL(notices.triggers("video_videochannel", ""), notices.drop("video_videochannel"))]
