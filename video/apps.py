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
        from video.models import InspectionPlan, VideoChannel

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

        # How far an inspection plan's visits are (video/inspections.py), as the 执法 panel colours them.
        declare(
            "inspection_status",
            [
                Term("visited", "已检查", "visited", "#2ea44f", "#3fb950"),
                Term("on_site", "检查中", "on site now", "#d73a49", "#f85149"),
                Term("to_visit", "待检查", "to visit", "#6a737d", "#8b949e"),
            ],
        )
        zh = dict(InspectionPlan.Kind.choices)
        declare(
            "inspection_kind",
            [
                Term("site", zh["site"], "Site inspection", "#0366d6", "#58a6ff"),
                Term("review", zh["review"], "Rectification review", "#6f42c1", "#a371f7"),
                Term("special", zh["special"], "Special inspection", "#b08800", "#e3b341"),
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
