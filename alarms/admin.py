from django.contrib import admin

from alarms.models import Alarm, AlarmAction, AlarmRule, Suppression, WorkOrder


@admin.register(AlarmRule)
class AlarmRuleAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "type", "active", "severity", "enterprise", "window_mode", "updated_at")
    list_filter = ("type", "active")
    filter_horizontal = ("zones", "time_windows")
    search_fields = ("name",)


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "active", "types", "zone", "enterprise", "starts_at", "ends_at", "time_window")


class ActionInline(admin.TabularInline):
    model = AlarmAction
    extra = 0
    readonly_fields = ("action", "by_name", "at", "comment", "data")
    can_delete = False


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "type",
        "code",
        "severity",
        "status",
        "company_code",
        "subject",
        "zone",
        "raised_at",
        "ended_at",
    )
    list_filter = ("category", "type", "status", "severity")
    search_fields = ("company_code", "subject__external_id", "key")
    readonly_fields = ("key", "evidence", "raised_at", "detected_at", "ended_at")
    raw_id_fields = ("subject", "zone", "permit", "enterprise", "rule", "suppressed_by")
    inlines = [ActionInline]


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ("number", "department", "enterprise", "status", "created_at", "resolved_at")
    list_filter = ("status", "department")
    raw_id_fields = ("alarm", "enterprise")
