"""The report's "Structure and complementarity" sections (issue 20): on the overview, one
table of the five countries (TCI both ways, concentration, highest RCA, largest
agricultural gap) with a sentence computed from it; on each country page, its findings in
words (analysis.structure_findings), its highest-RCA products with China's imports of them,
its export concentration, and the agricultural potential table with the method's limits.
Pure: frames and text; report.pages turns them into sections. Without a world layer each
is one sentence naming the fetch that provides it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tradeviz.analysis import structure_findings as SF
from tradeviz.analysis.formatting import table
from tradeviz.vocab.countries import CA_ISO3, CHINA
from tradeviz.vocab.countries import name as country_name

CHN = CHINA.iso3
TITLE = "Structure and complementarity"


@dataclass
class Block:
    """One table of the section: its id, title, lead, unformatted rows (the CSV) and the
    formatted table."""

    sid: str
    title: str
    lead: str
    raw: pd.DataFrame
    shown: pd.DataFrame
    text_cols: tuple[str, ...] = ()


def _last(df: pd.DataFrame, col: str) -> float | None:
    return None if df.empty else float(df.sort_values("year")[col].iloc[-1])


def overview(ds) -> tuple[list[str], Block | None]:
    """Overview findings and the five countries' table; ([MISSING], None) without a world
    layer."""
    level = SF.world_level(ds)
    if level is None:
        return [SF.MISSING], None
    rows = []
    for c in ds.countries or CA_ISO3:
        out = ds.complementarity(CHN, c, level=level)
        back = ds.complementarity(c, CHN, level=level)
        conc = ds.concentration(c, "export", level=level)
        top = SF.top_rca(ds, c, level, n=1)
        pot = SF.potential(ds, c, level, n=1)
        pot = pot[pot["year"] == pot["year"].max()] if len(pot) else pot
        rows.append(
            {
                "country": c,
                "year": int(out["year"].max()) if len(out) else None,
                "tci_china_to": _last(out, "tci"),
                "tci_to_china": _last(back, "tci"),
                "hhi_exports": _last(conc, "hhi"),
                "top_rca_product": _product(top),
                "top_rca": None if top.empty else float(top["rca"].iloc[0]),
                "agri_gap_product": _product(pot),
                "agri_gap_usd": None if pot.empty else float(pot["gap_usd"].iloc[0]),
            }
        )
    raw = pd.DataFrame(rows)
    raw["level"] = level
    raw["synthetic"] = bool(ds.synthetic)
    findings = [s for s in (_overview_sentence(raw),) if s]
    shown = table(
        raw.assign(country=raw["country"].map(country_name)).drop(columns=["level", "synthetic"]),
        usd_cols=["agri_gap_usd"],
        int_cols=["tci_china_to", "tci_to_china"],
        number_cols=["hhi_exports", "top_rca"],
        rename={
            "tci_china_to": "TCI China→country",
            "tci_to_china": "TCI country→China",
            "hhi_exports": "HHI of exports",
            "top_rca_product": "highest RCA (over 1 % of exports)",
            "top_rca": "RCA",
            "agri_gap_product": "largest agricultural gap in China",
            "agri_gap_usd": "gap",
        },
    )
    lead = (
        f"Measured on the world layer at HS{level}, latest year. TCI (0-100) is how well one "
        "side's exports match the other's imports; HHI (0-1) how concentrated a country's "
        "exports are; RCA over 1 means a product's share of the country's exports exceeds "
        f"its share of world exports. {SF.LIMITS}"
    )
    block = Block(
        "structure",
        TITLE,
        lead,
        raw,
        shown,
        ("country", "highest RCA (over 1 % of exports)", "largest agricultural gap in China"),
    )
    return findings, block


def _product(df: pd.DataFrame) -> str:
    if df.empty:
        return "-"
    row = df.iloc[0]
    return f"{row['hs_code']} {row.get('description', '')}".strip()


def _overview_sentence(raw: pd.DataFrame) -> str | None:
    """Which country's imports China's exports match best, and whose exports match China's
    imports best, in the latest year."""
    t = raw.dropna(subset=["tci_china_to"])
    if t.empty:
        return None
    best = t.loc[t["tci_china_to"].idxmax()]
    year = int(best["year"])
    text = (
        f"Trade complementarity, {year}: China's exports match "
        f"{country_name(best['country'])}'s imports best (TCI {best['tci_china_to']:.0f})"
    )
    back = raw.dropna(subset=["tci_to_china"])
    if len(back):
        b = back.loc[back["tci_to_china"].idxmax()]
        text += (
            f"; of the five, {country_name(b['country'])}'s exports match China's imports "
            f"best (TCI {b['tci_to_china']:.0f})"
        )
    return text + "."


def country(ds, iso: str) -> tuple[list[str], list[Block]]:
    """The country's findings and tables (RCA, concentration, potential); ([MISSING], [])
    without a world layer."""
    level = SF.world_level(ds)
    if level is None:
        return [SF.MISSING], []
    findings = SF.structure_findings(ds, iso, level)
    name = country_name(iso)
    blocks = []
    top = SF.top_rca(ds, iso, level)
    if len(top):
        year = int(top["year"].max())
        raw = top[
            ["year", "hs_code", "description", "rca", "export_share", "china_import_share"]
        ].assign(level=level, synthetic=bool(ds.synthetic))
        shown = table(
            top.assign(product=top["hs_code"] + " " + top["description"])[
                ["product", "rca", "export_share", "china_import_share", "value_usd"]
            ],
            usd_cols=["value_usd"],
            pct_cols=["export_share", "china_import_share"],
            number_cols=["rca"],
            rename={
                "rca": "RCA",
                "export_share": f"share of {name}'s exports",
                "china_import_share": "share of China's imports",
                "value_usd": "exports to the World",
            },
        )
        lead = (
            f"{name}'s products of highest revealed comparative advantage in {year} (HS{level}, "
            f"among those over 1 % of its exports), and how much of China's imports each "
            "is: a product China hardly imports is a specialisation China does not buy."
        )
        blocks.append(
            Block("structure_rca", f"What {name} is specialised in", lead, raw, shown, ("product",))
        )
    conc = ds.concentration(iso, "export", level=level)
    if len(conc):
        raw = conc[["year", "hhi", "top1_share", "top10_share", "n_products"]].copy()
        raw["synthetic"] = bool(ds.synthetic)
        shown = table(
            conc[["year", "hhi", "top1_share", "top10_share", "n_products"]],
            pct_cols=["top1_share", "top10_share"],
            int_cols=["n_products"],
            number_cols=["hhi"],
            rename={
                "hhi": "HHI",
                "top1_share": "largest product",
                "top10_share": "largest ten",
                "n_products": "products",
            },
        )
        lead = (
            f"How concentrated {name}'s exports to the World are (HS{level}): the "
            "Herfindahl-Hirschman index (0-1; over 0.25 is highly concentrated) and the "
            "shares of its largest products."
        )
        blocks.append(
            Block("structure_concentration", "Export concentration", lead, raw, shown, ())
        )
    pot = SF.potential(ds, iso, level, n=10)
    if len(pot):
        pot = pot[pot["year"] == pot["year"].max()]
        year = int(pot["year"].max())
        raw = pot.drop(columns=["basis"], errors="ignore")
        shown = table(
            pot.assign(product=pot["hs_code"] + " " + pot["description"])[
                [
                    "product",
                    "market_imports_usd",
                    "world_share",
                    "potential_usd",
                    "actual_usd",
                    "gap_usd",
                ]
            ],
            usd_cols=["market_imports_usd", "potential_usd", "actual_usd", "gap_usd"],
            pct_cols=["world_share"],
            rename={
                "market_imports_usd": "China's imports",
                "world_share": f"{name}'s world-export share",
                "potential_usd": "potential",
                "actual_usd": f"China's imports from {name}",
                "gap_usd": "gap",
            },
        )
        lead = (
            f"Agricultural products (WTO Agreement on Agriculture scope) where China's imports "
            f"from {name} in {year} fall furthest short of what {name}'s share of world "
            f"exports would give. {SF.LIMITS}"
        )
        blocks.append(
            Block(
                "structure_potential",
                f"Agricultural export potential in China for {name}",
                lead,
                raw,
                shown,
                ("product",),
            )
        )
    return findings, blocks
