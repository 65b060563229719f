"""The analyst's view of the processed tables: `tradeviz.open()` returns a Dataset whose
methods answer the usual questions (totals, growth, shares, top products, focus areas,
recent months, mirror gaps) as tidy DataFrames with the columns documented in the data
dictionary. Charts draw from these methods, so a chart, its CSV and the API agree.

Methods never print; `ds.synthetic` and `ds.provenance` say what the numbers are."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from tradeviz import config
from tradeviz.analysis import mirror as _mirror
from tradeviz.analysis import products as _products
from tradeviz.analysis import totals as _totals
from tradeviz.analysis import world as _world
from tradeviz.analysis.arguments import (
    check_arguments,
    check_years,
    describe_years,
)
from tradeviz.analysis.mirror import CHAPTER_COLUMNS, MIRROR_COLUMNS  # noqa: F401 (API)
from tradeviz.analysis.products import (  # noqa: F401 (API)
    AREA_COLUMNS,
    NO_UNIT,
    TOP_COLUMNS,
    hs_description,
)
from tradeviz.analysis.totals import (  # noqa: F401 (API)
    CA5,
    GROWTH_KWARGS,
    TOTALS_COLUMNS,
    TRADE_FLOWS,
    growth_table,
    pair_totals,
)
from tradeviz.errors import TradevizError
from tradeviz.vocab.countries import CA_ISO3, CHINA, WORLD_ISO3
from tradeviz.vocab.flows import SOURCES

TABLE_NAMES = ("flows", "mirror", "focus")


class TablesMissingError(TradevizError):
    """The data directory holds no processed tables."""


# ------------------------------------------------------------------------ finding the data
def _has_tables(data_dir: Path) -> bool:
    from tradeviz.store.tables import has_tables

    return has_tables(data_dir / "processed")


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
    from tradeviz.store.processed import PARTITION_INDEX, check_tables, current_dir
    from tradeviz.store.tables import has_tables

    path, origin = resolve_data_dir(data_dir)
    processed = path / "processed"
    # Resolved once, before anything is looked at: a build that switches the processed/
    # generation meanwhile cannot mix two builds' tables (or checks) in one Dataset.
    generation = current_dir(path)
    if not has_tables(generation):
        raise TablesMissingError(
            f"no processed tables in {processed} ({PARTITION_INDEX} missing; directory from "
            f"{origin}); run `tradeviz build` after `tradeviz fetch`,"
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
    """The processed tables of one build generation, read through DuckDB from their
    partitions (store/tables.py): a whole table once, shared by filtered views; or only
    the rows a view needs, when the whole table was not read."""

    processed: Path | None
    given: dict = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        """Table `name` whole, read once."""
        if name not in self.given:
            from tradeviz.store.tables import read_table

            self.given[name] = read_table(self.processed, name)
        return self.given[name]

    def rows(self, name: str, where: str, params: tuple) -> pd.DataFrame:
        """Only table `name`'s rows matching the SQL `where` (a view's; not kept)."""
        from tradeviz.store.tables import read_table

        return read_table(self.processed, name, where, params)

    def held_years(self) -> tuple[int, ...] | None:
        """The years of the flows partitions (from the index, nothing read); None for
        tables in memory or a store built before partitions."""
        if "_years" not in self.given:
            from tradeviz.store.tables import partition_years

            self.given["_years"] = (
                None if self.processed is None else partition_years(self.processed, "flows")
            )
        return self.given["_years"]

    def connection(self):  # noqa: ANN201 (a duckdb connection; duckdb loads lazily)
        """The DuckDB connection over these tables (made once, on the first query)."""
        if "_duckdb" not in self.given:
            from tradeviz.analysis.engine import connect

            frames = {k: v for k, v in self.given.items() if not k.startswith("_")}
            self.given["_duckdb"] = connect(self.processed, frames)
        return self.given["_duckdb"]

    def meta(self) -> dict:
        if "_meta" not in self.given:
            from tradeviz.store.tables import build_meta

            self.given["_meta"] = build_meta(self.processed)
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
        if not (self.years or self.countries) and self._frames.held_years() is not None:
            return self._frames.held_years()  # the store's: no table read
        flows = self.flows
        return tuple(sorted(int(y) for y in flows["year"].unique())) if len(flows) else ()

    def _keep(self) -> tuple[list, list]:
        """The view's countries (with China and World, which every view needs) and years."""
        keep = sorted(set(self.countries) | {CHINA.iso3, WORLD_ISO3}) if self.countries else []
        return keep, list(self.years or ())

    def _cut(self, name: str, a: str, b: str) -> pd.DataFrame:
        """Table `name` within the view: read with the view's filters pushed down to DuckDB
        (only its years' partitions are opened), or cut from the whole table once read."""
        keep, years = self._keep()
        if not (keep or years):
            return self._frames.table(name)
        if name not in self._frames.given and self._frames.processed is not None:
            clauses, params = [], []
            if years:
                clauses.append(f"year IN ({', '.join('?' * len(years))})")
                params += years
            if keep:
                marks = ", ".join("?" * len(keep))
                clauses.append(f"{a} IN ({marks}) AND {b} IN ({marks})")
                params += keep + keep
            return self._frames.rows(name, " AND ".join(clauses), tuple(params))
        df = self._frames.table(name)
        mask = pd.Series(True, index=df.index)
        if keep:
            mask &= df[a].isin(keep) & df[b].isin(keep)
        if years:
            mask &= df["year"].isin(years)
        return df if mask.all() else df[mask]

    @cached_property
    def flows(self) -> pd.DataFrame:
        return self._cut("flows", "reporter", "partner")

    @cached_property
    def mirror_table(self) -> pd.DataFrame:
        return self._cut("mirror", "exporter", "importer")

    @cached_property
    def focus(self) -> pd.DataFrame:
        return self._cut("focus", "reporter", "partner")

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
        return _totals.totals(self, reporter=reporter, partners=partners, years=years, freq=freq)

    # ------------------------------------------------------------------------------ growth
    def growth(
        self, of: str = "totals", start: int | None = None, end: int | None = None, **kwargs
    ) -> pd.DataFrame:
        """Year-on-year change and compound annual growth since the window's first year,
        for `of` = "totals" (exports/imports/total per partner, annual), "areas" (by_area,
        one row per area, flow and match) or "products" (HS6 rows of one country and flow:
        country= is needed, flow= defaults to export). kwargs go to the underlying method
        (GROWTH_KWARGS lists which); `start` and `end` bound the window (years)."""
        return _totals.growth(self, of=of, start=start, end=end, **kwargs)

    # ------------------------------------------------------------------------------ shares
    def shares(self, years=None, countries=None) -> pd.DataFrame:
        """China's share of each Central Asian country's goods trade, from both sides: the
        country's own report (its China row over its World row) and China's report of the
        bilateral trade over the country's World row. Comtrade annual; a country that
        reports no World row has no share."""
        return _totals.shares(self, years=years, countries=countries)

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
        return _products.top_products(
            self, country=country, flow=flow, year=year, n=n, reporter=reporter
        )

    # ------------------------------------------------------------------------------- areas
    def by_area(
        self, reporter: str = "CHN", partners=None, years=None, flow: str | None = None, areas=None
    ) -> pd.DataFrame:
        """Value per focus area, year and flow, each HS leaf row counted once: in its first
        area (registry order) the rule covers fully (match `full`); else, as the partial
        remainder, in its first area covered only partly (match `partial`: the code also
        holds other goods); else in `other` (match `none`). The rows of a year and flow sum
        to its total."""
        return _products.by_area(
            self, reporter=reporter, partners=partners, years=years, flow=flow, areas=areas
        )

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
        return _products.area_detail(
            self, area=area, flow=flow, by=by, reporter=reporter, years=years, codes=codes
        )

    # ----------------------------------------------------------------------------- monthly
    def monthly(self, reporter: str = "CHN", partners=None, months: int = 12) -> pd.DataFrame:
        """The latest `months` months of each partner's exports, imports and total (CA5 too
        when all five are shown), ending at the latest month in the data; Comtrade monthly
        where fetched, else IMF IMTS (named in `source`)."""
        return _totals.monthly(self, reporter=reporter, partners=partners, months=months)

    def year_to_date(self, reporter: str = "CHN", partners=None) -> pd.DataFrame:
        """Latest year to date against the same months of the previous year, per partner
        and measure (exports, imports, total), from the monthly series."""
        return _totals.year_to_date(self, reporter=reporter, partners=partners)

    def imf_vs_comtrade(self, years=None) -> pd.DataFrame:
        """China-reported annual trade per country and flow from both sources: UN Comtrade
        annual beside IMF IMTS monthly summed (years with all twelve months only), and the
        difference IMF / Comtrade - 1."""
        return _totals.imf_vs_comtrade(self, years=years)

    # ------------------------------------------------------------------------------ mirror
    def mirror(self, freq: str = "A", countries=None, years=None) -> pd.DataFrame:
        """Both directions of each China–country pair per year: the exporter's reported
        exports (FOB) beside the importer's reported imports (CIF), gap (importer minus
        exporter) and ratio (importer / exporter). A side that reports nothing for the
        direction and year leaves gap and ratio empty. Headings listed as
        `unmatched_revision` are left out of both sides."""
        return _mirror.mirror(self, freq=freq, countries=countries, years=years)

    def mirror_chapters(
        self, year: int | None = None, n: int = 5, countries=None, freq: str = "A"
    ) -> pd.DataFrame:
        """The HS chapters that explain most of each direction's gap in `year` (default:
        the latest year both sides report): per chapter the two sides, gap, its share of
        the direction's gap, ranked by absolute gap; directions where one side reports
        nothing are left out."""
        return _mirror.mirror_chapters(self, year=year, n=n, countries=countries, freq=freq)

    # ------------------------------------------------------ SQL and the world layer (#19)
    def sql(self, query: str) -> pd.DataFrame:
        """Run SQL (DuckDB's dialect) over the views flows, mirror, focus, world and
        partners, whose columns are the data dictionary's; returns a DataFrame. The views
        are whole tables (this view's filters do not apply); DuckDB reads only the
        partitions and columns the query needs. A failing query raises SqlError."""
        from tradeviz.analysis import engine

        query = self._check(query=query).query
        con = self._frames.connection()
        if engine.names_partners(query) and "_partners_view" not in self._frames.given:
            con.register("partners", _world.all_partners(self))
            self._frames.given["_partners_view"] = True
        return engine.run(con, query)

    def world(
        self, level: int = 6, years=None, reporters=None, flow: str | None = None
    ) -> pd.DataFrame:
        """Every reporter's trade with the World by product at HS `level` (2, 4 or 6), for
        `years` (any year form; default this view's years), `reporters` (ISO3 of any
        country) and `flow` ("export"/"import"), read with the filters pushed down. Raises
        WorldLayerMissingError naming the fetch that provides the level."""
        a = self._check(("flow",), level=level, reporters=reporters, flow=flow)
        where = self.data_dir / "processed" if self.data_dir else self.processed
        con = self._frames.connection()
        return _world.world(
            con, self.processed, a.level, years, a.reporters, a.flow, where, self.years
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

    def potential(
        self, country: str, area=None, years=None, level: int = 6, n: int | None = 20, *, areas=None
    ):
        """Export potential in China (market-share method) with focus-area tags."""
        from tradeviz.analysis import structure

        return structure.potential(self, country, area, years, level, n, areas=areas)

    def complexity(self, country: str, years=None, level: int = 4) -> pd.DataFrame:
        """ECI, and mean PCI of exports to the World and to China (ecomplexity)."""
        from tradeviz.analysis import structure

        return structure.complexity(self, country, years, level)


# --------------------------------------------------------------------------- pure helpers


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
