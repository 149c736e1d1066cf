from django.urls import path

from reports import records

urlpatterns = [
    path("api/records/scans", records.scans, name="scan-records"),
    path("api/records/key-area-work", records.key_area_work, name="key-area-work-records"),
]
