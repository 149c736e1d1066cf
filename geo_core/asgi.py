"""ASGI entry point (uvicorn serves this; SSE streams need async views later)."""

import logging
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_core.settings")
os.environ.setdefault("GEO_DB_POOL", "true")  # see Config.db_pool
application = get_asgi_application()

from django.conf import settings  # noqa: E402  (after Django is set up)

from geo_core.config import describe  # noqa: E402

logging.getLogger("geo_core").info("service starting", extra={"config": describe(settings.CONFIG)})
