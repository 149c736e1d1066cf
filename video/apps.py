from django.apps import AppConfig


class VideoConfig(AppConfig):
    """Video channels (GB/T 28181 codes, fields of view), the gateway to the deployment's media platform, the linkage
    of alarms and permits to channels, group calls (DESIGN.md: may import geo_core, and alarms to read)."""

    name = "video"
    verbose_name = "Video"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alarms import store
        from geo_core.gisfiles import targets
        from geo_core.ingest import report_api
        from geo_core.vocabulary import Term, declare
        from video import importing
        from video.evidence import offer_channels
        from video.models import VideoChannel

        if offer_channels not in store.EVIDENCE:
            store.EVIDENCE.append(offer_channels)  # the channels offered, in each new alarm's evidence
        targets.register(importing.TARGET)  # `--as video` in the GIS importer
        report_api.HANDLERS.update(importing.HANDLERS)  # the report API's `video-channels` feed (视频编码接口)

        # What a channel is (the video layers' colours, the players' labels); labels from the model's choices.
        zh = dict(VideoChannel.Kind.choices)
        declare(
            "video_kind",
            [
                Term("fixed", zh["fixed"], "Fixed camera", "#6f42c1", "#a371f7"),
                Term("ptz", zh["ptz"], "PTZ camera", "#8250df", "#bc8cff"),
                Term("body_camera", zh["body_camera"], "Body camera", "#0366d6", "#58a6ff"),
                Term("drone", zh["drone"], "Drone", "#1b7c83", "#39c5cf"),
            ],
        )

        # Why a camera is offered for a place (video.linkage), as the pages show it.
        declare(
            "camera_reason",
            [
                Term("field_of_view", "对准", "aimed at it", "#2ea44f", "#3fb950"),
                Term("nearest", "附近", "nearby", "#dbab09", "#e3b341"),
                Term("own", "随身", "carried", "#0366d6", "#58a6ff"),
            ],
        )
