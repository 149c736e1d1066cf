"""ASGI entry point (uvicorn serves this): Django, with the rooms' ASGI middleware around it; the web server pools
its database connections (see Config.db_pool)."""

import logging
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_core.settings")
os.environ.setdefault("GEO_DB_POOL", "true")  # see Config.db_pool
application = get_asgi_application()

from django.conf import settings  # noqa: E402  (after Django is set up)
from django.utils.module_loading import import_string  # noqa: E402

# ASGI middleware of the rooms (settings.ASGI_MIDDLEWARE), outermost last: e.g. the cached-tile fast path.
for _path in getattr(settings, "ASGI_MIDDLEWARE", []):
    application = import_string(_path)(application)

from geo_core.config import describe  # noqa: E402

logging.getLogger("geo_core").info("service starting", extra={"config": describe(settings.CONFIG)})
