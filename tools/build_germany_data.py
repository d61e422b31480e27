"""Build model/data/germany/*.csv from the project's shared source data (one-off, reproducible).

Usage: python build_germany_data.py SOURCE_DATA_DIR OUTPUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

LAND_CODES = {
    "01": "SH", "02": "HH", "03": "NI", "04": "HB", "05": "NW", "06": "HE", "07": "RP", "08": "BW",
    "09": "BY", "10": "SL", "11": "BE", "12": "BB", "13": "MV", "14": "SN", "15": "ST", "16": "TH",
}  # fmt: skip
STADTSTAATEN = {"BE", "HH", "HB"}
LEVELS = {
    "Insgesamt": "total",
    "Bundesbereich": "bund",
    "Landesbereich": "land",
    "Kommunaler Bereich": "kommunen",
    "Sozialversicherung": "sozialversicherung",
    "Bundesbeamte und -richter": "bund_beamte_richter",
    "Berufssoldaten": "bund_berufssoldaten",
    "Rechtlich selbständige Einrichtungen des Bundes": "bund_einrichtungen",
    "Bundeseisenbahnvermögen": "bund_eisenbahnvermoegen",
    "Postnachfolgeunternehmen": "bund_postnachfolger",
    "Schuldienst des Landesbereichs": "land_schuldienst",
    "Vollzugsdienst des Landesbereichs": "land_vollzugsdienst",
    "Übrige Landesbereiche": "land_uebrige",
}
PARENT = {
    "total": "",
    "bund": "total",
    "land": "total",
    "kommunen": "total",
    "sozialversicherung": "total",
}
STATUS = {
    "Insgesamt": "total",
    "Beamte, Richter, Berufs- und Zeitsoldaten": "beamte",
    "Arbeitnehmer": "arbeitnehmer",
}
SEX = {"Insgesamt": "total", "männlich": "male", "weiblich": "female"}


def thousands_to_persons(text: str) -> int:
    """Exact conversion of a GENESIS value like '11250.9' (thousand persons) to persons."""
    whole, _, frac = text.partition(".")
    assert len(frac) <= 3 and whole.isdigit() and (frac.isdigit() or frac == ""), text
    return int(whole) * 1000 + int((frac + "000")[:3])


def main(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    gv_dir = src / "gemeindeverzeichnis"
    gem = pd.read_csv(gv_dir / "gemeinden_2024.csv", dtype=str, keep_default_na=False)
    gem["bev"] = gem.bev_insgesamt.astype(int)
    inhabited_free = (gem.gemeindefrei == "True") & (gem.bev > 0)
    keep = (gem.gemeindefrei == "False") | inhabited_free
    g = gem[keep].copy()
    g = g.rename(
        columns={
            "land_schluessel": "land",
            "kreis_schluessel": "kreis",
            "gv_schluessel": "verwaltung",
            "bev_insgesamt": "population",
            "flaeche_km2": "area_km2",
        }
    )
    g = g[
        ["ags", "name", "typ", "gemeindefrei", "land", "kreis", "verwaltung", "population",
         "area_km2"]
    ].sort_values("ags")  # fmt: skip
    g.to_csv(out / "gemeinden.csv", index=False)
    print("gemeinden", len(g), g.population.astype(int).sum(), "inhabited gemeindefrei",
          int(inhabited_free.sum()), int(gem[inhabited_free].bev.sum()))  # fmt: skip

    gv = pd.read_csv(gv_dir / "gemeindeverbaende_2024.csv", dtype=str, keep_default_na=False)
    members = g.groupby("verwaltung").agg(
        n=("ags", "size"), pop=("population", lambda s: s.astype(int).sum())
    )
    gv = gv[gv.gv_schluessel.isin(members.index)].copy()
    # n_gemeinden and population for Verbände with >=1 Gemeinde equal the source; only the two
    # pseudo-Verbände of inhabited gemeindefreie Bezirke change (0 -> 1 member, 0 -> population).
    m = members.reindex(gv.gv_schluessel)
    changed = (gv.n_gemeinden.astype(int).to_numpy() != m.n.to_numpy()) | (
        gv.bev_insgesamt.astype(int).to_numpy() != m["pop"].to_numpy()
    )
    print("verwaltungen changed vs source:", gv[changed].gv_schluessel.tolist())
    gv["n_gemeinden"] = m.n.to_numpy()
    gv["bev_insgesamt"] = m["pop"].to_numpy()
    gv = gv.rename(
        columns={
            "gv_schluessel": "verwaltung",
            "gv_name": "name",
            "kreis_schluessel": "kreis",
            "land_schluessel": "land",
            "bev_insgesamt": "population",
        }
    )[["verwaltung", "name", "typ", "kreis", "land", "n_gemeinden", "population"]]
    gv = gv.sort_values("verwaltung")
    gv.to_csv(out / "verwaltungen.csv", index=False)
    print("verwaltungen", len(gv), gv.population.sum())

    kr = pd.read_csv(gv_dir / "kreise_2024.csv", dtype=str, keep_default_na=False)
    kr = kr.rename(
        columns={
            "kreis_schluessel": "kreis",
            "kreis_name": "name",
            "land_schluessel": "land",
            "bev_insgesamt": "population",
            "flaeche_km2": "area_km2",
        }
    )[["kreis", "name", "typ", "kreisfrei", "land", "population", "area_km2"]]
    kr = kr.sort_values("kreis")
    kr.to_csv(out / "kreise.csv", index=False)
    print("kreise", len(kr), kr.population.astype(int).sum())

    la = pd.read_csv(gv_dir / "laender_2024.csv", dtype=str, keep_default_na=False)
    la = la.rename(
        columns={"land_schluessel": "land", "land_name": "name", "bev_insgesamt": "population"}
    )
    la["code"] = la.land.map(LAND_CODES)
    la["stadtstaat"] = la.code.isin(STADTSTAATEN)
    la = la[["land", "name", "code", "stadtstaat", "population"]].sort_values("land")
    la.to_csv(out / "laender.csv", index=False)
    print("laender", len(la), la.population.astype(int).sum())

    bv = src / "bevoelkerungsvorausberechnung"
    p15 = pd.read_csv(bv / "laender_15kbv_varianten_2022_2070.csv", dtype=str)
    p15["year"] = p15.stichtag.str[:4].astype(int)
    assert (p15.stichtag.str[4:] == "-12-31").all()
    p15 = p15[(p15.year >= 2022) & (p15.year <= 2045)]
    p15 = pd.DataFrame(
        {
            "variant": p15.variante_kurz,
            "land": p15.land_schluessel,
            "year": p15.year,
            "population": p15.bev_1000.map(thousands_to_persons),
        }
    ).sort_values(["variant", "land", "year"])
    p15.to_csv(out / "projection_laender_15kbv.csv", index=False)
    print("15kbv", len(p15))

    p16 = pd.read_csv(bv / "deutschland_16kbv_v2_altersjahre_2025_2070.csv", dtype=str)
    assert (p16.variante_kurz == "G2L2W2").all() and (p16.geschlecht == "insgesamt").all()
    assert (p16.stichtag.str[4:] == "-12-31").all()
    p16["year"] = p16.stichtag.str[:4].astype(int)
    p16 = p16[(p16.year >= 2025) & (p16.year <= 2045)]
    p16 = pd.DataFrame(
        {
            "year": p16.year,
            "age": p16.alter.astype(int),
            "population": p16.bev_1000.map(thousands_to_persons),
        }
    ).sort_values(["year", "age"])
    p16.to_csv(out / "projection_germany_16kbv_age.csv", index=False)
    wa = p16[(p16.age >= 20) & (p16.age <= 66)].groupby("year").population.sum()
    print("16kbv", len(p16), "20-66:", wa.loc[[2025, 2030, 2035, 2040]].to_dict())

    pers = src / "personal_oeffentlicher_dienst"
    hc_file = "beschaeftigte_oeffentlicher_dienst_74111-0001_2000_2024.csv"
    hc = pd.read_csv(pers / hc_file, dtype=str)
    assert (hc.stichtag.str[4:] == "-06-30").all()
    hc = pd.DataFrame(
        {
            "year": hc.stichtag.str[:4].astype(int),
            "level": hc.beschaeftigungsbereich.map(LEVELS),
            "level_de": hc.beschaeftigungsbereich,
            "headcount": hc.beschaeftigte_1000.map(thousands_to_persons),
        }
    )
    assert hc.level.notna().all()
    hc.sort_values(["year", "level"]).to_csv(out / "staff_headcount_74111-0001.csv", index=False)

    ma = pd.read_csv(pers / "durchschnittsalter_beschaeftigte_74111-0003_2015_2024.csv", dtype=str)
    assert (ma.stichtag.str[4:] == "-06-30").all()
    ma = pd.DataFrame(
        {
            "year": ma.stichtag.str[:4].astype(int),
            "level": ma.beschaeftigungsbereich.map(LEVELS),
            "level_de": ma.beschaeftigungsbereich,
            "status": ma.dienstverhaeltnis.map(STATUS),
            "status_de": ma.dienstverhaeltnis,
            "sex": ma.geschlecht.map(SEX),
            "sex_de": ma.geschlecht,
            "mean_age_years": ma.durchschnittsalter_jahre,
        }
    )
    assert ma.notna().all().all()
    ma.sort_values(["year", "level", "status", "sex"]).to_csv(
        out / "staff_mean_age_74111-0003.csv", index=False
    )

    for name, col, target, outname in [
        ("versorgungszugaenge_ruhegehalt_74211-0003_2012_2024.csv", "anzahl", "retired_beamte",
         "staff_retirements_beamte_74211-0003.csv"),
        ("ruhestandseintrittsalter_74211-0008_2011_2024.csv", "durchschnittsalter_jahre",
         "mean_retirement_age_years", "staff_retirement_age_74211-0008.csv"),
    ]:  # fmt: skip
        t = pd.read_csv(pers / name, dtype=str)
        t = pd.DataFrame(
            {
                "year": t.jahr.astype(int),
                "level": t.koerperschaftsebene.map(LEVELS),
                "level_de": t.koerperschaftsebene,
                "depth": t.gliederungsebene.astype(int),
                target: t[col],
            }
        )
        assert t.level.notna().all()
        t.sort_values(["year", "depth", "level"]).to_csv(out / outname, index=False)
        print(outname, len(t))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
