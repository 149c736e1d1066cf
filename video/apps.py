from django.apps import AppConfig


class VideoConfig(AppConfig):
    """Video channels (GB/T 28181 codes, fields of view), the gateway to the deployment's media platform, the linkage
    of alarms and permits to channels, group calls (DESIGN.md: may import geo_core, and alarms to read)."""

    name = "video"
    verbose_name = "Video"
    default_auto_field = "django.db.models.BigAutoField"
