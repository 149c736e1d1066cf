from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo park, its loader and its simulator: a room of its own (DESIGN.md), which may import every other
    room and which none imports."""

    name = "demo"
    verbose_name = "Demo park"
