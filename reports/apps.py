from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Records people search, statistics, trends and report files (DESIGN.md: may import geo_core, alarms and layers).
    Issue 28 builds it; its first record list is the machines' start-ups (扫码开机记录)."""

    name = "reports"
    verbose_name = "Reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alarms.store import alarms_written
        from reports.work_records import keep

        alarms_written.connect(keep, dispatch_uid="reports.work_records")
