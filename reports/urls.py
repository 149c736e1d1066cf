from django.urls import path

from reports import complaints, permit_board, records, report_files, trends, welders

urlpatterns = [
    path("api/records/scans", records.scans, name="scan-records"),
    path("api/records/key-area-work", records.key_area_work, name="key-area-work-records"),
    path("api/permits/board", permit_board.board, name="permit-board"),
    path("api/permits/months", permit_board.months, name="permit-months"),
    path("api/welders", welders.register, name="welders"),
    path("api/trends/startups", trends.startups, name="startup-trend"),
    path("api/complaints", complaints.complaints, name="complaints"),
    path("api/report-files", report_files.report_files, name="report-files"),
    path("api/report-files/<str:report_id>.<str:fmt>", report_files.report_file, name="report-file"),
    path("api/complaints/stats", complaints.stats, name="complaint-stats"),
    path("api/complaints/<str:number_>/feedback", complaints.feedback, name="complaint-feedback"),
    path("api/trends/alarms", trends.alarms, name="alarm-trend"),
    path("api/welders/stats", welders.stats, name="welder-stats"),
]
