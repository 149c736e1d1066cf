"""What a caller may see (SEC-1), as one value that renders itself for every output: a SQL fragment with named
parameters (tiles, features, queries, heat maps, counts), the same fragment with positional ones, and an ORM filter.

The rules, in one place:
- park and city supervisors, and read-only clients (the city brain): everything;
- an enterprise user: the rows of its enterprise, and rows of no enterprise only where the kind of row says they
  are the park's and shared (`shared=True`: park-level fences every enterprise must know);
- a district officer: the district's geography. A row with a geometry is seen when that geometry lies (partly) in
  the district, whoever owns it (a mobile welder working there); a row without one (a rule, a suppression, an alarm
  with no place) when its enterprise has a site in the district.

Which of its fields a table's rule runs over is declared once on its model (`Model.VISIBILITY`, a `Visibility`):
"who may see a fence" is `Zone.VISIBILITY`; querysets, layers, search, statistics and the alarm redaction read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

_NAMED = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Scope:
    enterprises: frozenset[int] | None = None  # None: every enterprise
    districts: frozenset[int] | None = None  # district officers: the districts whose geography bounds what they see

    @property
    def everything(self) -> bool:
        return self.enterprises is None and self.districts is None

    @property
    def key(self) -> str:
        """A short stable text for cache keys: equal scopes see equal rows."""
        if self.everything:
            return "all"
        ents = "e" + ",".join(map(str, sorted(self.enterprises or ())))
        return ents if self.districts is None else "d" + ",".join(map(str, sorted(self.districts))) + ents

    def params(self) -> dict:
        """The values every fragment of `sql()` binds."""
        return {
            "s_all": self.everything,
            "s_geo": self.districts is not None,
            "s_ents": sorted(self.enterprises or ()),
            "s_districts": sorted(self.districts or ()),
        }

    @staticmethod
    def sql(enterprise: str | None, geom: str | None = None, shared: bool = False, districts: str | None = None) -> str:
        """A boolean SQL fragment over the given columns, the same text whatever the scope (so SQL composed once per
        layer stays composed); the scope comes in through `params()`. `enterprise` None: rows of no owner (regions),
        seen by all. `districts` instead of `geom`: an array column of the district regions the row's geometry lies
        in, worked out beforehand (counts computed once for every caller). Columns are our own identifiers, never
        user input."""
        if enterprise is None:
            return "TRUE"
        owned = f"{enterprise} = ANY(%(s_ents)s)" + (f" OR {enterprise} IS NULL" if shared else "")
        if districts is not None:
            in_districts = f"{districts} && %(s_districts)s::bigint[]"
            return f"(%(s_all)s OR (NOT %(s_geo)s AND ({owned})) OR (%(s_geo)s AND {in_districts}))"
        if geom is None:
            return f"(%(s_all)s OR {owned})"
        in_district = (
            f"EXISTS (SELECT 1 FROM geo_core_region s_r WHERE s_r.id = ANY(%(s_districts)s) "
            f"AND ST_Intersects(s_r.geom, {geom}))"
        )
        return (
            f"(%(s_all)s OR (NOT %(s_geo)s AND ({owned})) OR (%(s_geo)s AND ({in_district} "
            f"OR ({geom} IS NULL AND {enterprise} = ANY(%(s_ents)s)))))"
        )

    def positional(self, fragment: str) -> tuple[str, list]:
        """A fragment of `sql()` with `%s` placeholders and their values in order (for SQL built with lists)."""
        values = self.params()
        out: list = []

        def one(m: re.Match) -> str:
            out.append(values[m.group(1)])
            return "%s"

        return _NAMED.sub(one, fragment), out

    def where(self, enterprise: str | None, geom: str | None = None, shared: bool = False) -> tuple[str, list]:
        """`sql()` rendered positionally for this scope."""
        return self.positional(self.sql(enterprise, geom, shared))

    def q(self, enterprise: str | None, geom: str | None = None, shared: bool = False) -> Q:
        """The same rule as an ORM filter over `enterprise` (a foreign key path) and `geom` (a geometry field)."""
        if self.everything or enterprise is None:
            return Q()
        owned = Q(**{f"{enterprise}__in": self.enterprises or ()})
        if shared:
            owned |= Q(**{f"{enterprise}__isnull": True})
        if self.districts is None or geom is None:
            return owned
        from geo_core.models import Region

        inside = Exists(Region.objects.filter(id__in=self.districts, geom__intersects=OuterRef(geom)))
        return Q(inside) | Q(**{f"{geom}__isnull": True, f"{enterprise}__in": self.enterprises or ()})

    def prepare(self) -> Scope:
        """Load what `mask` needs from the database (a district officer's boundaries), so that `mask` can then run
        where the database may not be called (an event loop)."""
        if self.districts is not None:
            _districts(frozenset(self.districts))
        return self

    def mask(self, enterprises, lon, lat):
        """The same rule over arrays (a live feed's rows, filtered in memory for each subscriber): enterprise ids
        (None where a row has no owner) and points in CGCS2000 lon/lat; a boolean array."""
        import numpy as np

        n = len(lon)
        if self.everything:
            return np.ones(n, dtype=bool)
        if self.districts is None:
            owned = set(self.enterprises or ())
            return np.fromiter((e in owned for e in enterprises), dtype=bool, count=n)
        import shapely

        return shapely.contains_xy(_districts(frozenset(self.districts)), np.asarray(lon), np.asarray(lat))


@dataclass(frozen=True)
class Visibility:
    """Who may see a table's rows, declared once on its model (`Model.VISIBILITY`) and read by every output over the
    table: the API's querysets (`access.scoped`), the layers' SQL (by the columns their SELECT gives), search,
    statistics, the alarm redaction. `owner`: the field naming the owning enterprise (None: rows of no owner, seen
    by all); `place`: where a row is, for district officers (None: by owner only); `shared`: rows of no owner are the
    park's, seen by every enterprise (park-level fences, park-wide rules)."""

    owner: str | None = "enterprise"
    place: str | None = None
    shared: bool = False

    @property
    def public(self) -> bool:
        return self.owner is None

    def q(self, scope: Scope) -> Q:
        """The rule as an ORM filter over the model's own fields."""
        return scope.q(self.owner, self.place, self.shared)

    def sql(self, owner_column: str | None, place_column: str | None) -> str:
        """The rule as a SQL fragment (named parameters, `Scope.params()`) over the columns a SELECT gives."""
        return Scope.sql(owner_column if self.owner else None, place_column if self.place else None, self.shared)

    def where(self, scope: Scope, owner_column: str | None, place_column: str | None) -> tuple[str, list]:
        """The same, positionally, for this scope."""
        return scope.positional(self.sql(owner_column, place_column))


PUBLIC = Visibility(owner=None)
_DISTRICTS: dict[frozenset[int], object] = {}


def _districts(ids: frozenset[int]):
    """The union of districts' boundaries as a prepared shapely geometry, kept per set of districts (boundaries change
    by a release of data/regions, not during a stream)."""
    hit = _DISTRICTS.get(ids)
    if hit is None:
        import shapely

        from geo_core.models import Region

        shapes = [
            shapely.from_wkb(bytes(g.wkb)) for g in Region.objects.filter(id__in=ids).values_list("geom", flat=True)
        ]
        hit = shapely.union_all(shapes) if shapes else shapely.Polygon()
        shapely.prepare(hit)
        _DISTRICTS[ids] = hit
    return hit


EVERYTHING = Scope()
