"""The analyst's view of the processed tables: `tradeviz.open()` returns a Dataset whose
methods answer the usual questions (totals, growth, shares, top products, focus areas,
recent months, mirror gaps) as tidy DataFrames with the columns documented in the data
dictionary. Charts draw from these methods, so a chart, its CSV and the API agree.

Methods never print; `ds.synthetic` and `ds.provenance` say what the numbers are."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from tradeviz import config
from tradeviz.analysis.arguments import (
    check_arguments,
    check_year,
    check_years,
    describe_years,
    fail,
)
from tradeviz.analysis.readable import with_labels
from tradeviz.analysis.totals import pair_totals
from tradeviz.errors import TradevizError
from tradeviz.schema import FLOWS_KEY
from tradeviz.transform.focus import leaf_rows
from tradeviz.vocab.areas import AREA_KEYS
from tradeviz.vocab.countries import CA_ISO3, CHINA, WORLD_ISO3
from tradeviz.vocab.flows import SOURCES
from tradeviz.vocab.revisions import LATEST as LATEST_REV

CA5 = "CA5"  # the five Central Asian countries together
TABLE_NAMES = ("flows", "mirror", "focus")
TRADE_FLOWS = ("export", "import")
NO_UNIT = {"", "N/A", "NA", "-", "n/a"}


class TablesMissingError(TradevizError):
    """The data directory holds no processed tables."""


# ------------------------------------------------------------------------ finding the data
def _has_tables(data_dir: Path) -> bool:
    return (data_dir / "processed" / "flows.parquet").is_file()


def project_root(start: Path | None = None) -> Path | None:
    """The tradeviz checkout holding `start` (default: the working directory), found by its
    pyproject.toml; else the checkout the package was imported from; None when installed."""
    here = Path(__file__).resolve()
    for origin in (Path(start or Path.cwd()).resolve(), here):
        for d in (origin, *origin.parents):
            pp = d / "pyproject.toml"
            try:
                if pp.is_file() and 'name = "tradeviz"' in pp.read_text("utf-8"):
                    return d
            except OSError:
                continue
    return None


def _anchored(path: Path, root: Path | None) -> Path:
    """A relative path against the working directory, or against the checkout when it does
    not exist there (a kernel runs in notebooks/, a relative TRADEVIZ_DATA_DIR names the
    checkout's directory)."""
    path = path.expanduser()
    if path.is_absolute():
        return path
    here = Path.cwd() / path
    if here.exists() or root is None or not (root / path).exists():
        return here.resolve()
    return (root / path).resolve()


def resolve_data_dir(data_dir: str | Path | None = None) -> tuple[Path, str]:
    """Where the tables are and why: `data_dir`, else the global --data-dir or
    $TRADEVIZ_DATA_DIR (tradeviz.config), else the checkout's
    data/, else (no real tables in a checkout) the demo's demo-data/, labelled synthetic."""
    root = project_root()
    if data_dir is not None:
        return _anchored(Path(data_dir), root), "data_dir argument"
    chosen = config.data_dir_choice()  # the global --data-dir, else $TRADEVIZ_DATA_DIR
    if chosen is not None:
        return _anchored(chosen[0], root), chosen[1]
    if root is None:
        return config.DEFAULT_DATA_DIR.resolve(), f"./{config.DEFAULT_DATA_DIR} (default)"
    real, demo = root / config.DEFAULT_DATA_DIR, root / config.DEFAULT_DEMO_DIR
    if _has_tables(real) or not _has_tables(demo):
        return real, f"the project's {config.DEFAULT_DATA_DIR}/"
    return demo, (
        f"the demo's SYNTHETIC tables in {demo}: no real tables in "
        f"{real / 'processed'} (run `tradeviz build` there, or set "
        f"{config.DATA_DIR_ENV}, to use real data)"
    )


def open_dataset(data_dir: str | Path | None = None) -> Dataset:
    """The processed tables in `data_dir` (see resolve_data_dir) as a Dataset; a clear
    error naming the directory and the command to run when they are missing."""
    from tradeviz.store.processed import check_tables, current_dir

    path, origin = resolve_data_dir(data_dir)
    processed = path / "processed"
    # Resolved once, before anything is looked at: a build that switches the processed/
    # generation meanwhile cannot mix two builds' tables (or checks) in one Dataset.
    generation = current_dir(path)
    missing = [n for n in TABLE_NAMES if not (generation / f"{n}.parquet").is_file()]
    if missing:
        raise TablesMissingError(
            f"no processed tables in {processed} ({', '.join(m + '.parquet' for m in missing)}"
            f" missing; directory from {origin}); run `tradeviz build` after `tradeviz fetch`,"
            " or `tradeviz demo` for synthetic demo tables; or point --data-dir (data_dir= "
            "in Python) or TRADEVIZ_DATA_DIR at a directory holding processed/"
        )
    check_tables(generation, TABLE_NAMES)  # truncated or mistyped: one line, not a traceback
    return Dataset(processed=generation, origin=origin, data_dir=path)


def _data_dir_of(processed: Path | None) -> Path | None:
    """The data dir of a processed directory: its parent, or for a build generation
    (data/.processed/<id>, what processed/ links to) the directory above .processed."""
    if processed is None:
        return None
    up = Path(processed).parent
    return up.parent if up.name == ".processed" else up


# ----------------------------------------------------------------------------- the Dataset
@dataclass(frozen=True)
class _Frames:
    """The processed tables, read once and shared by filtered views."""

    processed: Path | None
    given: dict = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        if name not in self.given:
            self.given[name] = pd.read_parquet(self.processed / f"{name}.parquet")
        return self.given[name]

    def meta(self) -> dict:
        if "_meta" not in self.given:
            from tradeviz.store.parquet import read_meta

            self.given["_meta"] = read_meta(self.processed / "flows.parquet")
        return self.given["_meta"]


class Dataset:
    """Processed tables with analysis methods. `filter()` returns a narrower view; every
    method honours the view's years and countries."""

    def __init__(
        self,
        processed: Path | None = None,
        origin: str = "",
        frames: _Frames | None = None,
        years: tuple[int, ...] | None = None,
        countries: list[str] | None = None,
        data_dir: Path | None = None,
    ):
        self._frames = frames or _Frames(processed)
        self.processed = processed  # the build generation the tables were read from
        self.data_dir = data_dir or _data_dir_of(processed)  # holds raw/ and processed/
        self.origin = origin
        self.years = tuple(sorted(years)) if years else None  # the view's years, exactly
        self.countries = countries

    @classmethod
    def from_frames(
        cls,
        flows: pd.DataFrame,
        mirror: pd.DataFrame | None = None,
        focus: pd.DataFrame | None = None,
        meta: dict | None = None,
        origin: str = "frames",
    ) -> Dataset:
        """A Dataset over tables already in memory (tests, the notebooks' old helpers)."""
        from tradeviz.schema import FOCUS_FIELDS, MIRROR_FIELDS, empty_frame

        given = {
            "flows": flows,
            "mirror": mirror if mirror is not None else empty_frame(MIRROR_FIELDS),
            "focus": focus if focus is not None else empty_frame(FOCUS_FIELDS),
            "_meta": dict(meta or {}),
        }
        return cls(None, origin, _Frames(None, given))

    def __repr__(self) -> str:
        where = self.data_dir or self.origin
        flt = f", filters={self.filters}" if self.filters else ""
        syn = ", SYNTHETIC" if self.synthetic else ""
        return f"<tradeviz.Dataset {where}{syn}{flt}>"

    # ------------------------------------------------------------------ views and metadata
    def filter(self, years=None, countries=None) -> Dataset:
        """The same tables restricted to some years (2023, "2018-2024", [2019, 2021, 2023]:
        a list means exactly those years) and to some Central Asian countries (ISO3, any
        case). China and World rows stay, as every view needs them. Bad values raise
        FilterError naming the valid ones (see tradeviz.analysis.arguments)."""
        a = check_arguments(self.available_years, years=years, countries=countries)
        picked_years = a.years if years is not None else self.years
        picked = a.countries if countries is not None else self.countries
        return Dataset(
            self.processed, self.origin, self._frames, picked_years, picked, self.data_dir
        )

    @property
    def filters(self) -> dict:
        """The view's filters: years as [first, last] when they run unbroken, else as text
        ("2019, 2021, 2023"); countries as a list."""
        out: dict = {}
        if self.years:
            unbroken = len(self.years) == self.years[-1] - self.years[0] + 1
            first_last = [self.years[0], self.years[-1]]
            out["years"] = first_last if unbroken else describe_years(self.years)
        if self.countries:
            out["countries"] = list(self.countries)
        return out

    @property
    def meta(self) -> dict:
        return self._frames.meta()

    @property
    def synthetic(self) -> bool:
        """True when any row is synthetic (demo, emulator, benchmark): not statistics."""
        if self.meta.get("synthetic"):
            return True
        flows = self._frames.table("flows")
        return bool(len(flows) and flows["synthetic"].any())

    @property
    def provenance(self) -> dict:
        """Where the numbers come from: directory, sources, fetch dates, raw manifest hash,
        snapshot hashes, tool version, synthetic flag, and the filters of this view."""
        meta = self.meta
        flows = self._frames.table("flows")
        snaps = sorted(set(flows["snapshot"].dropna().astype(str))) if len(flows) else []
        return {
            "data_dir": str(self.data_dir) if self.data_dir else None,
            "origin": self.origin,
            "synthetic": self.synthetic,
            "sources": {k: SOURCES[k] for k in sorted(set(flows["source"])) if k in SOURCES}
            if len(flows)
            else {},
            "fetched_at": list(meta.get("fetched_at", [])),
            "raw_manifest_sha256": meta.get("raw_manifest_sha256"),
            "snapshots": snaps,
            "tool": meta.get("tool"),
            "filters": self.filters,
        }

    def available_years(self) -> list[int]:
        """The years this view's flows hold (any source and frequency)."""
        return list(self._held_years)

    @cached_property
    def _held_years(self) -> tuple[int, ...]:
        flows = self.flows
        return tuple(sorted(int(y) for y in flows["year"].unique())) if len(flows) else ()

    def _cut(self, df: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
        mask = pd.Series(True, index=df.index)
        if self.countries:
            keep = set(self.countries) | {CHINA.iso3, WORLD_ISO3}
            mask &= df[a].isin(keep) & df[b].isin(keep)
        if self.years:
            mask &= df["year"].isin(self.years)
        return df if mask.all() else df[mask]

    @cached_property
    def flows(self) -> pd.DataFrame:
        return self._cut(self._frames.table("flows"), "reporter", "partner")

    @cached_property
    def mirror_table(self) -> pd.DataFrame:
        return self._cut(self._frames.table("mirror"), "exporter", "importer")

    @cached_property
    def focus(self) -> pd.DataFrame:
        return self._cut(self._frames.table("focus"), "reporter", "partner")

    def _ca(self, countries: list[str] | None = None) -> list[str]:
        """Central Asian countries asked for (already checked), within the view's."""
        picked = countries or list(CA_ISO3)
        if self.countries:
            picked = [c for c in picked if c in self.countries]
        return picked

    def _check(self, optional=(), **given):
        """The method's arguments through the one shared checker (analysis.arguments)."""
        return check_arguments(self.available_years, optional, **given)

    # ------------------------------------------------------------------------------ totals
    def totals(
        self, reporter: str = "CHN", partners=None, years=None, freq: str = "A"
    ) -> pd.DataFrame:
        """Exports, imports, total and balance per partner and period, as `reporter`
        reports them. reporter CHN: partners default to the five, plus a CA5 row (the five
        together) for periods where all five have both flows. freq A: Comtrade annual;
        freq M: Comtrade monthly where fetched for the pair, else IMF IMTS (in `source`)."""
        a = self._check(reporter=reporter, partners=partners, years=years, freq=freq)
        rep, freq, partners = a.reporter, a.freq, a.partners
        if partners is None:
            partners = self._ca() if rep == CHINA.iso3 else [CHINA.iso3, WORLD_ISO3]
        f = self.flows
        f = f[
            (f["freq"] == freq)
            & (f["reporter"] == rep)
            & f["partner"].isin(partners)
            & f["flow"].isin(TRADE_FLOWS)
        ]
        f = _one_source(f, freq)
        if a.years:
            f = f[f["year"].isin(a.years)]
        out = _wide_totals(f)
        if rep == CHINA.iso3 and set(CA_ISO3) <= set(partners):
            out = pd.concat([out, _ca5_rows(out)], ignore_index=True)
        order = {p: i for i, p in enumerate([*partners, CA5])}
        out = (
            out.assign(_o=out["partner"].map(order))
            .sort_values(["_o", "year", "month"], ignore_index=True)
            .drop(columns="_o")
        )
        return out[TOTALS_COLUMNS]

    # ------------------------------------------------------------------------------ growth
    def growth(
        self, of: str = "totals", start: int | None = None, end: int | None = None, **kwargs
    ) -> pd.DataFrame:
        """Year-on-year change and compound annual growth since the window's first year,
        for `of` = "totals" (exports/imports/total per partner, annual), "areas" (by_area,
        one row per area, flow and match) or "products" (HS6 rows of one country and flow:
        country= is needed, flow= defaults to export). kwargs go to the underlying method
        (GROWTH_KWARGS lists which); `start` and `end` bound the window (years)."""
        a = self._check(of=of, start=start, end=end)
        of, start, end = a.of, a.start, a.end
        _check_growth_kwargs(of, kwargs)
        if start is not None and end is not None and start > end:
            raise fail("start", start, f"after end={end}", "use a start year before the end")
        if of == "totals":
            t = self.totals(**kwargs)
            t = t[t["month"].isna()] if "month" in t else t
            long = t.melt(
                id_vars=["reporter", "partner", "year"],
                value_vars=["exports_usd", "imports_usd", "total_usd"],
                var_name="measure",
                value_name="value_usd",
            )
            long["measure"] = long["measure"].str.removesuffix("_usd")
            keys = ["reporter", "partner", "measure"]
        elif of == "areas":
            long = self.by_area(**kwargs).drop(columns=["share", "total_usd"])
            keys = ["reporter", "flow", "area", "match"]
        else:  # products
            long = self._product_series(**kwargs)
            keys = ["reporter", "partner", "flow", "hs_code"]
        if start is not None or end is not None:
            long = long[long["year"].between(start or 0, end or 9999)]
        return growth_table(long, keys)

    # ------------------------------------------------------------------------------ shares
    def shares(self, years=None, countries=None) -> pd.DataFrame:
        """China's share of each Central Asian country's goods trade, from both sides: the
        country's own report (its China row over its World row) and China's report of the
        bilateral trade over the country's World row. Comtrade annual; a country that
        reports no World row has no share."""
        a = self._check(years=years, countries=countries)
        years = a.years
        rows = []
        for iso in self._ca(a.countries):
            own = self.totals(iso, [CHINA.iso3, WORLD_ISO3], years)
            own = own.pivot_table(index="year", columns="partner", values="total_usd")
            china = self.totals(CHINA.iso3, [iso], years).set_index("year")["total_usd"]
            t = pd.DataFrame(
                {
                    "partner_reported_china_usd": own.get(CHINA.iso3),
                    "partner_world_usd": own.get(WORLD_ISO3),
                },
                index=own.index,
            )
            t = t.join(china.rename("china_reported_usd"), how="outer")
            rows.append(t.reset_index().assign(country=iso))
        if not rows:
            return pd.DataFrame(columns=SHARES_COLUMNS)
        out = pd.concat(rows, ignore_index=True)
        for col in ("partner_reported_china_usd", "partner_world_usd", "china_reported_usd"):
            out[col] = (
                pd.to_numeric(out[col], errors="coerce").astype(float) if col in out else np.nan
            )
        world = out["partner_world_usd"].where(out["partner_world_usd"] > 0)
        out["share_partner_reported"] = out["partner_reported_china_usd"] / world
        out["share_china_reported"] = out["china_reported_usd"] / world
        out["year"] = out["year"].astype(int)
        return out[SHARES_COLUMNS].sort_values(["country", "year"], ignore_index=True)

    # ------------------------------------------------------------ partners (issue 13)
    def partners(self, country: str, years=None, side: str = "best") -> pd.DataFrame:
        """Value, share and rank of every partner and group (EU, EAEU, CA5, CHN_CA5) in a
        Central Asian country's exports, imports and total, per year: side "reported"
        (its own reports, with an `unallocated` row for the gap to its World row),
        "mirror" (partners' reports, estimates) or "best" (own reports where it reported
        that year, else mirror; `basis` says which). Needs the partners plan
        (`tradeviz fetch comtrade --plan partners`). See tradeviz.analysis.partners."""
        from tradeviz.analysis.partners import partners

        a = self._check(country=country, years=years, side=side)
        wanted = a.years or self.years
        return partners(self._frames.table("flows"), a.country, wanted, a.side)

    def china_first_year(self, country: str, sides=("reported", "mirror")) -> pd.DataFrame:
        """The year China became the country's first partner by total trade ("not yet"
        when it is not first in the latest year), one row per side."""
        from tradeviz.analysis.partners import china_first_year

        a = self._check(country=country, sides=sides)
        flows = self._frames.table("flows")
        if self.years:
            flows = flows[flows["year"].isin(self.years)]
        return china_first_year(flows, a.country, a.sides)

    # ------------------------------------------------------------------------ top products
    def top_products(
        self,
        country: str,
        flow: str = "export",
        year: int | None = None,
        n: int = 10,
        reporter: str = "CHN",
    ) -> pd.DataFrame:
        """The `n` largest HS products of one bilateral flow in `year` (default: the latest
        with product rows), as `reporter` reports it (CHN, or the country itself): code,
        description, focus areas, value, share of the bilateral total, change on the
        previous year (same code, unless its heading changed between HS revisions),
        quantity and unit value where the unit allows."""
        a = self._check(country=country, flow=flow, year=year, n=n, reporter=reporter)
        iso, flow, rep, n = a.country, a.flow, a.reporter, a.n
        partner = iso if rep == CHINA.iso3 else CHINA.iso3
        if rep not in (CHINA.iso3, iso):
            raise fail("reporter", reporter, "not a side of this trade", f"use CHN or {iso}")
        cells = self._annual()
        cells = cells[
            (cells["reporter"] == rep) & (cells["partner"] == partner) & (cells["flow"] == flow)
        ]
        leaves = leaf_rows(cells)
        held = leaves["year"].unique()
        year = check_year("year", a.year, held, f"{rep}'s {flow} rows with {partner}")
        if leaves.empty:
            return with_labels(pd.DataFrame(columns=TOP_COLUMNS))
        year = int(held.max()) if year is None else year
        now = leaves[leaves["year"] == year]
        prev = leaves[leaves["year"] == year - 1]
        total = float(pair_totals(cells[cells["year"] == year])["value_usd"].sum())
        top = now.sort_values(["value_usd", "hs_code"], ascending=[False, True]).head(n)
        top = top.assign(rank=np.arange(1, len(top) + 1), country=iso, reporter=rep)
        top["share"] = top["value_usd"] / total if total > 0 else np.nan
        top["prev_value_usd"] = _previous_values(top, prev)
        top["change"] = (
            top["value_usd"] / top["prev_value_usd"].where(top["prev_value_usd"] > 0) - 1
        )
        unit = top["qty_unit"].fillna("").astype(str).str.strip()
        usable = ~unit.isin(NO_UNIT) & (top["qty"] > 0)
        top["unit_value_usd"] = (top["value_usd"] / top["qty"]).where(usable)
        top["description"] = [
            hs_description(c, r, d)
            for c, r, d in zip(
                top["hs_code"],
                top["hs_rev"],
                top.get("hs_description", [None] * len(top)),
                strict=True,
            )
        ]
        areas = self._areas_of(top)
        top = top.merge(areas, on=list(FLOWS_KEY), how="left")
        top["areas"] = top["areas"].fillna("")
        top["area"] = top["area"].fillna("other")
        top["year"] = top["year"].astype(int)
        return with_labels(top[TOP_COLUMNS].reset_index(drop=True))

    # ------------------------------------------------------------------------------- areas
    def by_area(
        self, reporter: str = "CHN", partners=None, years=None, flow: str | None = None, areas=None
    ) -> pd.DataFrame:
        """Value per focus area, year and flow, each HS leaf row counted once: in its first
        area (registry order) the rule covers fully (match `full`); else, as the partial
        remainder, in its first area covered only partly (match `partial`: the code also
        holds other goods); else in `other` (match `none`). The rows of a year and flow sum
        to its total."""
        a = self._check(
            ("flow",), reporter=reporter, partners=partners, years=years, flow=flow, areas=areas
        )
        rep, picked = a.reporter, a.areas
        leaves = self._leaves(rep, a.partners, a.years, a.flow)
        if leaves.empty:
            return pd.DataFrame(columns=AREA_COLUMNS)
        tagged = leaves.merge(self._exclusive_area(), on=list(FLOWS_KEY), how="left")
        tagged["area"] = tagged["area"].fillna("other")
        tagged["match"] = tagged["match"].fillna("none")
        out = tagged.groupby(["year", "flow", "area", "match"], as_index=False)["value_usd"].sum()
        out["total_usd"] = out.groupby(["year", "flow"])["value_usd"].transform("sum")
        out["share"] = out["value_usd"] / out["total_usd"].where(out["total_usd"] > 0)
        out["reporter"] = rep
        if picked:
            out = out[out["area"].isin(picked)]
        order = {a: i for i, a in enumerate((*AREA_KEYS, "other"))}
        out = out.assign(
            _o=out["area"].map(order), _m=out["match"].map({"full": 0, "partial": 1, "none": 2})
        ).sort_values(["year", "flow", "_m", "_o"], ignore_index=True)
        out["year"] = out["year"].astype(int)
        return out[AREA_COLUMNS]

    def area_detail(
        self,
        area: str,
        flow: str,
        by: str = "partner",
        reporter: str = "CHN",
        years=None,
        codes: list[str] | None = None,
    ) -> pd.DataFrame:
        """One focus area's trade per year, split by `by` (partner or subarea) and by match
        (full / partial), every row the area tags (a product in two areas counts in both):
        the view of one area, not a partition of the total. `codes` narrows to HS codes."""
        a = self._check(area=area, flow=flow, by=by, reporter=reporter, years=years, codes=codes)
        key, flow, by = a.area, a.flow, a.by
        f = self.focus
        f = f[
            (f["source"] == "comtrade")
            & (f["freq"] == "A")
            & (f["area"] == key)
            & (f["reporter"] == a.reporter)
            & (f["flow"] == flow)
        ]
        f = f[f["partner"].isin(self._ca())] if a.reporter == CHINA.iso3 else f
        if a.codes:
            f = f[f["hs_code"].astype(str).str.startswith(tuple(a.codes))]
        if a.years:
            f = f[f["year"].isin(a.years)]
        cols = ["area", "flow", "year", "by", "group", "match", "value_usd"]
        if f.empty:
            return pd.DataFrame(columns=cols)
        out = f.groupby(["year", by, "match"], as_index=False)["value_usd"].sum()
        out = out.rename(columns={by: "group"}).assign(area=key, flow=flow, by=by)
        out["year"] = out["year"].astype(int)
        return out[cols]

    # ----------------------------------------------------------------------------- monthly
    def monthly(self, reporter: str = "CHN", partners=None, months: int = 12) -> pd.DataFrame:
        """The latest `months` months of each partner's exports, imports and total (CA5 too
        when all five are shown), ending at the latest month in the data; Comtrade monthly
        where fetched, else IMF IMTS (named in `source`)."""
        a = self._check(reporter=reporter, partners=partners, months=months)
        months = a.months
        t = self.totals(a.reporter, a.partners, freq="M")
        if t.empty:
            return pd.DataFrame(columns=MONTHLY_COLUMNS)
        t = t.assign(
            period=pd.to_datetime(dict(year=t["year"], month=t["month"].astype(int), day=1))
        )
        last = t["period"].max()
        t = t[t["period"] > last - pd.DateOffset(months=months)].copy()
        t["period"] = t["period"].dt.strftime("%Y-%m")
        return t[MONTHLY_COLUMNS].reset_index(drop=True)

    def year_to_date(self, reporter: str = "CHN", partners=None) -> pd.DataFrame:
        """Latest year to date against the same months of the previous year, per partner
        and measure (exports, imports, total), from the monthly series."""
        a = self._check(reporter=reporter, partners=partners)
        t = self.totals(a.reporter, a.partners, freq="M")
        if t.empty:
            return pd.DataFrame(columns=YTD_COLUMNS)
        year = int(t["year"].max())
        last = int(t.loc[t["year"] == year, "month"].max())
        t = t[t["year"].isin([year, year - 1]) & (t["month"] <= last)]
        long = t.melt(
            id_vars=["partner", "year", "month", "source"],
            value_vars=["exports_usd", "imports_usd", "total_usd"],
            var_name="measure",
            value_name="value_usd",
        )
        long["measure"] = long["measure"].str.removesuffix("_usd")
        by = long.groupby(["partner", "measure", "year"])
        g = pd.concat(
            [
                by["value_usd"].sum(min_count=1),
                by["month"].nunique().rename("months"),
                by["source"].first(),
            ],
            axis=1,
        ).reset_index()
        g = g[g["months"] == last]
        cur = g[g["year"] == year].set_index(["partner", "measure"])
        old = g[g["year"] == year - 1].set_index(["partner", "measure"])
        out = pd.DataFrame(
            {
                "ytd_usd": cur["value_usd"],
                "prev_ytd_usd": old["value_usd"].reindex(cur.index),
                "source": cur["source"],
            },
            index=cur.index,
        ).reset_index()
        out["change"] = out["ytd_usd"] / out["prev_ytd_usd"].where(out["prev_ytd_usd"] > 0) - 1
        out = out.assign(
            reporter=a.reporter,
            year=year,
            months=last,
            period=f"{year}-01 to {year}-{last:02d}",
        )
        order = {p: i for i, p in enumerate([*CA_ISO3, CA5, CHINA.iso3, WORLD_ISO3])}
        out = out.assign(_o=out["partner"].map(order)).sort_values(["_o", "measure"])
        return out[YTD_COLUMNS].reset_index(drop=True)

    def imf_vs_comtrade(self, years=None) -> pd.DataFrame:
        """China-reported annual trade per country and flow from both sources: UN Comtrade
        annual beside IMF IMTS monthly summed (years with all twelve months only), and the
        difference IMF / Comtrade - 1."""
        years = self._check(years=years).years
        ct = self.totals(years=years)
        ct = (
            ct[ct["partner"].isin(self._ca())]
            .melt(
                id_vars=["partner", "year"],
                value_vars=["exports_usd", "imports_usd"],
                var_name="flow",
                value_name="comtrade_usd",
            )
            .dropna(subset=["comtrade_usd"])
        )
        ct["flow"] = ct["flow"].map({"exports_usd": "export", "imports_usd": "import"})
        f = self.flows
        f = f[
            (f["source"] == "imf")
            & (f["freq"] == "M")
            & (f["reporter"] == CHINA.iso3)
            & f["partner"].isin(self._ca())
            & f["flow"].isin(TRADE_FLOWS)
        ]
        if years:
            f = f[f["year"].isin(years)]
        cols = ["country", "flow", "year", "comtrade_usd", "imf_usd", "difference"]
        if f.empty or ct.empty:
            return pd.DataFrame(columns=cols)
        imf = (
            pair_totals(f)
            .groupby(["partner", "flow", "year"], as_index=False)
            .agg(imf_usd=("value_usd", "sum"), months=("month", "nunique"))
        )
        imf = imf[imf["months"] == 12].drop(columns="months")
        imf["year"] = imf["year"].astype(int)
        out = ct.merge(imf, on=["partner", "flow", "year"], how="inner")
        out["difference"] = out["imf_usd"] / out["comtrade_usd"].where(out["comtrade_usd"] > 0) - 1
        out = out.rename(columns={"partner": "country"})
        return out[cols].sort_values(["country", "flow", "year"], ignore_index=True)

    # ------------------------------------------------------------------------------ mirror
    def mirror(self, freq: str = "A", countries=None, years=None) -> pd.DataFrame:
        """Both directions of each China–country pair per year: the exporter's reported
        exports (FOB) beside the importer's reported imports (CIF), gap (importer minus
        exporter) and ratio (importer / exporter). A side that reports nothing for the
        direction and year leaves gap and ratio empty. Headings listed as
        `unmatched_revision` are left out of both sides."""
        a = self._check(freq=freq, countries=countries, years=years)
        m = self._mirror_rows(a.freq, a.countries, a.years)
        if m.empty:
            return pd.DataFrame(columns=MIRROR_COLUMNS)
        g = m.groupby(["direction", "exporter", "importer", "year"], as_index=False)[
            ["exporter_fob_usd", "importer_cif_usd", "_matched_fob"]
        ].sum(min_count=1)
        g = g.rename(columns={"_matched_fob": "matched_usd"})
        g["country"] = np.where(g["exporter"] == CHINA.iso3, g["importer"], g["exporter"])
        g["gap_usd"] = g["importer_cif_usd"] - g["exporter_fob_usd"]
        g["ratio"] = g["importer_cif_usd"] / g["exporter_fob_usd"].where(g["exporter_fob_usd"] > 0)
        g["matched_share"] = g["matched_usd"] / g["exporter_fob_usd"].where(
            g["exporter_fob_usd"] > 0
        )
        g["year"] = g["year"].astype(int)
        return g[MIRROR_COLUMNS].sort_values(["country", "direction", "year"], ignore_index=True)

    def mirror_chapters(
        self, year: int | None = None, n: int = 5, countries=None, freq: str = "A"
    ) -> pd.DataFrame:
        """The HS chapters that explain most of each direction's gap in `year` (default:
        the latest year both sides report): per chapter the two sides, gap, its share of
        the direction's gap, ranked by absolute gap; directions where one side reports
        nothing are left out."""
        a = self._check(year=year, n=n, countries=countries, freq=freq)
        n = a.n
        m = self._mirror_rows(a.freq, a.countries, None)
        both = (
            m.groupby(["direction", "year"])[["exporter_fob_usd", "importer_cif_usd"]].transform(
                "count"
            )
            > 0
        )  # each side reported something in the direction-year
        m = m[both.all(axis=1)] if len(m) else m
        year = check_year("year", a.year, m["year"].unique(), "the mirror rows both sides report")
        if m.empty:
            return with_labels(pd.DataFrame(columns=CHAPTER_COLUMNS), "chapter", LATEST_REV)
        year = int(m["year"].max()) if year is None else year
        m = m[m["year"] == year]
        if m.empty:
            return with_labels(pd.DataFrame(columns=CHAPTER_COLUMNS), "chapter", LATEST_REV)
        m = m.assign(
            chapter=m["hs_code"].astype(str).str[:2],
            exporter_fob_usd=m["exporter_fob_usd"].fillna(0.0),
            importer_cif_usd=m["importer_cif_usd"].fillna(0.0),
        )
        g = m.groupby(["direction", "exporter", "importer", "year", "chapter"], as_index=False)[
            ["exporter_fob_usd", "importer_cif_usd"]
        ].sum()
        g["gap_usd"] = g["importer_cif_usd"] - g["exporter_fob_usd"]
        g["direction_gap_usd"] = g.groupby("direction")["gap_usd"].transform("sum")
        g["share_of_gap"] = g["gap_usd"] / g["direction_gap_usd"].where(g["direction_gap_usd"] != 0)
        g = g.assign(_abs=g["gap_usd"].abs()).sort_values(
            ["direction", "_abs"], ascending=[True, False]
        )
        g["rank"] = g.groupby("direction").cumcount() + 1
        g = g[g["rank"] <= n].copy()
        g["country"] = np.where(g["exporter"] == CHINA.iso3, g["importer"], g["exporter"])
        g["description"] = [hs_description(c, LATEST_REV) for c in g["chapter"]]
        g["year"] = g["year"].astype(int)
        return with_labels(g[CHAPTER_COLUMNS].reset_index(drop=True), "chapter", LATEST_REV)

    # ------------------------------------------------------------------------------ helpers
    def _annual(self) -> pd.DataFrame:
        f = self.flows
        return f[(f["source"] == "comtrade") & (f["freq"] == "A")]

    def _leaves(
        self, rep: str, partners: list[str] | None, years: tuple[int, ...] | None, flow
    ) -> pd.DataFrame:
        """HS leaf rows of `rep`'s annual trade (arguments already checked)."""
        f = self._annual()
        if partners is None:
            partners = self._ca() if rep == CHINA.iso3 else [CHINA.iso3]
        f = f[
            (f["reporter"] == rep)
            & f["partner"].isin(partners)
            & f["flow"].isin([flow] if flow else TRADE_FLOWS)
        ]
        if years:
            f = f[f["year"].isin(years)]
        return leaf_rows(f)

    def _exclusive_area(self) -> pd.DataFrame:
        """One (area, match) per focus-tagged row: the first full area, else the first
        partial one, in registry order."""
        keys = list(FLOWS_KEY)
        rank = {a: i for i, a in enumerate(AREA_KEYS)}
        f = self.focus
        f = f.assign(_m=(f["match"] != "full").astype(int), _r=f["area"].map(rank))
        f = f.sort_values(["_m", "_r"], kind="stable").drop_duplicates(keys)
        return f[[*keys, "area", "match"]]

    def _areas_of(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Per row: all its areas as text ("energy; infrastructure (partial)") and the area
        it is drawn in (first full area, else `partial`, else `other`)."""
        keys = list(FLOWS_KEY)
        f = self.focus.merge(rows[keys], on=keys, how="inner")
        if f.empty:
            return pd.DataFrame(columns=[*keys, "areas", "area"])
        rank = {a: i for i, a in enumerate(AREA_KEYS)}
        f = f.assign(_r=f["area"].map(rank)).sort_values("_r", kind="stable")
        f["_txt"] = f["area"] + np.where(f["match"] == "full", "", " (partial)")
        f["_full"] = f["area"].where(f["match"] == "full")
        out = f.groupby(keys, dropna=False, as_index=False).agg(
            areas=("_txt", "; ".join), area=("_full", "first")
        )
        out["area"] = out["area"].fillna("partial")
        return out

    def _product_series(
        self,
        country: str,
        flow: str = "export",
        reporter: str = "CHN",
        codes: list[str] | None = None,
    ) -> pd.DataFrame:
        a = self._check(country=country, flow=flow, reporter=reporter, codes=codes)
        iso, rep = a.country, a.reporter
        partner = iso if rep == CHINA.iso3 else CHINA.iso3
        if rep not in (CHINA.iso3, iso):
            raise fail("reporter", reporter, "not a side of this trade", f"use CHN or {iso}")
        leaves = self._leaves(rep, [partner], None, a.flow)
        if a.codes:
            leaves = leaves[leaves["hs_code"].astype(str).str.startswith(tuple(a.codes))]
        out = leaves.groupby(["reporter", "partner", "flow", "hs_code", "year"], as_index=False)[
            "value_usd"
        ].sum()
        return out

    def _mirror_rows(
        self, freq: str, countries: list[str] | None, years: tuple[int, ...] | None
    ) -> pd.DataFrame:
        """Mirror rows of the view (arguments already checked)."""
        m = self.mirror_table
        cas = self._ca(countries)
        m = m[
            (m["freq"] == freq)
            & (m["status"] != "unmatched_revision")
            & (m["exporter"].isin(cas) | m["importer"].isin(cas))
        ]
        if years:
            m = m[m["year"].isin(years)]
        return m.assign(
            _matched_fob=m["exporter_fob_usd"].where(m["status"] == "matched", 0.0).fillna(0.0)
        )

    # ------------------------- structure and complementarity (issue 20; analysis/structure.py)
    def rca(self, country: str, level: int = 6, years=None) -> pd.DataFrame:
        """Balassa RCA (and symmetric RCA) of each product the country exports."""
        from tradeviz.analysis import structure

        return structure.rca(self, country, level, years)

    def complementarity(
        self, exporter: str, importer: str, years=None, level: int = 6, by_product: bool = False
    ) -> pd.DataFrame:
        """Michaely/WITS trade complementarity index, per year or per product."""
        from tradeviz.analysis import structure

        return structure.complementarity(self, exporter, importer, years, level, by_product)

    def intensity(self, exporter: str, importer: str, years=None) -> pd.DataFrame:
        """WITS trade intensity index, and the variant leaving the exporter out."""
        from tradeviz.analysis import structure

        return structure.intensity(self, exporter, importer, years)

    def similarity(self, a: str, b: str, market=None, years=None, level: int = 6) -> pd.DataFrame:
        """Finger-Kreinin export similarity in the World or in one market."""
        from tradeviz.analysis import structure

        return structure.similarity(self, a, b, market, years, level)

    def concentration(self, country: str, flow: str, years=None, level: int = 6) -> pd.DataFrame:
        """HHI, normalised HHI, products above USD 100,000, top-1/3/10 shares."""
        from tradeviz.analysis import structure

        return structure.concentration(self, country, flow, years, level)

    def intra_industry(
        self, a: str, b: str, years=None, level: int = 6, by_product: bool = False
    ) -> pd.DataFrame:
        """Grubel-Lloyd intra-industry trade, trade-weighted or per product."""
        from tradeviz.analysis import structure

        return structure.intra_industry(self, a, b, years, level, by_product)

    def price_volume(
        self, reporter: str, partner: str, flow: str, years=None, codes=None
    ) -> pd.DataFrame:
        """Chain-linked Fisher unit-value and volume indices, and their split of growth."""
        from tradeviz.analysis import structure

        return structure.price_volume(self, reporter, partner, flow, years, codes)

    def potential(self, country: str, areas=None, years=None, level: int = 6, n: int | None = 20):
        """Export potential in China (market-share method) with focus-area tags."""
        from tradeviz.analysis import structure

        return structure.potential(self, country, areas, years, level, n)

    def complexity(self, country: str, years=None, level: int = 4) -> pd.DataFrame:
        """ECI, and mean PCI of exports to the World and to China (ecomplexity)."""
        from tradeviz.analysis import structure

        return structure.complexity(self, country, years, level)


# --------------------------------------------------------------------------- pure helpers
TOTALS_COLUMNS = [
    "reporter",
    "partner",
    "year",
    "month",
    "source",
    "exports_usd",
    "imports_usd",
    "total_usd",
    "balance_usd",
    "synthetic",
]
GROWTH_SUFFIX = ["base_year", "value_usd", "change_usd", "yoy", "cagr"]
SHARES_COLUMNS = [
    "country",
    "year",
    "partner_reported_china_usd",
    "china_reported_usd",
    "partner_world_usd",
    "share_partner_reported",
    "share_china_reported",
]
TOP_COLUMNS = [
    "reporter",
    "country",
    "flow",
    "year",
    "rank",
    "hs_rev",
    "hs_code",
    "description",
    "areas",
    "area",
    "value_usd",
    "share",
    "prev_value_usd",
    "change",
    "qty",
    "qty_unit",
    "unit_value_usd",
]
AREA_COLUMNS = ["reporter", "year", "flow", "area", "match", "value_usd", "total_usd", "share"]
MONTHLY_COLUMNS = [
    "reporter",
    "partner",
    "period",
    "year",
    "month",
    "source",
    "exports_usd",
    "imports_usd",
    "total_usd",
    "balance_usd",
]
YTD_COLUMNS = [
    "reporter",
    "partner",
    "measure",
    "year",
    "months",
    "period",
    "ytd_usd",
    "prev_ytd_usd",
    "change",
    "source",
]
MIRROR_COLUMNS = [
    "country",
    "direction",
    "exporter",
    "importer",
    "year",
    "exporter_fob_usd",
    "importer_cif_usd",
    "gap_usd",
    "ratio",
    "matched_share",
]
CHAPTER_COLUMNS = [
    "country",
    "direction",
    "exporter",
    "importer",
    "year",
    "rank",
    "chapter",
    "description",
    "exporter_fob_usd",
    "importer_cif_usd",
    "gap_usd",
    "share_of_gap",
]


GROWTH_KWARGS = {
    "totals": ("reporter", "partners", "years", "freq"),
    "areas": ("reporter", "partners", "years", "flow", "areas"),
    "products": ("country", "flow", "reporter", "codes"),
}


def _check_growth_kwargs(of: str, kwargs: dict) -> None:
    """growth() passes kwargs on: a name the method of `of` does not take, monthly totals
    (growth is annual) and products without a country are refused in the one error form."""
    allowed = GROWTH_KWARGS[of]
    for key, value in kwargs.items():
        if key not in allowed:
            use = f"use {', '.join(allowed)}"
            raise fail(key, value, f"not an argument of growth(of={of!r})", use)
    if of == "totals" and str(kwargs.get("freq", "A")).strip().upper() == "M":
        use = "use A (or totals(freq='M') for the months)"
        raise fail("freq", kwargs["freq"], "growth is year on year", use)
    if of == "products" and kwargs.get("country") is None:
        use = f"use one of {', '.join(CA_ISO3)}"
        raise fail("country", None, "growth of products needs one country", use)


def _one_source(f: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Annual: Comtrade. Monthly: per reporter-partner pair, Comtrade where it has monthly
    rows, else IMF."""
    if freq == "A":
        return f[f["source"] == "comtrade"]
    f = f[f["source"].isin(["comtrade", "imf"])]
    has_ct = f[f["source"] == "comtrade"].groupby(["reporter", "partner"]).size()
    pairs = pd.MultiIndex.from_frame(f[["reporter", "partner"]])
    ct_pair = pairs.isin(has_ct.index) if len(has_ct) else np.zeros(len(f), dtype=bool)
    want = np.where(ct_pair, "comtrade", "imf")
    return f[f["source"].to_numpy() == want]


def _wide_totals(f: pd.DataFrame) -> pd.DataFrame:
    """Cells (pair_totals) to one row per reporter, partner, year, month."""
    if f.empty:
        return pd.DataFrame(columns=TOTALS_COLUMNS)
    t = pair_totals(f)
    t["month"] = t["month"].astype("Int8")
    idx = ["reporter", "partner", "year", "month", "source"]
    w = t.pivot_table(
        index=idx, columns="flow", values="value_usd", aggfunc="sum", dropna=False
    ).reset_index()
    syn = t.groupby(idx, dropna=False)["synthetic"].max().rename("synthetic").reset_index()
    w = w.merge(syn, on=idx, how="left")
    for fl in TRADE_FLOWS:
        if fl not in w:
            w[fl] = np.nan
    w = w.rename(columns={"export": "exports_usd", "import": "imports_usd"})
    w = w.dropna(subset=["exports_usd", "imports_usd"], how="all")
    w["total_usd"] = w["exports_usd"] + w["imports_usd"]
    w["balance_usd"] = w["exports_usd"] - w["imports_usd"]
    w["year"] = w["year"].astype(int)
    w["synthetic"] = w["synthetic"].astype(bool)
    w.columns.name = None
    return w[TOTALS_COLUMNS]


def _ca5_rows(t: pd.DataFrame) -> pd.DataFrame:
    """The five countries together, for periods where all five have both flows."""
    five = t[t["partner"].isin(CA_ISO3)].dropna(subset=["exports_usd", "imports_usd"])
    if five.empty:
        return pd.DataFrame(columns=TOTALS_COLUMNS)
    g = (
        five.groupby(["reporter", "year", "month"], dropna=False)
        .agg(
            n=("partner", "nunique"),
            source=("source", lambda s: "+".join(sorted(set(s)))),
            exports_usd=("exports_usd", "sum"),
            imports_usd=("imports_usd", "sum"),
            synthetic=("synthetic", "max"),
        )
        .reset_index()
    )
    g = g[g["n"] == len(CA_ISO3)].drop(columns="n").assign(partner=CA5)
    g["total_usd"] = g["exports_usd"] + g["imports_usd"]
    g["balance_usd"] = g["exports_usd"] - g["imports_usd"]
    return g[TOTALS_COLUMNS]


def growth_table(long: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per series (`keys`) and year: value, change on the previous year (empty when that
    year is missing or zero), and compound annual growth since the series' first year in
    the window (`base_year`)."""
    if long.empty:
        return pd.DataFrame(columns=[*keys, "year", *GROWTH_SUFFIX])
    d = long.sort_values([*keys, "year"]).reset_index(drop=True)
    grp = d.groupby(keys, dropna=False, sort=False)
    prev_val = grp["value_usd"].shift(1)
    prev_year = grp["year"].shift(1)
    consecutive = prev_year == d["year"] - 1
    d["change_usd"] = (d["value_usd"] - prev_val).where(consecutive)
    d["yoy"] = (d["value_usd"] / prev_val.where(prev_val > 0) - 1).where(consecutive)
    base_year = grp["year"].transform("first")
    base_val = grp["value_usd"].transform("first")
    span = d["year"] - base_year
    ok = (span > 0) & (base_val > 0) & (d["value_usd"] >= 0)
    d["cagr"] = (d["value_usd"] / base_val.where(ok)) ** (1 / span.where(ok)) - 1
    d["base_year"] = base_year.astype(int)
    d["year"] = d["year"].astype(int)
    return d[[*keys, "year", *GROWTH_SUFFIX]]


def _previous_values(top: pd.DataFrame, prev: pd.DataFrame) -> pd.Series:
    """Last year's value of the same code. Across an HS revision change the code must map
    1:1 onto itself (UNSD correlation tables, vocab.hs); else it is not comparable and
    stays empty."""
    by_code = prev.groupby("hs_code").agg(v=("value_usd", "sum"), rev=("hs_rev", "first"))
    out = []
    for code, rev in zip(top["hs_code"], top["hs_rev"], strict=True):
        if code not in by_code.index:
            out.append(np.nan)
            continue
        v, prev_rev = by_code.loc[code, "v"], by_code.loc[code, "rev"]
        out.append(float(v) if prev_rev == rev or _same_code(code, rev, prev_rev) else np.nan)
    return pd.Series(out, index=top.index, dtype=float)


def _same_code(code: str, rev: str, other: str) -> bool:
    """True when `code` in `rev` correlates 1:1 with the same code in `other`."""
    try:
        from tradeviz.vocab import hs

        c = hs.correlated(str(code), str(rev), str(other))
    except (ImportError, LookupError, ValueError, TradevizError):
        return False
    return len(c) == 1 and c["code"].iat[0] == code and c["relation"].iat[0] == "1:1"


def hs_description(code: str, rev: str | None, given: str | None = None) -> str:
    """A product's short description: the HS reference when it is installed
    (tradeviz.vocab.hs.short_label), else the description carried in flows, else ''."""
    try:
        from tradeviz.vocab.hs import short_label  # the HS reference, when present
    except ImportError:
        short_label = None
    if short_label is not None:
        try:
            label = short_label(str(code), rev) if rev else short_label(str(code))
        except (KeyError, ValueError, TypeError, LookupError):
            label = None
        if label:
            label = str(label)
            return label[len(str(code)) :].strip(" -–:") if label.startswith(str(code)) else label
    if given is not None and not (isinstance(given, float) and np.isnan(given)) and given:
        return str(given)
    return ""


def check_dataset_years(ds: Dataset, years) -> tuple[int, ...] | None:
    """A year filter checked against what `ds` holds (for the CLI)."""
    return check_years("years", years, ds.available_years())


__all__ = [
    "CA5",
    "Dataset",
    "TablesMissingError",
    "growth_table",
    "open_dataset",
    "project_root",
    "resolve_data_dir",
]
