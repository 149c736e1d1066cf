"""3D Tiles kept in the database: a tileset (tileset.json and its glTF contents) generated from the park's footprints
(layers.tiles3d), served at /maps/3dtiles/. In the database rather than in files so that every deployment, test and
benchmark reads the tileset of its own data."""

from __future__ import annotations

from django.db import models


class TilesetFile(models.Model):
    path = models.CharField(max_length=200, unique=True, help_text="path under /maps/3dtiles/, e.g. tileset.json")
    content = models.BinaryField(help_text="gzip-compressed (compressed once when built)")
    content_type = models.CharField(max_length=64)
    etag = models.CharField(max_length=64)
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.path
