"""The service's URLs. Rooms that build on geo_core (alarms, layers) add theirs through their own `urls` module,
included here by app name, so geo_core never imports them."""

from importlib.util import find_spec

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from geo_core import equipment_api as eq
from geo_core.audit import audit_view
from geo_core.health import healthz
from geo_core.imports_api import import_detail, imports
from geo_core.ingest.device_api import messages_view, single_view
from geo_core.ingest.report_api import report_view
from geo_core.metrics import metrics_view
from geo_core.openapi import openapi_view
from geo_core.transform_api import transform_view
from geo_core.zones_api import zone_detail, zones

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/audit/", audit_view, name="audit"),
    path("api/openapi.json", openapi_view, name="openapi"),
    path("api/transform", transform_view, name="transform"),
    path("api/zones", zones, name="zones"),
    path("api/zones/<int:zone_id>", zone_detail, name="zone"),
    path("api/equipment", eq.equipment_list, name="equipment-list"),
    path("api/equipment/reassign", eq.reassign, name="equipment-reassign"),
    path("api/equipment/service-age", eq.service_age, name="equipment-service-age"),
    path("api/equipment-faults", eq.fault_list, name="equipment-fault-list"),
    path("api/equipment/<str:equipment_id>", eq.equipment, name="equipment"),
    path("api/equipment/<str:equipment_id>/faults", eq.faults, name="equipment-faults"),
    path("api/equipment/<str:equipment_id>/records", eq.records, name="equipment-records"),
    path("api/equipment/<str:equipment_id>/checkins", eq.checkins, name="equipment-checkins"),
    path("api/equipment-faults/stats", eq.fault_stats, name="equipment-fault-stats"),
    path("api/maintenance-units", eq.units, name="maintenance-units"),
    path("api/maintenance-units/<str:unit_id>", eq.unit, name="maintenance-unit"),
    path("api/maintenance-units/<str:unit_id>/stations", eq.stations, name="rescue-stations"),
    path("api/rescue-stations/<str:station_id>", eq.station, name="rescue-station"),
    path("api/imports", imports, name="imports"),
    path("api/imports/<int:job_id>", import_detail, name="import"),
    path("api/report/v1/<slug:feed>", report_view, name="report"),
    path("api/devices/v1/messages", messages_view, name="device-messages"),
    path("api/devices/v1/<slug:device>/<str:ident>/<slug:kind>", single_view, name="device-message"),
    path("admin/", admin.site.urls),
]

urlpatterns += [
    path("", include(f"{app.name}.urls"))
    for app in apps.get_app_configs()
    if app.name != "geo_core" and not app.name.startswith("django.") and find_spec(f"{app.name}.urls")
]
