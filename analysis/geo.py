"""Boundaries of Germany's Kreise and Länder for maps, in an equal-area projection.

The boundaries ship with the package in ``analysis/data/geo/`` (BKG VG5000, Stand 31.12.2023;
origin, changes and licence in ``analysis/data/geo/SOURCES.md``). Every map that uses them must
carry :data:`ATTRIBUTION`; :mod:`analysis.maps` prints it on every map.

The files are GeoJSON (RFC 7946, WGS84 longitude/latitude). Loading projects them to
**ETRS89-LAEA Europe (EPSG:3035)**, the Lambert azimuthal equal-area projection that Eurostat
and the EEA use for statistical maps of Europe: areas are true, so a large Kreis does not look
larger than it is, and shapes are close to true over Germany (scale error below 0.1 % at
Germany's edges, which lie at most 550 km from the projection centre at 52° N, 10° E).
Coordinates are returned in kilometres, so a map's axes have aspect 1. WGS84 and ETRS89 differ
by well under a metre in Germany, far below the 1:5,000,000 generalisation of VG5000.

No geopandas: the loader uses ``json`` and ``numpy``; :mod:`analysis.maps` draws with matplotlib.

The files are the project's BKG files unchanged: VG5000 is already generalised for
1:5,000,000 (about one point per kilometre of border), and simplifying further saved little
(see SOURCES.md for the measurement).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

import numpy as np

from model.errors import DataError

ATTRIBUTION = "© GeoBasis-DE / BKG (2024), dl-de/by-2-0 (Daten verändert)"
"""Source note required on every map that shows these boundaries (BKG's terms; the wording and
year follow the project's data sources file; 2024 is the year the data were retrieved)."""

GEO_DIR = "geo"
KREISE_FILE = f"{GEO_DIR}/de_kreise_vg5000_2023.geojson"
LAENDER_FILE = f"{GEO_DIR}/de_laender_vg5000_2023.geojson"
KEY_DIGITS: Mapping[str, int] = {"kreis": 5, "land": 2}
"""Digits of the key of each level (Kreis AGS, Land code)."""

KREIS_KEY_CHANGES: Mapping[str, tuple[str, ...]] = {}
"""Kreis keys of the model's register (Destatis GV100AD, Gebietsstand 30.11.2025) that are not
Kreise of the boundary file (VG5000, Stand 31.12.2023), mapped to the boundary Kreise that make
them up. Empty: both have the same 400 keys, since no Kreis has changed since 1 July 2021
(Eisenach merged into Wartburgkreis; both sources are later). After a future Kreis merger, add
``{"NEW_KEY": ("OLD_KEY_1", "OLD_KEY_2")}`` here: maps then draw the old Kreise with the new
Kreis's value. tests/test_maps.py fails until the register and this mapping agree."""

# ETRS89-LAEA Europe (EPSG:3035): GRS80 ellipsoid, centre 52° N 10° E, false easting 4,321 km
# and northing 3,210 km. Formulas: IOGP Guidance Note 7-2, "Lambert Azimuthal Equal Area"
# (ellipsoidal form, EPSG method 9820).
_GRS80_A_M = 6_378_137.0
_GRS80_F = 1 / 298.257222101
_LAEA_LAT0_DEG = 52.0
_LAEA_LON0_DEG = 10.0
_LAEA_FALSE_EASTING_M = 4_321_000.0
_LAEA_FALSE_NORTHING_M = 3_210_000.0


def _q(sin_lat: np.ndarray | float, e: float) -> np.ndarray | float:
    e2 = e * e
    return (1 - e2) * (
        sin_lat / (1 - e2 * sin_lat**2)
        - (1 / (2 * e)) * np.log((1 - e * sin_lat) / (1 + e * sin_lat))
    )


def laea_europe(lon_deg: np.ndarray, lat_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84/ETRS89 longitude and latitude to ETRS89-LAEA Europe (EPSG:3035).

    Args:
        lon_deg: Longitudes in degrees east.
        lat_deg: Latitudes in degrees north.

    Returns:
        Easting and northing in kilometres (with EPSG:3035's false origin).
    """
    e = math.sqrt(_GRS80_F * (2 - _GRS80_F))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lat0, lon0 = math.radians(_LAEA_LAT0_DEG), math.radians(_LAEA_LON0_DEG)
    q_pole = _q(1.0, e)
    q0 = _q(math.sin(lat0), e)
    beta0 = math.asin(q0 / q_pole)
    beta = np.arcsin(_q(np.sin(lat), e) / q_pole)
    r_q = _GRS80_A_M * math.sqrt(q_pole / 2)
    d = (
        _GRS80_A_M
        * math.cos(lat0)
        / (math.sqrt(1 - e * e * math.sin(lat0) ** 2) * r_q * math.cos(beta0))
    )
    dlon = lon - lon0
    b = r_q * np.sqrt(
        2 / (1 + math.sin(beta0) * np.sin(beta) + math.cos(beta0) * np.cos(beta) * np.cos(dlon))
    )
    east = _LAEA_FALSE_EASTING_M + b * d * np.cos(beta) * np.sin(dlon)
    north = _LAEA_FALSE_NORTHING_M + (b / d) * (
        math.cos(beta0) * np.sin(beta) - math.sin(beta0) * np.cos(beta) * np.cos(dlon)
    )
    return east / 1000.0, north / 1000.0


Polygon = tuple[np.ndarray, ...]
"""One polygon: its outer ring first, then its holes; each ring an (n, 2) array of closed
coordinates (first point repeated at the end), outer rings counter-clockwise."""


@dataclass(frozen=True, eq=False)
class Boundaries:
    """Polygons of one level (Kreise or Länder), keyed by AGS, in EPSG:3035 kilometres.

    Attributes:
        level: ``kreis`` or ``land``.
        keys: The keys in file order (5-digit Kreis AGS or 2-digit Land code).
        names: Key -> name (BKG attribute ``GEN``).
        polygons: Key -> its polygons (a Kreis with islands has several).
        crs: Description of the coordinates.
    """

    level: str
    keys: tuple[str, ...]
    names: Mapping[str, str]
    polygons: Mapping[str, tuple[Polygon, ...]]
    crs: str = "ETRS89-LAEA Europe (EPSG:3035), km"

    def bounds(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` over all polygons, in km."""
        points = np.concatenate([p[0] for polys in self.polygons.values() for p in polys])
        return (float(points[:, 0].min()), float(points[:, 1].min()),
                float(points[:, 0].max()), float(points[:, 1].max()))  # fmt: skip


def _geometry_polygons(geometry: Mapping, where: str) -> list[list[list[list[float]]]]:
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["coordinates"]]
    if kind == "MultiPolygon":
        return list(geometry["coordinates"])
    raise DataError(f"{where}: geometry type {kind!r}; allowed: Polygon, MultiPolygon")


def _read_geojson(file: str) -> dict:
    source = resources.files("analysis.data").joinpath(file)
    try:
        with source.open("r", encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise DataError(f"analysis/data/{file}: packaged boundary file is missing") from None
    except json.JSONDecodeError as err:
        raise DataError(f"analysis/data/{file}: not valid JSON ({err})") from None


def boundaries_from_geojson(collection: Mapping, level: str, where: str) -> Boundaries:
    """Check a GeoJSON feature collection and project it (see :class:`Boundaries`).

    Args:
        collection: The parsed GeoJSON (features with ``id`` = AGS and ``properties.GEN``).
        level: ``kreis`` or ``land``.
        where: File name for messages.

    Raises:
        DataError: A key has the wrong number of digits or repeats, or a ring is not closed
            or has fewer than four points.
    """
    digits = KEY_DIGITS[level]
    names: dict[str, str] = {}
    polygons: dict[str, tuple[Polygon, ...]] = {}
    for feature in collection.get("features", []):
        key = str(feature.get("id", ""))
        if len(key) != digits or not key.isdigit():
            raise DataError(f"{where}: feature id {key!r}: must be {digits} digits")
        if key in polygons:
            raise DataError(f"{where}: feature id {key!r}: repeated")
        feature_polys = []
        for polygon in _geometry_polygons(feature.get("geometry") or {}, f"{where}: {key}"):
            rings = []
            for ring in polygon:
                lonlat = np.asarray(ring, dtype=float)
                if len(lonlat) < 4 or not np.array_equal(lonlat[0], lonlat[-1]):
                    raise DataError(f"{where}: {key}: ring not closed or under 4 points")
                x, y = laea_europe(lonlat[:, 0], lonlat[:, 1])
                xy = np.column_stack([x, y])
                xy.setflags(write=False)
                rings.append(xy)
            feature_polys.append(tuple(rings))
        names[key] = str(feature.get("properties", {}).get("GEN", key))
        polygons[key] = tuple(feature_polys)
    if not polygons:
        raise DataError(f"{where}: no features")
    return Boundaries(level=level, keys=tuple(polygons), names=names, polygons=polygons)


@functools.cache
def load_kreise() -> Boundaries:
    """The 400 Kreise (keys: 5-digit AGS), land area, EPSG:3035 km. Cached per process."""
    return boundaries_from_geojson(_read_geojson(KREISE_FILE), "kreis", KREISE_FILE)


@functools.cache
def load_laender() -> Boundaries:
    """The 16 Länder (keys: 2-digit codes 01–16), land area, EPSG:3035 km. Cached."""
    return boundaries_from_geojson(_read_geojson(LAENDER_FILE), "land", LAENDER_FILE)


def kreis_key_mismatch(register_keys: Iterable[str]) -> tuple[list[str], list[str]]:
    """Compare the model's Kreis keys with the boundary file, after :data:`KREIS_KEY_CHANGES`.

    Args:
        register_keys: Kreis keys of the model's register (``load_germany().kreise.index``).

    Returns:
        ``(without_polygon, without_register_entry)``: register keys that have no boundary
        (neither directly nor through the mapping), and boundary keys that no register key
        covers. Both empty when the two agree.
    """
    geometry = set(load_kreise().keys)
    covered: set[str] = set()
    without_polygon = []
    for key in register_keys:
        parts = KREIS_KEY_CHANGES.get(key, (key,))
        if all(part in geometry for part in parts):
            covered.update(parts)
        else:
            without_polygon.append(key)
    return sorted(without_polygon), sorted(geometry - covered)


def ring_area_km2(ring: np.ndarray) -> float:
    """Signed area of a closed ring in projected km (shoelace; positive counter-clockwise)."""
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


def area_km2(polygons: Iterable[Polygon]) -> float:
    """Area of polygons with holes, km² (EPSG:3035 is equal-area, so this is the true area)."""
    return sum(
        abs(ring_area_km2(poly[0])) - sum(abs(ring_area_km2(h)) for h in poly[1:])
        for poly in polygons
    )
