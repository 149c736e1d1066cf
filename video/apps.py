from django.apps import AppConfig


class VideoConfig(AppConfig):
    """Video channels (GB/T 28181 codes, fields of view), the gateway to the deployment's media platform, the linkage
    of alarms and permits to channels, group calls (DESIGN.md: may import geo_core, and alarms to read)."""

    name = "video"
    verbose_name = "Video"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from geo_core.vocabulary import Term, declare

        # Why a camera is offered for a place (video.linkage), as the pages show it.
        declare(
            "camera_reason",
            [
                Term("field_of_view", "对准", "aimed at it", "#2ea44f", "#3fb950"),
                Term("nearest", "附近", "nearby", "#dbab09", "#e3b341"),
                Term("own", "随身", "carried", "#0366d6", "#58a6ff"),
            ],
        )
