"""The Comtrade planner, batch sizer and executor, each on its own.

The planner and sizer are pure: they are driven here by a simulated API (rows per cell and
HS code, skewed by chapter like real trade) that answers with the cap's truncation, so the
tests check coverage, capped answers, call counts and determinism without HTTP."""

from __future__ import annotations

import json
import logging
import math
import random
from collections import Counter

import pytest
from click.testing import CliRunner

from tradeviz.errors import TruncatedResultError
from tradeviz.extract import comtrade
from tradeviz.extract.comtrade import sizing
from tradeviz.extract.comtrade.planner import GroupPlanner, split
from tradeviz.extract.comtrade.query import PlanGroup, Query

CODES6 = [f"{ch:02d}{i:04d}" for ch in range(1, 98) for i in range(0, 60)]
URL = "https://comtradeapi.un.org/public/v1/preview/C/A/HS"


class FakeApi:
    """Rows per (reporter, partner, flow, period, code): dense chapters hold most lines."""

    def __init__(self, density: float, seed: int = 3, cap: int = 500):
        self.cap = cap
        rng = random.Random(seed)
        self.rows: set[tuple] = set()
        for rep in (156,):
            for par in (398, 417, 762, 795, 860):
                for flow in comtrade.FLOWS:
                    scale = density * (1.0 if flow in ("X", "M") else 0.05)
                    for period in ("2021", "2020", "2019"):
                        for code in CODES6:
                            weight = 3.0 if int(code[:2]) in range(84, 91) else 0.7
                            if rng.random() < scale * weight:
                                self.rows.add((rep, par, flow, period, code))
        self.calls: list[Query] = []
        self.by_code: dict[str, list[tuple]] = {}
        for r in sorted(self.rows):
            self.by_code.setdefault(r[4], []).append(r)

    def answer(self, q: Query) -> tuple[list[tuple], bool, float | None]:
        self.calls.append(q)
        pool = (
            sorted(self.rows)
            if not q.explicit_codes
            else [r for c in q.cmd for r in self.by_code.get(c, [])]
        )
        got = [
            r
            for r in pool
            if r[0] in q.reporters and r[1] in q.partners and r[2] in q.flows and r[3] in q.periods
        ]
        capped = len(got) >= self.cap
        got = got[: self.cap]
        sumsq = (
            sum(n * n for n in Counter(r[4] for r in got).values()) if q.explicit_codes else None
        )
        return got, capped, sumsq


GROUP = PlanGroup(
    "china-reported", (156,), (398, 417, 762, 795, 860), "AG6", ("2021", "2020", "2019")
)


def _planner(
    cap: int = 500,
    prior: float | None = None,
    group: PlanGroup = GROUP,
    max_periods: int | None = None,
) -> GroupPlanner:
    def room(q: Query) -> int:
        params = {**q.params(), "maxRecords": str(cap)}
        return comtrade.URL_LIMIT - sizing.url_length(URL, params)

    return GroupPlanner(
        group,
        "A",
        cap,
        codes=lambda level: CODES6,
        url_room=room,
        max_periods=max_periods,
        prior=prior,
    )


def _drive(api: FakeApi, planner: GroupPlanner) -> set[tuple]:
    """Run the planner to the end; returns the rows of complete answers."""
    kept: set[tuple] = set()
    while (q := planner.next_query()) is not None:
        rows, capped, sumsq = api.answer(q)
        planner.observe(q, len(rows), capped, sumsq)
        if not capped:
            assert not kept & set(rows), f"{q.describe()} fetched rows twice"
            kept |= set(rows)
    return kept


@pytest.mark.parametrize("density", [0.08, 0.25])
def test_planner_covers_every_row_once_within_1_5x_minimum(density):
    api = FakeApi(density)
    planner = _planner()
    kept = _drive(api, planner)
    assert kept == api.rows
    minimum = math.ceil(len(api.rows) / api.cap)
    assert len(api.calls) <= 1.5 * minimum + 3, (len(api.calls), minimum)
    assert planner.capped <= 0.05 * len(api.calls) + 1


def test_small_box_is_complete_and_bounded_by_the_url():
    """A box too small to fill a call with as many codes as a URL holds (a known limit:
    such boxes cost about codes / URL capacity calls, not rows / cap)."""
    api = FakeApi(0.02)
    kept = _drive(api, _planner())
    assert kept == api.rows
    per_url = sizing.codes_in_room(CODES6, comtrade.URL_LIMIT - 300)
    assert len(api.calls) <= math.ceil(len(CODES6) / per_url) + 5


def test_planner_is_deterministic_so_reruns_find_every_query_stored():
    first = FakeApi(0.08)
    _drive(first, _planner())
    second = FakeApi(0.08)
    _drive(second, _planner())
    assert [q.key for q in first.calls] == [q.key for q in second.calls]


def test_prior_far_over_the_cap_skips_the_whole_level_call():
    api = FakeApi(0.25)
    _drive(api, _planner(prior=8 * 500 * 1.5))
    assert all(q.explicit_codes for q in api.calls)
    without = FakeApi(0.25)
    _drive(without, _planner())
    assert without.calls[0].cmd == ("AG6",)  # asked whole first, and capped


def test_total_groups_are_packed_exactly_and_never_capped():
    group = PlanGroup(
        "world", (156, 398), (0,), "TOTAL", tuple(str(y) for y in range(2024, 1990, -1))
    )
    planner = _planner(cap=30, group=group)
    sizes = []
    while (q := planner.next_query()) is not None:
        assert q.upper_bound() is not None and q.upper_bound() < 30
        sizes.append(len(q.periods))
        planner.observe(q, q.upper_bound(), False)
    assert sum(sizes) == 34 and max(sizes) == 29 // 8


def test_periods_per_call_limit_defaults_to_the_live_12():
    assert comtrade.MAX_PERIODS_PER_CALL == 12 and comtrade.URL_LIMIT == 1900
    history = [(0.0, 10.0)]
    assert sizing.periods_per_call(history, 1, 24, 100_000) == 24  # no limit
    assert sizing.periods_per_call(history, 1, 24, 100_000, limit=12) == 12
    assert sizing.periods_per_call([], 0, 24, 100_000) == 1
    assert sizing.periods_per_call([], 0, 24, 100_000, prior=5_000) == 12


def test_periods_per_call_extrapolates_shrinking_older_periods():
    # newest periods 1000 rows each, falling by 50 a period
    history = [(0.0, 1000.0), (1.5, 925.0)]
    k = sizing.periods_per_call(history, 3, 20, 5_000)
    expected = sum(1000 - 50 * p for p in range(3, 3 + k))
    assert expected <= 5_000 * sizing.FILL < expected + 1000 - 50 * (3 + k)


def test_chunk_size_keeps_z_deviations_under_the_cap():
    d = sizing.CodeDensity(cells=60, codes=2_000, rows=8_000, sumsq=2_000 * 25.0)
    k = sizing.chunk_size(d, 500)
    mean, var, _ = d.mean_var()
    assert mean * k + sizing.Z * math.sqrt(var * k) <= 500
    assert mean * (k + 10) > 0.8 * 500  # not needlessly small
    spread = sizing.CodeDensity(cells=60, codes=2_000, rows=8_000, sumsq=2_000 * 100.0)
    assert sizing.chunk_size(spread, 500) < k  # more spread, smaller chunks
    assert sizing.chunk_size(sizing.CodeDensity(cells=60), 500) == int(500 * 0.6 / 60)


def test_spread_chunk_samples_every_chapter_and_balanced_has_no_small_tail():
    chunk = sizing.spread_chunk(CODES6, 97)
    assert len(chunk) == 97 and len({c[:2] for c in chunk}) == 97
    assert sizing.spread_chunk(CODES6[:5], 10) == CODES6[:5]
    assert sizing.balanced(1000, 300) == 250
    assert sizing.balanced(100, 300) == 100


def test_split_of_a_capped_single_cell_code_is_an_error():
    q = Query("A", (156,), (398,), ("2020",), ("854143",), ("X",))
    with pytest.raises(TruncatedResultError, match="cannot be split"):
        split(q, 500)
    halves = split(Query("A", (156,), (398,), ("2020",), ("01", "02", "03"), ("X",)), 500)
    assert [h.cmd for h in halves] == [("01",), ("02", "03")]


def test_url_length_matches_what_requests_sends():
    import requests

    q = Query("A", (156,), (398, 417), ("2021", "2020"), ("010121", "854143"))
    params = {**q.params(), "maxRecords": "500"}
    url = "http://127.0.0.1:1/public/v1/preview/C/A/HS"
    sent = requests.Request("GET", f"{url}?{sizing.query_string(params)}").prepare().url
    assert sizing.url_length(url, params) == len(sent)
    assert "cmdCode=010121,854143" in sent  # commas sent as commas: more codes per URL


def test_estimate_is_close_to_the_calls_made(store, fast_client, comtrade_api):
    api = comtrade_api()
    groups = comtrade.default_plan(("2021", "2020"), "6")
    fetcher = comtrade.ComtradeFetcher(store, client=fast_client(), progress=False)
    estimate = fetcher.estimate(groups, "A")
    stats = fetcher.run(groups, "A")
    assert stats.truncated <= 0.05 * api.calls + 1
    assert 0.7 * api.calls <= estimate <= 1.3 * api.calls


def test_executor_learns_from_old_snapshots_without_rows_sumsq(store, fast_client, comtrade_api):
    """Snapshots stored before the planner recorded rows_sumsq: a rerun reads the body
    (through the raw store) and still proposes exactly the stored queries."""
    api = comtrade_api()
    groups = comtrade.custom_plan(("2021",), "6", ["CHN"], ["KAZ", "UZB"])
    comtrade.ComtradeFetcher(store, client=fast_client(), progress=False).run(groups, "A")
    assert any("rows_sumsq" in s.record for s in store.snapshots("comtrade"))
    manifest = store.manifest_path
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    for rec in lines:
        rec.pop("rows_sumsq", None)
    manifest.write_text("".join(json.dumps(rec) + "\n" for rec in lines))
    calls = api.calls
    stats = comtrade.ComtradeFetcher(store, client=fast_client(), progress=False).run(groups, "A")
    assert api.calls == calls and stats.calls == 0


def test_cli_prints_the_estimate_before_fetching(data_dir, comtrade_api, caplog):
    from tradeviz.cli import main

    comtrade_api()
    caplog.set_level(logging.INFO)
    result = CliRunner().invoke(
        main,
        ["fetch", "comtrade", "--years", "2021", "--level", "auto"],
        env={"TRADEVIZ_COMTRADE_RPS": "1000"},
    )
    assert result.exit_code == 0, result.output
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("tradeviz")]
    first = next(i for i, m in enumerate(messages) if m.startswith("comtrade: about "))
    assert "HS level 6" in messages[first]  # auto picks HS6: a year is a few dozen calls
    fetched = [i for i, m in enumerate(messages) if m.startswith("comtrade: fetched")]
    assert fetched and first < fetched[0]


@pytest.mark.parametrize("served", [True, False])
def test_availability_probe_only_lowers_data_calls(store, fast_client, comtrade_api, served):
    """Turkmenistan reports no year here: the probe's zero counts let every period go in
    one call; a server without the endpoint changes nothing but the probe itself."""
    api = comtrade_api(availability=served)
    groups = comtrade.custom_plan(
        tuple(str(y) for y in range(2021, 2009, -1)), "6", ["TKM"], ["CHN"]
    )
    probed = comtrade.ComtradeFetcher(store, client=fast_client(), progress=False, probe=True).run(
        groups, "A"
    )
    assert api.availability_calls == 1
    plain_store = type(store)(store.root.parent / "plain")
    plain = comtrade.ComtradeFetcher(plain_store, client=fast_client(), progress=False).run(
        groups, "A"
    )
    assert probed.rows == plain.rows == 0
    if served:
        assert probed.calls == 1 < plain.calls
        assert any(s.source == "comtrade_availability" for s in store.snapshots())
    else:
        assert probed.calls == plain.calls
    again = comtrade.ComtradeFetcher(store, client=fast_client(), progress=False, probe=True).run(
        groups, "A"
    )
    assert again.calls == 0 and api.availability_calls == (1 if served else 2)


def test_describe_names_a_few_countries_and_counts_a_long_list():
    from tradeviz.vocab.countries import BY_COMTRADE

    partners = tuple(sorted(BY_COMTRADE))[:240]
    wide = Query("A", (156,), partners, ("2023",), ("TOTAL",))
    assert wide.describe() == f"CHN->{len(partners)} partners 2023 TOTAL"
    assert len(wide.describe()) < 40
    few = Query("A", (156, 398), (0, 860), ("2023", "2022"), ("01", "02"))
    assert few.describe() == "CHN+KAZ->WLD+UZB 2022..2023(2) 2 codes 01..02"


def test_a_periods_limit_holds_in_the_box_and_every_row_is_fetched_once():
    """With fewer periods a call than the box holds, scouting asks for the first run of
    periods and every cut holds at most the limit (issue 22: 12 periods a call)."""
    api = FakeApi(0.08)
    kept = _drive(api, _planner(max_periods=2))
    assert kept == api.rows
    assert max(len(q.periods) for q in api.calls) <= 2
    assert any(len(q.cmd) > 1 for q in api.calls)  # the code-chunk box was used


def test_a_refused_query_is_split_along_its_longest_list():
    from tradeviz.errors import HttpError
    from tradeviz.extract.comtrade.planner import split_long

    codes = ("010121", "854143", "271121", "260300")
    q = Query("A", (156,), (398, 417, 762, 795), ("2021", "2020"), codes)
    assert [h.cmd for h in split_long(q, "url")] == [codes[:2], codes[2:]]  # the longest
    wide = Query("A", (156,), tuple(range(100, 130)), ("2021",), codes)
    assert [len(h.partners) for h in split_long(wide, "url")] == [15, 15]
    assert [h.periods for h in split_long(q, "periods")] == [("2021",), ("2020",)]
    one = Query("A", (156,), (398,), ("2021",), ("TOTAL",))
    with pytest.raises(HttpError, match="cannot be split further"):
        split_long(one, "url")
    planner = _planner(prior=50.0)  # small periods: the first call asks for all three
    first = planner.next_query()
    assert len(first.periods) == 3
    planner.refuse(first, "periods")
    assert planner.refused == 1 and planner.max_periods == 2
    assert [q.periods for q in (planner.next_query(), planner.next_query())] == [
        ("2021",),
        ("2020", "2019"),
    ]
