from django.urls import path

from web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", views.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    path("map/", views.map_page, name="map"),
    path("map/sw.js", views.service_worker, name="service-worker"),
    path("command/", views.command_page, name="command"),
    path("reports/", views.reports_page, name="reports"),
]
