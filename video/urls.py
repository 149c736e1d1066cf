from django.urls import path

from video import api

urlpatterns = [
    path("api/video/channels", api.channels, name="video-channels"),
    path("api/video/at", api.at, name="video-at"),
    path("api/video/channels/<str:code>/live", api.live, name="video-live"),
    path("api/video/channels/<str:code>/record", api.record, name="video-record"),
    path("api/video/verify", api.verify, name="video-verify"),
]
