"""ASGI entry point (uvicorn serves this; SSE streams need async views later)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_core.settings")
application = get_asgi_application()
