"""The one API contract of the Dataset (issue 21, item 5): every method takes a year as an
int, a str or a span, a list of years means exactly those years, a year the data do not
hold raises, and every argument is checked by analysis.arguments with the same one-line
FilterError. The walk below introspects the public methods, so a new method or argument
cannot escape it."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from tradeviz.analysis import arguments
from tradeviz.analysis.dataset import Dataset
from tradeviz.analysis.filters import FilterError
from tradeviz.schema import FLOWS_FIELDS, FOCUS_FIELDS, conform

FIVE = ("KAZ", "KGZ", "TJK", "TKM", "UZB")
YEARS = (2019, 2020, 2021, 2022, 2023)


def _row(
    reporter, partner, flow, year, value, code="TOTAL", source="comtrade", freq="A", month=None
):
    return {
        "source": source,
        "freq": freq,
        "year": year,
        "month": pd.NA if month is None else month,
        "quarter": pd.NA,
        "reporter": reporter,
        "partner": partner,
        "flow": flow,
        "hs_rev": None if code == "TOTAL" else "H5",
        "hs_code": code,
        "hs_level": 0 if code == "TOTAL" else len(code),
        "value_usd": float(value),
        "qty": None,
        "qty_unit": None,
        "synthetic": False,
        "snapshot": "abc",
    }


@pytest.fixture(scope="module")
def ds() -> Dataset:
    """Five years of China's trade with the five (value = year-dependent, so each year's
    total is known), two HS6 products to Kazakhstan, Kyrgyz reports, IMF months of 2023."""
    rows, hs = [], []
    for year in YEARS:
        k = year - 2018  # 1..5
        for i, iso in enumerate(FIVE):
            rows.append(_row("CHN", iso, "export", year, (i + 1) * 1e9 * k))
            rows.append(_row("CHN", iso, "import", year, (i + 1) * 0.5e9 * k))
        rows += [
            _row("KGZ", "CHN", "import", year, 1e9 * k),
            _row("KGZ", "WLD", "import", year, 5e9 * k),
        ]
        hs += [
            _row("CHN", "KAZ", "export", year, 6e8 * k, "271121"),
            _row("CHN", "KAZ", "export", year, 4e8 * k, "851713"),
        ]
    for month in range(1, 13):
        for iso in FIVE:
            rows.append(_row("CHN", iso, "export", 2023, 1e8, source="imf", freq="M", month=month))
    flows = conform(pd.DataFrame(rows + hs), FLOWS_FIELDS)
    tags = [{**r, "area": "energy", "subarea": "", "match": "full", "rule_id": "r"} for r in hs]
    focus = conform(pd.DataFrame(tags[::2]), FOCUS_FIELDS)
    return Dataset.from_frames(flows, focus=focus, meta={"synthetic": False})


def _kaz_exports(frame: pd.DataFrame) -> dict[int, float]:
    kaz = frame[frame["partner"] == "KAZ"]
    return dict(zip(kaz["year"].astype(int), kaz["exports_usd"], strict=True))


# --------------------------------------------------------------------------- year forms
def test_a_year_is_an_int_a_str_or_a_span_and_a_list_means_those_years(ds):
    assert _kaz_exports(ds.totals(years=2023)) == {2023: 5e9}
    assert _kaz_exports(ds.totals(years="2023")) == {2023: 5e9}
    assert _kaz_exports(ds.totals(years=np.int64(2023))) == {2023: 5e9}
    assert set(_kaz_exports(ds.totals(years="2020-2022"))) == {2020, 2021, 2022}
    assert set(_kaz_exports(ds.totals(years=[2019, 2021, 2023]))) == {2019, 2021, 2023}
    assert set(_kaz_exports(ds.totals(years="2019,2021-2022"))) == {2019, 2021, 2022}
    assert set(_kaz_exports(ds.totals(years=range(2021, 2023)))) == {2021, 2022}
    # the view keeps exactly those years, in every method
    view = ds.filter(years=[2019, 2023])
    assert view.years == (2019, 2023) and view.available_years() == [2019, 2023]
    assert set(_kaz_exports(view.totals())) == {2019, 2023}
    assert set(view.growth()["year"]) == {2019, 2023}
    assert view.filters == {"years": "2019, 2023"}  # not mistaken for the span 2019-2023
    assert ds.filter(years=2023).filters == {"years": [2023, 2023]}
    assert ds.filter(years="2021-2022").filters == {"years": [2021, 2022]}


def test_one_year_argument_takes_an_int_or_a_str(ds):
    by_int = ds.top_products("KAZ", "export", 2021)
    by_str = ds.top_products("KAZ", "export", "2021")
    pd.testing.assert_frame_equal(by_int, by_str)
    assert by_int["value_usd"].tolist() == [6e8 * 3, 4e8 * 3]
    assert set(ds.growth(start="2020", end=2021)["year"]) == {2020, 2021}


def test_a_span_is_cut_to_the_years_held_and_single_years_must_be_held(ds):
    assert ds.filter(years="2010-2020").years == (2019, 2020)
    with pytest.raises(FilterError, match=r"^years=\[2019, 2035\]: no data for years 2035; "):
        ds.totals(years=[2019, 2035])
    with pytest.raises(FilterError, match="the tables hold 2019-2023"):
        ds.filter(years="2030-2035")
    with pytest.raises(
        FilterError, match=r"^year=2035: no data for 2035; the tables hold 2019-2023$"
    ):
        ds.top_products("KAZ", "export", 2035)
    with pytest.raises(FilterError, match="year=2018"):
        ds.top_products("KAZ", "export", 2018)
    # a year held by the tables but not by the product rows asked for still raises
    with pytest.raises(FilterError, match=r"year=2023: no data for 2023; KAZ's import"):
        ds.top_products("KAZ", "import", 2023, reporter="KAZ")  # KAZ reports no products
    assert ds.top_products("KAZ", "import", reporter="KAZ").empty  # no year asked: no rows


def test_growth_works_for_every_documented_of_or_refuses(ds):
    assert not ds.growth("totals").empty
    assert not ds.growth("areas", partners="KAZ", flow="export").empty
    p = ds.growth("products", country="KAZ").set_index(["hs_code", "year"])
    assert p.loc[("271121", 2020), "yoy"] == pytest.approx(1.0)  # 6e8 -> 12e8
    with pytest.raises(FilterError, match=r"^country=None: growth of products needs one country"):
        ds.growth("products")
    with pytest.raises(FilterError, match=r"^colour='red': not an argument of growth"):
        ds.growth("totals", colour="red")
    with pytest.raises(FilterError, match=r"^freq='M': growth is year on year"):
        ds.growth("totals", freq="M")
    with pytest.raises(FilterError, match=r"^start=2022: after end=2020"):
        ds.growth(start=2022, end=2020)


# -------------------------------------------------------------------------- the walk
# Bad values of every argument any public method takes, each with the text of the bad
# value the message must quote. A new argument name fails the walk until it is added here.
BAD = {
    "years": [
        ("abc", "'abc'"),
        (2035, "2035"),
        ([2019, 2035], "2035"),
        ("2030-2035", "2030-2035"),
        ("2023-2019", "2023-2019"),
        (2023.0, "2023.0"),
        (True, "True"),
    ],
    "year": [(2035, "2035"), ("abc", "'abc'"), ("2019-2023", "'2019-2023'"), (2023.5, "2023.5")],
    "start": [(2035, "2035"), ("x", "'x'")],
    "end": [(1999, "1999"), ([2020, 2021], "[2020, 2021]")],
    "reporter": [("XYZ", "'XYZ'"), (None, "None"), (156, "156")],
    "partners": [("XYZ", "'XYZ'"), (["KAZ", "xyz"], "'xyz'"), (5, "5")],
    "country": [("XYZ", "'XYZ'"), ("CHN", "'CHN'"), (None, "None")],
    "countries": [("XYZ", "'XYZ'"), (["CHN"], "'CHN'")],
    "flow": [("exprot", "'exprot'"), ("total", "'total'"), (1, "1")],
    "freq": [("X", "'X'"), ("Q", "'Q'")],
    "months": [(-3, "-3"), (0, "0"), ("abc", "'abc'"), (2.5, "2.5")],
    "n": [(0, "0"), (-1, "-1"), ("ten", "'ten'")],
    "area": [("gold", "'gold'"), (None, "None")],
    "areas": [("gold", "'gold'"), (["energy", "gold"], "'gold'")],
    "side": [("both", "'both'")],
    "sides": [(["both"], "'both'"), ("reported,x", "'x'")],
    "of": [("countries", "'countries'")],
    "by": [("country", "'country'")],
    "codes": [(["27x"], "'27x'"), ("2711,abc", "'abc'")],
    # issue 20's measures
    "level": [(5, "5"), ("x", "'x'"), (True, "True")],  # ds.world (issue 19)
    **{k: [("XYZ", "'XYZ'"), (None, "None")] for k in ("exporter", "importer", "a", "b")},
    "market": [("XYZ", "'XYZ'")],
    "partner": [("XYZ", "'XYZ'")],
    "by_product": [("yes", "'yes'")],
    "reporters": [("XYZ", "'XYZ'"), (["KAZ", "xyz"], "'xyz'"), (5, "5")],
    "query": [(123, "123"), ("", "''")],  # ds.sql
}
# Valid values for the arguments a method needs when another one is the bad one.
NEEDED = {"country": "KAZ", "area": "energy", "flow": "export"}
NEEDED |= {"exporter": "CHN", "importer": "KAZ", "a": "KAZ", "b": "UZB", "reporter": "CHN"}
NEEDED |= {"partner": "KAZ"}  # issue 20's measures


def _public_methods() -> list[tuple[str, inspect.Signature]]:
    return [
        (name, inspect.signature(fn))
        for name, fn in inspect.getmembers(Dataset, predicate=inspect.isfunction)
        if not name.startswith("_")
    ]


def test_every_argument_name_has_bad_values_and_a_check():
    names = {p for _, sig in _public_methods() for p in sig.parameters}
    names -= {"self", "kwargs"}
    assert names <= set(BAD), f"add bad values for {sorted(names - set(BAD))} to BAD"
    assert names <= set(arguments.CHECKED), "add a check to arguments._checkers"


def _cases():
    for name, sig in _public_methods():
        params = [p for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD]
        for param in params[1:]:  # self first
            for bad, shown in BAD[param.name]:
                if bad is None and param.default is None:
                    continue  # None is this argument's default (potential's area: all)
                yield pytest.param(name, param.name, bad, shown, id=f"{name}-{param.name}-{bad!r}")


@pytest.mark.parametrize(("method", "arg", "bad", "shown"), list(_cases()))
def test_every_method_refuses_every_bad_argument_in_one_line(ds, method, arg, bad, shown):
    sig = inspect.signature(getattr(Dataset, method))
    needed = {
        p: v
        for p, v in NEEDED.items()
        if p in sig.parameters and sig.parameters[p].default is inspect.Parameter.empty
    }
    with pytest.raises(FilterError) as err:
        getattr(ds, method)(**{**needed, arg: bad})
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith(f"{arg}={shown}") or text.startswith(f"{arg}=") and shown in text
    assert "; use " in text or " hold " in text, text  # names what is allowed


def test_the_walk_covers_the_methods_the_issue_names():
    names = {name for name, _ in _public_methods()}
    assert {"totals", "filter", "top_products", "growth", "by_area", "mirror", "monthly"} <= names


def test_bad_values_the_issue_found_now_raise(ds):
    with pytest.raises(FilterError, match=r"^flow='exprot': not known; use one of export, import"):
        ds.by_area(flow="exprot")
    with pytest.raises(FilterError, match=r"^freq='X': not known; use one of A, M"):
        ds.mirror(freq="X")
    with pytest.raises(FilterError, match=r"^months=-3: below 1"):
        ds.monthly(months=-3)
    assert len(ds.monthly(months=3)["period"].unique()) == 3
    assert ds.by_area(flow="EXPORT")["flow"].unique().tolist() == ["export"]  # any case


def test_unknown_countries_get_the_closest_codes_by_name(ds):
    with pytest.raises(
        FilterError, match=r"^partners='Uzbekistan': unknown country; .*closest: UZB"
    ):
        ds.totals(partners=["Uzbekistan"])
    with pytest.raises(FilterError, match=r"^country='kazakstan': .*KAZ, KGZ.*closest: KAZ\)$"):
        ds.top_products("kazakstan")


def test_a_view_of_scattered_years_is_described_as_those_years(ds):
    from tradeviz.charts.base import describe_filters, title_suffix

    view = ds.filter(years="2019,2021")
    assert describe_filters(view.filters) == "years 2019, 2021"
    assert title_suffix(view.filters) == " — 2019, 2021"
    assert describe_filters(ds.filter(years="2020-2022").filters) == "years 2020-2022"
    sides = ds.china_first_year("KGZ", sides=["mirror", "reported"])["side"].tolist()
    assert sides == ["mirror", "reported"]  # in the order asked
