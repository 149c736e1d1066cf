"""The committed administrative boundaries load completely, validly and idempotently."""

from __future__ import annotations

import gzip
import json

import pytest
from django.core.management.base import CommandError

from geo_core.management.commands.load_regions import load_regions
from geo_core.models import Region

pytestmark = pytest.mark.django_db


def test_shanghai_shaanxi_and_changzhou_are_loaded_with_their_hierarchy():
    districts = Region.objects.filter(level="district")
    assert districts.filter(code__startswith="31").count() == 16
    assert Region.objects.filter(level="city", code__startswith="61").count() == 10
    assert districts.filter(code__startswith="61").count() > 100
    assert set(districts.filter(code__startswith="3204").values_list("name", flat=True)) == {
        "天宁区",
        "钟楼区",
        "新北区",
        "武进区",
        "金坛区",
        "溧阳市",
    }
    jinshan = Region.objects.get(code="310116")
    assert jinshan.name == "金山区"
    assert jinshan.parent.code == "310100"
    assert jinshan.parent.parent.code == "310000"
    assert Region.objects.get(code="320412").parent.name == "常州市"


def test_every_boundary_is_valid_cgcs2000():
    for region in Region.objects.all():
        assert region.geom.srid == 4490
        assert region.geom.valid, f"{region}: {region.geom.valid_reason}"


def test_districts_tile_their_city_without_big_gaps_or_overlaps():
    city = Region.objects.get(code="310100").geom
    union = None
    total = 0.0
    for d in Region.objects.filter(level="district", code__startswith="31"):
        total += d.geom.area
        union = d.geom if union is None else union.union(d.geom)
    assert abs(union.area - city.area) / city.area < 0.01
    assert (total - union.area) / union.area < 0.001  # overlaps are sliver-thin


def test_extraction_converts_amap_gcj02_polygons_back_to_cgcs2000():
    """scripts/extract_regions.py undoes the GCJ-02 shift: a polygon shifted into GCJ-02 comes back to within
    1e-7 degrees (the rounding of the committed file)."""
    import importlib.util
    from pathlib import Path

    import numpy as np
    import shapely

    from coord_transform.gcj02 import wgs84_to_gcj02

    path = Path(__file__).resolve().parents[2] / "scripts" / "extract_regions.py"
    spec = importlib.util.spec_from_file_location("extract_regions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    truth = shapely.Polygon([(121.40, 30.78), (121.46, 30.78), (121.46, 30.82), (121.40, 30.82)])
    shifted = shapely.transform(truth, lambda c: np.column_stack(wgs84_to_gcj02(c[:, 0], c[:, 1])))
    assert shapely.hausdorff_distance(shifted, truth) > 0.004  # the shift is ~500 m here
    back = module.convert(shapely.geometry.mapping(shifted))
    assert back.geom_type == "MultiPolygon"
    assert shapely.hausdorff_distance(back, truth) < 1.5e-7


def test_second_load_changes_nothing():
    assert load_regions(progress=False) == {"created": 0, "updated": 0, "unchanged": 144}


def test_a_bad_feature_is_named_by_index_code_and_field(tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[121, 31], [121.1, 31.1], [121.1, 31], [121, 31.1], [121, 31]]]}
    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "319999", "name": "坏区", "level": "district", "parent_code": "310100"},
                "geometry": bowtie,
            }
        ],
    }
    path = tmp_path / "bad.geojson.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        json.dump(data, fh)
    with pytest.raises(CommandError, match=r"feature 0 \(code '319999', '坏区'\): field geometry: .*Self-intersection"):
        load_regions(path, progress=False)
    assert not Region.objects.filter(code="319999").exists()
