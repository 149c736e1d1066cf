"""The park administers contractors here: units and their blacklist, staff, the park's own certification
(`Qualification.park_certified`, which no enterprise report sets), training, vehicles and the filings."""

from django.contrib import admin

from geo_core.models import (
    Contractor,
    ContractorStaff,
    ContractorVehicle,
    DailyFiling,
    Qualification,
    StaffFiling,
    Training,
)


class QualificationInline(admin.TabularInline):
    model = Qualification
    extra = 0
    fields = ("staff", "kind", "number", "valid_from", "valid_until", "park_certified", "revoked")


@admin.register(Contractor)
class ContractorAdmin(admin.ModelAdmin):
    list_display = ("credit_code", "name", "contact", "blacklisted", "updated_at")
    list_filter = ("blacklisted",)
    search_fields = ("credit_code", "name")
    filter_horizontal = ("enterprises",)
    inlines = [QualificationInline]


@admin.register(ContractorStaff)
class ContractorStaffAdmin(admin.ModelAdmin):
    list_display = ("name", "identify_masked", "contractor", "trade", "active")
    list_filter = ("active",)
    search_fields = ("name", "contractor__name")
    readonly_fields = ("identify_sha256", "identify_masked")


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ("kind", "number", "contractor", "staff", "valid_until", "park_certified", "revoked")
    list_filter = ("park_certified", "revoked", "kind")
    search_fields = ("number", "contractor__name")


@admin.register(Training)
class TrainingAdmin(admin.ModelAdmin):
    list_display = ("staff", "course", "completed_on", "valid_until", "passed")


@admin.register(ContractorVehicle)
class ContractorVehicleAdmin(admin.ModelAdmin):
    list_display = ("plate", "contractor", "kind", "confirmed_by")
    search_fields = ("plate",)


@admin.register(StaffFiling)
class StaffFilingAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "contractor", "project", "valid_from", "valid_until")
    filter_horizontal = ("staff",)


@admin.register(DailyFiling)
class DailyFilingAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "day", "special_work", "person_in_charge", "filed_at")
    list_filter = ("day",)
