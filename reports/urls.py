from django.urls import path

from reports import records

urlpatterns = [path("api/records/scans", records.scans, name="scan-records")]
