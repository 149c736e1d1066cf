from django.urls import path

from video import api, binding, calls, inspections

urlpatterns = [
    path("api/video/channels", api.channels, name="video-channels"),
    path("api/video/at", api.at, name="video-at"),
    path("api/video/channels/<str:code>", api.channel, name="video-channel"),
    path("api/video/channels/<str:code>/live", api.live, name="video-live"),
    path("api/video/channels/<str:code>/record", api.record, name="video-record"),
    path("api/video/verify", api.verify, name="video-verify"),
    path("api/video/holders/<str:subject_id>", binding.holder, name="video-holder"),
    path("api/calls", calls.calls, name="calls"),
    path("api/calls/<str:call_id>", calls.call, name="call"),
    path("api/calls/<str:call_id>/members", calls.add_members, name="call-members"),
    path("api/calls/<str:call_id>/members/<str:member_id>", calls.remove_member, name="call-member"),
    path("api/calls/<str:call_id>/end", calls.end, name="call-end"),
    path("api/inspections", inspections.inspections, name="inspections"),
    path("api/inspections/<str:plan_id>", inspections.inspection, name="inspection"),
]
