from django.urls import path

from alarms import api
from alarms.stream import alarm_stream

urlpatterns = [
    path("api/alarms/", api.alarm_list, name="alarms"),
    path("api/alarms/stream", alarm_stream, name="alarm-stream"),
    path("api/alarms/<int:alarm_id>", api.alarm_detail, name="alarm"),
    path("api/alarms/<int:alarm_id>/<slug:action>", api.alarm_action, name="alarm-action"),
    path("api/work-orders/", api.work_orders, name="work-orders"),
    path("api/work-orders/<str:number>", api.work_order_detail, name="work-order"),
    path("api/alarm-rules/", api.rules, name="alarm-rules"),
    path("api/alarm-rules/<int:rule_id>", api.rule_detail, name="alarm-rule"),
    path("api/alarm-suppressions/", api.suppressions, name="alarm-suppressions"),
]
