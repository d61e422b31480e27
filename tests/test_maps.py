"""Boundaries, projection, choropleth maps and the shared figure style (analysis.geo, .maps,
.style). Numbers marked "hand-checked" were worked out by hand from the sources named."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import geo, maps, style
from model.agencies import LEVELS
from model.geography import load_germany
from model.kpis import KPIS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def germany():
    return load_germany()


# --- boundaries and projection ----------------------------------------------------------------


def test_laea_matches_the_iogp_worked_example():
    # IOGP Guidance Note 7-2, Lambert Azimuthal Equal Area, ETRS89 / LAEA Europe (EPSG:3035):
    # 50° N, 5° E -> E 3,962,799.45 m, N 2,999,718.85 m.
    east_km, north_km = geo.laea_europe(np.array([5.0]), np.array([50.0]))
    assert east_km[0] * 1000 == pytest.approx(3_962_799.45, abs=0.01)
    assert north_km[0] * 1000 == pytest.approx(2_999_718.85, abs=0.01)


def test_every_kreis_of_the_register_has_a_polygon(germany):
    without_polygon, without_register = geo.kreis_key_mismatch(germany.kreise.index)
    assert (without_polygon, without_register) == ([], [])
    # The documented mismatch list: none between VG5000 31.12.2023 and GV100AD 30.11.2025.
    assert geo.KREIS_KEY_CHANGES == {}
    kreise = geo.load_kreise()
    assert len(kreise.keys) == 400 and set(kreise.keys) == set(germany.kreise.index)


def test_every_land_has_a_polygon(germany):
    laender = geo.load_laender()
    assert set(laender.keys) == set(germany.laender.index) and len(laender.keys) == 16
    assert laender.names["09"] == "Bayern"


def test_mismatch_is_reported_both_ways():
    keys = list(geo.load_kreise().keys)
    # A register with a Kreis the boundaries lack, and missing one the boundaries have.
    without_polygon, without_register = geo.kreis_key_mismatch([*keys[1:], "16099"])
    assert without_polygon == ["16099"]
    assert without_register == [keys[0]]


def test_laender_have_germanys_proportions():
    # Hand-checked from the bbox in the data sources file, 5.866–15.041° E, 47.270–55.057° N:
    # east-west 9.175° x 111.32 km x cos(51°) = 642.8 km; north-south 7.787° x 111.2 km = 866 km.
    xmin, ymin, xmax, ymax = geo.load_laender().bounds()
    east_west, north_south = xmax - xmin, ymax - ymin
    assert east_west == pytest.approx(642.8, rel=0.015)
    assert north_south == pytest.approx(866.0, rel=0.015)
    assert north_south / east_west == pytest.approx(866.0 / 642.8, rel=0.02)


def test_areas_match_destatis(germany):
    # Equal-area projection: polygon areas are land areas. Destatis GV100AD: 357,683.9 km².
    kreise = geo.load_kreise()
    areas = pd.Series({k: geo.area_km2(kreise.polygons[k]) for k in kreise.keys})
    assert areas.sum() == pytest.approx(357_683.9, rel=0.005)
    ratio = areas / germany.kreise["area_km2"].reindex(areas.index)
    assert ratio.median() == pytest.approx(1.0, abs=0.01)
    # 1:5,000,000 generalisation of coastlines: Bremerhaven is the worst at 0.80.
    assert ratio.between(0.75, 1.25).all(), ratio[~ratio.between(0.75, 1.25)]


def test_each_land_is_the_union_of_its_kreise():
    kreise, laender = geo.load_kreise(), geo.load_laender()
    for land in laender.keys:
        own = sum(geo.area_km2(kreise.polygons[k]) for k in kreise.keys if k[:2] == land)
        assert geo.area_km2(laender.polygons[land]) == pytest.approx(own, rel=1e-3), land


# --- maps ---------------------------------------------------------------------------------------


def _kreis_values(scale: float = 1.0) -> pd.Series:
    keys = list(geo.load_kreise().keys)
    return pd.Series(np.arange(len(keys), dtype=float) * scale, index=keys)


def _filled(fig):
    return [c for ax in fig.axes for c in ax.collections if c.get_gid() == "filled"]


def test_panels_share_one_colour_scale_and_one_colour_bar():
    values = {"a": _kreis_values(1.0), "b": _kreis_values(2.0), "c": _kreis_values(0.5) - 50}
    fig = maps.kreis_map(values, label="Backlog (cases)")
    filled = _filled(fig)
    assert len(filled) == 3
    assert all(c.norm is filled[0].norm for c in filled)
    # Hand-checked: 400 keys, values 0..399 scaled: min is 0.5*0 - 50, max is 2*399 = 798.
    assert (filled[0].norm.vmin, filled[0].norm.vmax) == (-50.0, 798.0)
    colorbars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(colorbars) == 1 and len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes[:3]] == ["a", "b", "c"]


def test_diverging_scale_is_symmetric_and_clipping_is_shown():
    values = pd.Series(np.linspace(-1, 3, 16), index=list(geo.load_laender().keys))
    fig = maps.land_map(values, label="Difference", center=0.0)
    norm = _filled(fig)[0].norm
    assert (norm.vmin, norm.vmax) == (-3.0, 3.0)
    assert _filled(fig)[0].get_cmap().name == style.DIVERGING_CMAP
    fig = maps.land_map(values, label="Difference", vmin=0.0, vmax=2.0)
    colorbar_ax = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"][0]
    assert colorbar_ax._colorbar.extend == "both"


def test_missing_values_are_hatched_grey_with_a_legend():
    values = _kreis_values().drop(index=["01001"])
    values["01002"] = np.nan
    fig = maps.kreis_map(values, label="x", lang="de")
    missing = [c for c in fig.axes[0].collections if c.get_gid() == "missing"]
    assert len(missing) == 1 and len(missing[0].get_paths()) == 2
    assert missing[0].get_hatch() == style.MISSING_HATCH
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Keine Daten"]
    assert len(_filled(fig)[0].get_paths()) == 398


def test_no_legend_when_nothing_is_missing():
    fig = maps.land_map(pd.Series(1.0, index=list(geo.load_laender().keys)), label="x")
    assert fig.legends == []


def test_every_map_carries_the_source_note():
    for fig in (
        maps.kreis_map(_kreis_values(), label="x", note="foedsim runs"),
        maps.land_map(pd.Series({"01": 1.0}), label="x"),
    ):
        texts = [t.get_text() for t in fig.texts]
        assert any(geo.ATTRIBUTION in t for t in texts), texts
        assert maps.SOURCE_TEXT in style.figure_sources(fig)
    assert geo.ATTRIBUTION == "© GeoBasis-DE / BKG (2024), dl-de/by-2-0 (Daten verändert)"


def _pixels_at(fig, lon: float, lat: float) -> np.ndarray:
    """RGB pixels of a 5 x 5 patch around a point of the first panel."""
    fig.set_dpi(200)  # about 1 km a pixel; Halle (Saale) is about 15 km across
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    x, y = geo.laea_europe(np.array([lon]), np.array([lat]))
    px, py = fig.axes[0].transData.transform((x[0], y[0]))
    row, col = pixels.shape[0] - 1 - int(py), int(px)
    return pixels[row - 2 : row + 3, col - 2 : col + 3].reshape(-1, 3)


@pytest.mark.parametrize("without_value", ["15002", "15088"])
def test_enclave_and_surrounding_kreis_are_drawn_apart(without_value):
    # Halle (Saale) (15002) lies inside the Saalekreis (15088), whose polygon has the city as a
    # hole. Whichever of the two lacks a value, the city centre must show the city's own state:
    # no-data grey when the city lacks one, the city's colour when the Saalekreis lacks one
    # (which fails if holes are not cut out of the Saalekreis).
    values = pd.Series(1.0, index=list(geo.load_kreise().keys)).drop(index=without_value)
    fig = maps.kreis_map(values, label="x", land_borders=False)
    patch = _pixels_at(fig, 11.970, 51.483)  # Marktplatz
    fill = np.asarray(_filled(fig)[0].get_facecolor()[0][:3]) * 255
    is_grey = (patch.max(axis=1) - patch.min(axis=1) < 30).all()
    is_fill = (np.abs(patch - fill).sum(axis=1) < 15).all()
    assert (is_grey, is_fill) == ((True, False) if without_value == "15002" else (False, True))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (pd.Series({1001: 1.0}), "dtype=str"),
        (pd.Series({"99999": 1.0}), "not a kreis of the boundary file"),
        (pd.Series([1.0, 2.0], index=["01001", "01001"]), "keys repeat"),
        (pd.Series({"01001": "many"}), "must be numbers"),
        (pd.Series({"01001": math.inf}), "infinite"),
        ([1, 2], "allowed: a pandas Series"),
    ],
)
def test_bad_values_give_one_line_errors(values, message):
    with pytest.raises(maps.MapError, match=message) as err:
        maps.kreis_map(values, label="x")
    assert "\n" not in str(err.value)


def test_land_map_rejects_kreis_keys():
    with pytest.raises(maps.MapError, match="2-digit"):
        maps.land_map(pd.Series({"01001": 1.0}), label="x")


def test_save_figure_writes_png_and_svg_atomically(tmp_path, monkeypatch):
    fig = maps.land_map(pd.Series({"01": 1.0, "02": 2.0}), label="x")
    written = style.save_figure(fig, tmp_path / "map", formats=("png", "svg"))
    assert [p.name for p in written] == ["map.png", "map.svg"]
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "map.svg").read_text()
    assert "<svg" in svg and "<dc:date>" not in svg  # no date: the same figure, the same bytes
    assert style.save_figure(fig, tmp_path / "again.svg")[0].read_text() == svg

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(style.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        style.save_figure(fig, tmp_path / "map.png")
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # old file intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.svg", "map.png", "map.svg"]


def test_save_figure_needs_a_format(tmp_path):
    fig = maps.land_map(pd.Series({"01": 1.0}), label="x")
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        style.save_figure(fig, tmp_path / "map.pdf")


# --- style --------------------------------------------------------------------------------------


def test_every_kpi_and_level_has_english_and_german_labels():
    for key in [k.name for k in KPIS] + list(LEVELS):
        en, de = style.label(key, "en"), style.label(key, "de")
        assert en.strip() and de.strip(), key
    assert style.label("gemeinde", "de") == "Gemeinde/Verwaltung"
    assert style.label("year", "de") == "Jahr"


def test_unknown_label_and_language_are_named():
    with pytest.raises(KeyError, match="backlog_cases"):
        style.label("backlog_case")
    with pytest.raises(ValueError, match="allowed: en, de"):
        style.label("year", "fr")


def test_scenario_colours_are_fixed_by_order():
    names = ["baseline", "efa", "central"]
    colors = style.scenario_colors(names)
    assert colors == {"baseline": "#0072B2", "efa": "#E69F00", "central": "#009E73"}
    assert style.scenario_colors(names) == colors
    nine = style.scenario_styles([f"s{i}" for i in range(9)])
    assert nine["s8"]["color"] == nine["s0"]["color"]  # colours repeat ...
    assert nine["s8"]["linestyle"] != nine["s0"]["linestyle"]  # ... with another line style
    assert len({(s["color"], s["linestyle"]) for s in nine.values()}) == 9
    with pytest.raises(ValueError, match="repeat"):
        style.scenario_styles(["a", "b", "a"])


def test_figures_use_agg_and_nothing_happens_at_import():
    code = (
        "import sys, analysis.style, analysis.maps, analysis.report;"
        "print(any(m.startswith('matplotlib') for m in sys.modules));"
        "import pandas as pd;"
        "fig = analysis.maps.land_map(pd.Series({'01': 1.0}), label='x');"
        "print(type(fig.canvas).__name__, 'matplotlib.pyplot' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.split() == ["False", "FigureCanvasAgg", "False"]
