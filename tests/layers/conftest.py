import pytest

from tests.geo_core.conftest import enterprise, make_enterprise, park
from tiles.cache import CACHE

__all__ = ["enterprise", "make_enterprise", "park"]


@pytest.fixture(autouse=True)
def fresh_tile_cache():
    """Each test's scene is rolled back without a NOTIFY (nothing committed): start every test with an empty cache."""
    CACHE.clear()
    yield
    CACHE.clear()
