"""POST /api/transform: batch coordinate conversion over HTTP (CRS-5), a thin layer over coord_transform.

Three bodies, one answer shape each:
- JSON arrays: {"src": "gcj02", "dst": "cgcs2000", "x": [...], "y": [...], "z": [...]?}
  -> {"x": [...], "y": [...], "z"?, "info": {...}}
- GeoJSON (geometry, Feature or FeatureCollection) with ?src=&dst= -> the same object converted, plus a
  "transform" member with the info (a foreign member, allowed by RFC 7946).
- application/octet-stream with ?src=&dst=&dims=2|3: little-endian float64, interleaved x,y[,z] -> the same layout;
  the info comes in the X-Transform-Info header. The fastest path, for bulk clients.

Options (query string or JSON members): park=<code> and calibration=none|active|<version> for Shanghai 2000.
Up to GEO_TRANSFORM_MAX_POINTS points (default 1,000,000) per request. Input is checked whole before anything is
converted; a bad point answers 400 naming its index and the reason. Answers are streamed in chunks from the
converted arrays, so a million points never sit in memory as one response string.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import numpy as np
import orjson
from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from coord_transform import Calibration, TransformError, transform
from coord_transform.geojson import GEOMETRY_TYPES, transform_geojson
from geo_core.calibrations import active_calibration
from geo_core.errors import BadRequestError, NotFoundError, RequestTooLargeError
from geo_core.models import Park
from geo_core.params import INT, integer

OUT_CHUNK = 65_536  # points per streamed piece
READ_CHUNK = 1 << 20
JSON_BYTES_PER_POINT = 64  # generous: two or three numbers of ~20 characters and separators
GEOJSON_TYPES = GEOMETRY_TYPES | {"GeometryCollection", "Feature", "FeatureCollection"}


def _max_points() -> int:
    return settings.CONFIG.transform_max_points


def _read_all(request: HttpRequest, limit: int) -> bytes:
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > limit:
        raise RequestTooLargeError(f"request body of {length} bytes is over the {limit} bytes accepted")
    data = request.read()  # the stream, not request.body: our own limit applies, not the form-upload one
    if len(data) > limit:
        raise RequestTooLargeError(f"request body is over the {limit} bytes accepted")
    return data


def _numbers(values: object, field: str) -> np.ndarray:
    if not isinstance(values, list):
        raise TransformError(f"{field} must be an array of numbers", field=field)
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.ndim != 1:
        bad = next(i for i, v in enumerate(values) if not isinstance(v, (int, float)))
        raise TransformError(f"{values[bad]!r} is not a number", index=bad, field=field) from None
    return arr


async def _calibration(options: dict) -> Calibration | None:
    park_code = options.get("park")
    choice = str(options.get("calibration") or ("active" if park_code else "none")).lower()
    if choice == "none":
        return None
    if not park_code:
        raise BadRequestError(f"calibration={choice!r} needs park=<code>")
    try:
        park = await Park.objects.aget(code=park_code)
    except Park.DoesNotExist:
        raise NotFoundError(f"no park with code {park_code!r}") from None
    if choice == "active":
        cal = await sync_to_async(active_calibration)(park)
        return cal.fitted() if cal else None
    if not INT.fullmatch(choice):
        raise BadRequestError(f"calibration must be none, active or a version number, not {choice[:40]!r}")
    version = integer(choice, "calibration", 0, 2**31 - 1)
    cal = await park.calibrations.filter(version=version).afirst()
    if cal is None:
        raise NotFoundError(f"park {park_code!r} has no calibration version {choice}")
    return await sync_to_async(cal.fitted)()


def _require(options: dict, *names: str) -> list[str]:
    missing = [n for n in names if not options.get(n)]
    if missing:
        raise BadRequestError(f"missing {' and '.join(missing)} (query parameters or JSON members)")
    return [str(options[n]) for n in names]


async def _json_arrays_stream(x: np.ndarray, y: np.ndarray, z: np.ndarray | None, info: dict) -> AsyncIterator[bytes]:
    arrays = [(b"x", x), (b"y", y)] + ([(b"z", z)] if z is not None else [])
    yield b"{"
    for k, (name, arr) in enumerate(arrays):
        yield (b"," if k else b"") + b'"' + name + b'":['
        for start in range(0, arr.shape[0], OUT_CHUNK):
            piece = orjson.dumps(arr[start : start + OUT_CHUNK], option=orjson.OPT_SERIALIZE_NUMPY)[1:-1]
            yield (b"," if start else b"") + piece
        yield b"]"
    yield b',"info":' + orjson.dumps(info) + b"}"


async def _binary_stream(x: np.ndarray, y: np.ndarray, z: np.ndarray | None) -> AsyncIterator[bytes]:
    dims = 2 if z is None else 3
    for start in range(0, x.shape[0], OUT_CHUNK):
        end = min(start + OUT_CHUNK, x.shape[0])
        out = np.empty((end - start, dims), dtype="<f8")
        out[:, 0] = x[start:end]
        out[:, 1] = y[start:end]
        if z is not None:
            out[:, 2] = z[start:end]
        yield out.tobytes()


def _read_binary(request: HttpRequest, dims: int) -> np.ndarray:
    length = int(request.META.get("CONTENT_LENGTH") or -1)
    per_point = 8 * dims
    if length < 0:
        raise BadRequestError("binary bodies need a Content-Length")
    if length % per_point:
        raise TransformError(f"body of {length} bytes is not a whole number of {dims}-value float64 points")
    count = length // per_point
    if count > _max_points():
        raise RequestTooLargeError(f"{count} points; at most {_max_points()} per request")
    buf = np.empty(count * dims, dtype="<f8")
    view = memoryview(buf).cast("B")
    pos = 0
    while pos < length:
        chunk = request.read(min(READ_CHUNK, length - pos))
        if not chunk:
            raise BadRequestError(f"body ended after {pos} of {length} bytes")
        view[pos : pos + len(chunk)] = chunk
        pos += len(chunk)
    return buf.reshape(count, dims)


@csrf_exempt
async def transform_view(request: HttpRequest):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    options = dict(request.GET.items())
    content_type = request.content_type or ""
    if content_type == "application/octet-stream":
        src, dst = _require(options, "src", "dst")
        dims = options.get("dims", "2")
        if dims not in ("2", "3"):
            raise BadRequestError(f"dims must be 2 or 3, not {dims!r}")
        points = await sync_to_async(_read_binary)(request, int(dims))
        cal = await _calibration(options)
        z = points[:, 2] if dims == "3" else None
        result = await sync_to_async(transform)(points[:, 0], points[:, 1], src, dst, z, cal)
        del points
        response = StreamingHttpResponse(
            _binary_stream(result.x, result.y, result.z), content_type="application/octet-stream"
        )
        response["X-Transform-Info"] = json.dumps(result.info)
        response["X-Points"] = str(result.x.shape[0])
        return response

    body = await sync_to_async(_read_all)(request, _max_points() * JSON_BYTES_PER_POINT)
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"body is not JSON: {exc}") from None
    del body
    if not isinstance(doc, dict):
        raise BadRequestError("body must be a JSON object")
    if doc.get("type") in GEOJSON_TYPES:
        src, dst = _require(options, "src", "dst")
        cal = await _calibration(options)
        out, info = await sync_to_async(transform_geojson)(doc, src, dst, cal, True)
        out["transform"] = info
        return JsonResponse(out, json_dumps_params={"ensure_ascii": False})

    for key in ("src", "dst", "park", "calibration"):
        if key in doc and key not in options:
            options[key] = doc[key]
    src, dst = _require(options, "src", "dst")
    if "x" not in doc or "y" not in doc:
        raise BadRequestError('give "x" and "y" arrays, or a GeoJSON object with ?src=&dst=')
    x = _numbers(doc.pop("x"), "x")
    y = _numbers(doc.pop("y"), "y")
    z = _numbers(doc.pop("z"), "z") if doc.get("z") is not None else None
    if x.shape[0] > _max_points():
        raise RequestTooLargeError(f"{x.shape[0]} points; at most {_max_points()} per request")
    cal = await _calibration(options)
    result = await sync_to_async(transform)(x, y, src, dst, z, cal)
    del x, y, z
    return StreamingHttpResponse(
        _json_arrays_stream(result.x, result.y, result.z, result.info), content_type="application/json"
    )
