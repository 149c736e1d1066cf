"""geo_core: Django project (settings, urls, asgi), the domain model in PostGIS, ingest and queries."""
