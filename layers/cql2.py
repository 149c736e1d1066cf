"""CQL2 (OGC API - Features Part 3) text and JSON filters -> a parameterised SQL condition over a layer's columns.

pygeofilter parses both encodings into one AST (the well-kept parser pygeoapi uses); we translate that AST here
into SQL with every value bound as a parameter and every property checked against the layer's declared ones, so
nothing a client sends is ever spliced into SQL. Classes: basic-cql2, advanced comparison (LIKE, IN, BETWEEN),
basic spatial functions (S_INTERSECTS and the other simple-feature relations) with geometry literals in CGCS2000 /
WGS84 lon/lat (the two differ by less than a metre here).
"""

from __future__ import annotations

import json
from datetime import date, datetime

from pygeofilter import ast
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text
from pygeofilter.values import Envelope, Geometry

from geo_core.errors import BadRequestError
from tiles.source import quote_ident

COMPARE = {
    ast.Equal: "=",
    ast.NotEqual: "<>",
    ast.LessThan: "<",
    ast.LessEqual: "<=",
    ast.GreaterThan: ">",
    ast.GreaterEqual: ">=",
}
SPATIAL = {
    ast.GeometryIntersects: "ST_Intersects",
    ast.GeometryDisjoint: "ST_Disjoint",
    ast.GeometryWithin: "ST_Within",
    ast.GeometryContains: "ST_Contains",
    ast.GeometryTouches: "ST_Touches",
    ast.GeometryCrosses: "ST_Crosses",
    ast.GeometryOverlaps: "ST_Overlaps",
    ast.GeometryEquals: "ST_Equals",
}


def parse(text: str | None, lang: str | None) -> ast.Node | None:
    if not text:
        return None
    lang = lang or ("cql2-json" if text.lstrip().startswith("{") else "cql2-text")
    try:
        if lang == "cql2-json":
            return parse_json(json.loads(text))
        if lang == "cql2-text":
            return parse_text(text)
    except Exception as exc:
        raise BadRequestError(f"filter: not valid {lang}: {str(exc).splitlines()[0][:300]}") from None
    raise BadRequestError(f"filter-lang: {lang!r} is not supported; use cql2-text or cql2-json")


# The families values are compared within (a layer's declared property types, and literals by their Python type).
FAMILY = {
    "string": "text",
    "integer": "number",
    "number": "number",
    "boolean": "boolean",
    "datetime": "time",
    "date": "time",
    "geometry": "geometry",
}


def _literal_family(v) -> str | None:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "text"
    if isinstance(v, (datetime, date)):
        return "time"
    if isinstance(v, (Geometry, Envelope)):
        return "geometry"
    return None  # NULL, or an expression


class Translator:
    """An AST -> SQL, refusing with a 400 what PostgreSQL would refuse with an error: a comparison of values of
    different kinds (`name > 5`), a geometry compared as a value (`geom = 5`), a spatial function of something that
    is not a geometry (`S_INTERSECTS(name, POINT(1 2))`), LIKE on a number."""

    def __init__(self, columns: dict[str, str], geom: str = "geom"):
        self.columns = columns  # property -> JSON type
        self.geom = geom
        self.params: list = []

    def family(self, v) -> str | None:
        if isinstance(v, ast.Attribute):
            if v.name == self.geom or v.name in ("geometry", "geom"):
                return "geometry"
            return FAMILY.get(self.columns.get(v.name, ""))
        return _literal_family(v)

    @staticmethod
    def _name(v) -> str:
        return v.name if isinstance(v, ast.Attribute) else repr(v)[:40]

    def same(self, op: str, *operands) -> None:
        """All operands of one kind (NULL and expressions go with any); geometries only in spatial functions."""
        kinds = {(self._name(v), f) for v in operands if (f := self.family(v)) is not None}
        if any(f == "geometry" for _, f in kinds):
            raise BadRequestError(
                f"filter: {op} does not take a geometry; compare geometries with S_INTERSECTS, "
                "S_WITHIN and the other spatial functions"
            )
        if len({f for _, f in kinds}) > 1:
            said = ", ".join(f"{n} is {f}" for n, f in sorted(kinds))
            raise BadRequestError(f"filter: {op} compares values of different kinds ({said})")

    def sql(self, node) -> str:
        if isinstance(node, ast.And):
            return f"({self.sql(node.lhs)} AND {self.sql(node.rhs)})"
        if isinstance(node, ast.Or):
            return f"({self.sql(node.lhs)} OR {self.sql(node.rhs)})"
        if isinstance(node, ast.Not):
            return f"(NOT {self.sql(node.sub_node)})"
        if type(node) in COMPARE:
            self.same(COMPARE[type(node)], node.lhs, node.rhs)
            return f"({self.value(node.lhs)} {COMPARE[type(node)]} {self.value(node.rhs)})"
        if isinstance(node, ast.Like):
            if self.family(node.lhs) not in ("text", None):
                raise BadRequestError(
                    f"filter: LIKE takes a text, and {self._name(node.lhs)} is {self.family(node.lhs)}"
                )
            op = "ILIKE" if node.nocase else "LIKE"
            pattern = node.pattern.replace(node.singlechar, "_") if node.singlechar != "_" else node.pattern
            self.params.append(pattern)
            return f"({'NOT ' if node.not_ else ''}{self.value(node.lhs)}::text {op} %s)"
        if isinstance(node, ast.In):
            self.same("IN", node.lhs, *node.sub_nodes)
            items = ", ".join(self.value(v) for v in node.sub_nodes)
            return f"({self.value(node.lhs)} {'NOT ' if node.not_ else ''}IN ({items}))"
        if isinstance(node, ast.Between):
            self.same("BETWEEN", node.lhs, node.low, node.high)
            lhs, lo, hi = self.value(node.lhs), self.value(node.low), self.value(node.high)
            return f"({lhs} {'NOT ' if node.not_ else ''}BETWEEN {lo} AND {hi})"
        if isinstance(node, ast.IsNull):
            return f"({self.value(node.lhs)} IS {'NOT ' if node.not_ else ''}NULL)"
        if type(node) in SPATIAL:
            for v in (node.lhs, node.rhs):
                if self.family(v) != "geometry":
                    raise BadRequestError(
                        f"filter: {SPATIAL[type(node)]} takes geometries, and "
                        f"{self._name(v)} is {self.family(v) or 'not one'}"
                    )
            return f"{SPATIAL[type(node)]}({self.value(node.lhs)}, {self.value(node.rhs)})"
        if isinstance(node, bool):
            return "TRUE" if node else "FALSE"
        raise BadRequestError(f"filter: {type(node).__name__} is not supported here")

    def value(self, v) -> str:
        if isinstance(v, ast.Attribute):
            name = v.name
            if name == self.geom or name in ("geometry", "geom"):
                return f"src.{quote_ident(self.geom)}"
            if name not in self.columns:
                raise BadRequestError(f"filter: unknown property {name!r}; queryables: {', '.join(self.columns)}")
            return f"src.{quote_ident(name)}"
        if isinstance(v, Geometry):
            self.params.append(json.dumps(v.geometry))
            return "ST_SetSRID(ST_GeomFromGeoJSON(%s), 4490)"
        if isinstance(v, Envelope):
            self.params.extend([v.x1, v.y1, v.x2, v.y2])
            return "ST_MakeEnvelope(%s, %s, %s, %s, 4490)"
        if isinstance(v, (str, int, float, bool, datetime, date)) or v is None:
            self.params.append(v)
            return "%s"
        if isinstance(v, ast.Node):
            return self.sql(v)
        raise BadRequestError(f"filter: values of type {type(v).__name__} are not supported")


def to_sql(node, columns: dict[str, str], geom: str = "geom") -> tuple[str, list]:
    t = Translator(columns, geom)
    return t.sql(node), t.params
