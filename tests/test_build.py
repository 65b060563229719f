"""`tradeviz build` on a raw layer fetched from the emulator, plus WITS and bad input."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from tradeviz.cli import main
from tradeviz.errors import BuildError, SnapshotError
from tradeviz.extract import comtrade
from tradeviz.schema import FLOWS_FIELDS, data_dictionary
from tradeviz.store.parquet import read_meta
from tradeviz.store.raw import RawStore
from tradeviz.store.tables import build_meta, read_table, table_files
from tradeviz.transform.build import build


@pytest.fixture
def fetched(default_plan_hs4, store, fast_client):
    """Default plan at HS4 for two years (conftest) plus a China-pair HS2+TOTAL query, via
    the preview."""
    for level in ("2", "total"):
        comtrade.ComtradeFetcher(store, client=fast_client(), progress=False).run(
            comtrade.custom_plan(("2021",), level, ["CHN"], ["TKM"]), "A"
        )
    return default_plan_hs4


def _raw_records(store: RawStore) -> list[dict]:
    out = []
    for snap in store.snapshots("comtrade"):
        if snap.complete:
            out += json.loads(store.read(snap))["data"]
    return out


def test_flows_sum_equals_raw_records_exactly(fetched, store):
    build(fetched)
    flows = read_table(fetched / "processed", "flows")
    raw = _raw_records(store)
    assert len(flows) == len(raw)
    assert flows["value_usd"].sum() == pytest.approx(sum(r["primaryValue"] for r in raw), rel=1e-12)
    assert list(flows.columns) == [f.name for f in FLOWS_FIELDS]
    assert flows["hs_code"].str.len().isin([2, 4, 5]).all()  # 5 = "TOTAL"
    assert set(flows.loc[flows["partner"] == "WLD", "hs_code"]) == {"TOTAL"}
    assert flows["month"].isna().all()  # refMonth 52 = annual
    assert build_meta(fetched / "processed")["synthetic"] is True
    parts = table_files(fetched / "processed", "flows")
    assert parts and all(read_meta(p)["synthetic"] is True for p in parts)
    assert flows["synthetic"].all()


def _table_bytes(processed, names=("flows", "mirror", "focus")) -> dict:
    """Every partition file of the tables, by its path inside the generation."""
    gen = processed.resolve()
    return {str(p.relative_to(gen)): p.read_bytes() for n in names for p in table_files(gen, n)}


def test_same_raw_layer_same_table(fetched):
    build(fetched)
    first = _table_bytes(fetched / "processed", ("flows",))
    build(fetched, full=True)
    assert _table_bytes(fetched / "processed", ("flows",)) == first


@pytest.mark.parametrize("how", ["read whole", "pieces of 64 KiB"])
def test_streamed_snapshots_build_the_same_tables_as_whole_ones(fetched, monkeypatch, how):
    """Comtrade snapshots are parsed as they are decompressed, run by run. Reading each
    body whole instead (the fallback), or in pieces of 64 KiB (more runs, records cut
    anywhere), gives the same files."""
    from tradeviz.store import raw as raw_store
    from tradeviz.transform import comtrade as cr

    streamed = []
    real = cr.read_stream
    monkeypatch.setattr(cr, "read_stream", lambda *a: streamed.append(real(*a)) or streamed[-1])
    build(fetched)
    assert streamed and all(runs for runs in streamed)  # every body took the stream path
    want = _table_bytes(fetched / "processed")
    assert len(want) > 3  # the partitions of flows, mirror and focus
    if how == "read whole":
        monkeypatch.setattr(cr, "read_stream", lambda *a: None)
    else:
        monkeypatch.setattr(raw_store, "PIECE_BYTES", 1 << 16)
    build(fetched, full=True)
    assert _table_bytes(fetched / "processed") == want


def test_a_snapshot_replaced_by_other_valid_json_fails_the_build_after_parsing(fetched):
    """The stream parse finishes before the sha256 is known: a file holding other, valid
    JSON under a snapshot's name parses cleanly and still fails the build, naming it."""
    import gzip

    store = RawStore(fetched / "raw")
    snap = max(store.snapshots("comtrade"), key=lambda s: s.record.get("records", 0))
    body = store.read(snap)
    other = body.replace(b'"refYear":', b'"refYear" :', 1)  # the same rows, other bytes
    (store.root / snap.path).write_bytes(gzip.compress(other, mtime=0))
    with pytest.raises(SnapshotError, match=rf"{snap.sha256[:12]}.*sha256 does not match"):
        build(fetched)
    assert not (fetched / "processed").exists()


def test_refetched_query_supersedes_its_older_snapshot(fetched, store, fast_client):
    before = build(fetched)
    # refetch one query: same query key, newer manifest line; the older line is superseded
    # and not read at all (issue 14: per query key the newest complete snapshot wins)
    comtrade.ComtradeFetcher(store, client=fast_client(), progress=False, refresh=True).run(
        comtrade.custom_plan(("2021",), "total", ["CHN"], ["TKM"]), "A"
    )
    report = build(fetched)
    assert report.snapshots == before.snapshots
    assert report.duplicates_dropped == 0 and report.rows_by_source == before.rows_by_source


def test_overlapping_queries_keep_the_newest_rows_and_count_duplicates(fetched, store, fast_client):
    # a different query (other key) holding the same TKM TOTAL rows: duplicates by row key
    comtrade.ComtradeFetcher(store, client=fast_client(), progress=False).run(
        comtrade.custom_plan(("2021",), "total", ["CHN"], ["TKM", "UZB"]), "A"
    )
    report = build(fetched)
    assert report.duplicates_dropped == 4  # TKM TOTAL rows of M, X, RM, RX


def test_breakdown_rows_are_dropped_and_counted(fetched, store, comtrade_api):
    api = comtrade_api()
    from werkzeug.test import Client

    resp = Client(api).get(
        "/public/v1/preview/C/A/HS?reporterCode=156&partnerCode=795"
        "&period=2019&cmdCode=TOTAL&flowCode=M"
    )
    store.save(
        "comtrade",
        resp.data,
        "json",
        {"query_key": "loose", "complete": True, "params": {}, "synthetic": True},
    )
    report = build(fetched, allow_empty_periods=True)
    assert report.breakdown_rows_dropped == 7
    flows = read_table(fetched / "processed", "flows")
    assert len(flows[(flows.year == 2019)]) == 1


def test_chapters_sum_to_total_check(fetched):
    report = build(fetched)
    assert report.chapter_checks["cells_compared"] == 4
    assert report.chapter_checks["cells_off"] == 0


def test_missing_cells_reported_and_empty_period_fails(fetched, store, fast_client):
    report = build(fetched)
    assert {"freq": "A", "reporter": "TKM", "period": "2021"} in report.missing_cells
    comtrade.ComtradeFetcher(store, client=fast_client(), progress=False).run(
        comtrade.custom_plan(("2021", "1990"), "total", ["UZB"], ["CHN"]), "A"
    )
    with pytest.raises(BuildError, match="A 1990"):
        build(fetched)
    assert build(fetched, allow_empty_periods=True).empty_periods == ["A 1990"]


def test_corrupted_snapshot_names_file_and_fix(fetched, store):
    snap = next(s for s in store.snapshots("comtrade") if s.complete)
    path = store.root / snap.path
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(SnapshotError) as err:
        build(fetched)
    assert str(path) in str(err.value) and "--refresh" in str(err.value)


def test_schema_rejects_bad_rows(fetched):
    from tradeviz.transform.checks import validate

    build(fetched)
    flows = read_table(fetched / "processed", "flows")
    bad = flows.copy()
    bad.loc[bad.index[0], "value_usd"] = -5.0
    with pytest.raises(BuildError, match="value_usd"):
        validate(bad, "flows")
    bad = flows.copy()
    bad.loc[bad.index[0], "hs_code"] = "12345"
    with pytest.raises(BuildError, match="hs_code"):
        validate(bad, "flows")
    with pytest.raises(BuildError, match="unique key"):
        validate(pd.concat([flows, flows.head(1)]), "flows")


def test_no_raw_layer_says_what_to_run(data_dir):
    with pytest.raises(BuildError, match="tradeviz fetch comtrade"):
        build(data_dir)


def test_wits_import_kazakhstan_2021(data_dir, corpus):
    files = sorted((corpus / "wits" / "partner-timeseries").glob("*-WITS-*"))
    result = CliRunner().invoke(main, ["import", "wits", *map(str, files)])
    assert result.exit_code == 0, result.output
    assert "Other Asia, nes" in result.output  # unmapped names are listed
    report = build(data_dir)
    flows = read_table(data_dir / "processed", "flows")
    kaz = flows[
        (flows.source == "wits")
        & (flows.reporter == "KAZ")
        & (flows.partner == "CHN")
        & (flows.year == 2021)
    ]
    # the XLSX (imported last, so kept) carries more digits than the CSV's three decimals
    assert [round(v / 1000, 3) for v in kaz["value_usd"]] == [8_228_456.853]
    assert kaz["hs_code"].tolist() == ["TOTAL"] and kaz["flow"].tolist() == ["import"]
    assert report.duplicates_dropped > 0  # CSV and XLSX hold the same rows
    assert "Unspecified" in report.unmapped_wits_partners
    tkm = flows[(flows.source == "wits") & (flows.reporter == "TKM") & (flows.partner == "CHN")]
    assert tkm.set_index("year")["value_usd"].get(2000) == 16_427_085.0


def test_wits_csv_values_convert_exactly(data_dir, corpus):
    csv = corpus / "wits" / "partner-timeseries" / "Kazakhstan-WITS-Partner-Timeseries.csv"
    assert CliRunner().invoke(main, ["import", "wits", str(csv)]).exit_code == 0
    build(data_dir)
    flows = read_table(data_dir / "processed", "flows")
    kaz = flows[(flows.partner == "CHN") & (flows.year == 2021)]
    assert kaz["value_usd"].tolist() == [8_228_456_853.0]


def test_wits_rejects_a_file_that_is_not_a_download(data_dir, tmp_path):
    bad = tmp_path / "notes.csv"
    bad.write_text("a,b\n1,2\n")
    result = CliRunner().invoke(main, ["import", "wits", str(bad)])
    assert result.exit_code == 1 and "Partner-Timeseries" in result.output


def test_check_prints_table(data_dir, tmp_path):
    rows = []
    for partner, x, m in [
        ("KAZ", 24.7e9, 16.3e9),
        ("KGZ", 19.72e9, 0.08e9),
        ("TJK", 3.68e9, 0.25e9),
        ("TKM", 1.0e9, 9.6e9),
        ("UZB", 12.4e9, 1.6e9),
    ]:
        for flow, v in (("export", x), ("import", m)):
            rows.append(
                {
                    "source": "comtrade",
                    "freq": "A",
                    "year": 2023,
                    "reporter": "CHN",
                    "partner": partner,
                    "flow": flow,
                    "hs_level": 0,
                    "value_usd": v,
                    "synthetic": False,
                    "month": pd.NA,
                    "quarter": pd.NA,
                }
            )
    rows[0]["value_usd"] *= 1.05  # KAZ exports 5 % off
    (data_dir / "processed").mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(data_dir / "processed" / "flows.parquet")
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    lines = {ln[:34].strip(): ln for ln in result.output.splitlines()}
    assert lines["Kyrgyzstan 2023 total"].endswith("pass")
    assert lines["Kazakhstan 2023 China exports"].endswith("FAIL")
    assert "+5.0%" in lines["Kazakhstan 2023 China exports"]
    assert lines["Central Asia 2024 total"].endswith("no data")
    strict = CliRunner().invoke(main, ["check", "--strict"])
    assert strict.exit_code == 1


def test_data_dictionary_is_generated_and_current():
    text = data_dictionary()
    for f in FLOWS_FIELDS:
        assert f"`{f.name}`" in text
    from pathlib import Path

    committed = Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md"
    assert committed.read_text() == text, "run `tradeviz dictionary` to regenerate"


def test_published_totals_file_is_well_formed():

    from tradeviz.analysis.checks import load_published

    df = load_published()
    assert df["figure"].is_unique
    assert set(df["flow"]) <= {"total", "export", "import"}
    assert (df["value_usd"] > 1e7).all()
    assert df.loc[df.figure == "Central Asia 2023 total", "value_usd"].item() == 89.4e9
    assert shutil.which  # the file is read by `tradeviz check` (see test_check_prints_table)


@pytest.mark.parametrize("chunk", [7, 333, 8 << 20])
def test_records_are_read_identically_whatever_the_chunk(corpus, monkeypatch, chunk):
    from tradeviz.transform import comtrade as comtrade_rows

    monkeypatch.setattr(comtrade_rows, "CHUNK", chunk)
    for name in (
        "data_v1_get_C_A_HS_CHN_2010_TOTAL.R-body.json",
        "HS-60a6ad.json",
        "data_v1_get_S_A_EB_CHN_2010_empty.R-body.json",
    ):
        body = (corpus / "comtrade" / name).read_bytes()
        doc = json.loads(body)
        want = {c: [r.get(c) for r in doc["data"]] for c in comtrade_rows.COLUMNS}
        assert comtrade_rows.read_columns(body) == want
    body = (corpus / "comtrade" / "data_v1_get_C_A_HS_CHN_2010_TOTAL.R-body.json").read_bytes()
    for bad in (
        body[:-40],
        body.replace(b"},{", b"}{", 1),
        body.replace(b'"count":4', b'"count":5'),
    ):
        with pytest.raises(ValueError):
            comtrade_rows.read_columns(bad)


def test_fast_reader_matches_the_record_reader_and_falls_back(corpus, comtrade_api):
    from tradeviz.transform import comtrade as cr

    api = comtrade_api()
    emulated = api._data(
        "A",
        {
            "reportercode": "156",
            "partnercode": "398,417",
            "period": "2021",
            "cmdcode": "AG6",
            "includedesc": "true",
        },
        10**6,
    )[0]
    recorded = (corpus / "comtrade" / "data_v1_get_C_A_HS_CHN_2010_TOTAL.R-body.json").read_bytes()
    for body in (recorded, emulated):
        assert cr._read_arrow([body])[0] is not None  # compact bodies take the fast path
        fast = cr.read_frame(body)
        slow = pd.DataFrame(cr.read_columns([body]), columns=cr.COLUMNS)
        assert len(fast) == len(slow) > 0
        for col in cr.COLUMNS:
            a, b = fast[col].astype(object), slow[col].astype(object)
            assert [None if pd.isna(x) else x for x in a] == [
                None if pd.isna(x) else x for x in b
            ], col
    tricky = recorded.replace(b'"cmdDesc":"All Commodities"', b'"cmdDesc":"All},{Goods"', 1)
    fast_tricky = cr._read_arrow([tricky])[0]  # no text surgery: a "},{" in a string is data
    assert fast_tricky is not None and fast_tricky.num_rows == 4
    assert len(cr.read_frame(tricky)) == 4
    pretty = (corpus / "comtrade" / "HS-60a6ad.json").read_bytes()
    for body in (tricky, pretty):  # both now read whole by pyarrow, same as record by record
        fast = cr._read_arrow([body])[0].to_pandas()
        slow = pd.DataFrame(cr.read_columns([body]), columns=cr.COLUMNS)
        assert len(fast) == len(slow) == 4
        for col in cr.COLUMNS:
            assert [None if pd.isna(x) else x for x in fast[col].astype(object)] == [
                None if pd.isna(x) else x for x in slow[col].astype(object)
            ], col
    wrong_count = recorded.replace(b'"count":4', b'"count":5', 1)
    assert cr._read_arrow([wrong_count])[0] is None
    with pytest.raises(ValueError, match="count 5 but 4"):
        cr.read_frame(wrong_count)


def test_records_parsed_in_blocks_equal_the_whole_envelope(comtrade_api, monkeypatch):
    """The compact path splits the records (msgspec) and parses them in blocks on threads:
    same rows, same order, same types as reading the envelope whole, for any block size."""
    from tradeviz.transform import comtrade as cr

    body = comtrade_api()._data(
        "A",
        {"reportercode": "156", "partnercode": "398,417", "period": "2021", "cmdcode": "AG6"},
        10**6,
    )[0]
    whole = cr._read_whole(body)[0]
    assert whole is not None and whole.num_rows > 10
    for block in (1, 7, 10**6):
        monkeypatch.setattr(cr, "BLOCK_RECORDS", block)
        assert cr._records(body) is not None  # compact: the split path is taken
        split = cr._read_arrow([body])[0]
        assert split.schema == whole.schema
        assert split.equals(whole)


def _streamed(body: bytes, size: int):
    """read_stream over `body` cut into pieces of `size` bytes: one table, or None."""
    from tradeviz.transform import comtrade as cr

    runs = cr.read_stream(body[i : i + size] for i in range(0, len(body), size))
    if runs is None:
        return None
    return pa.concat_tables(runs) if runs else cr._SELECTED.empty_table()


@pytest.mark.parametrize("size", [1, 13, 8191, 1 << 22])
def test_stream_reader_equals_the_whole_reader_wherever_pieces_end(corpus, comtrade_api, size):
    """Compact bodies parsed piece by piece give the rows, order and types of the whole
    body read at once, whatever the piece size (a piece may end inside a record, inside
    the `},{"` between two, or inside the envelope's head and tail)."""
    from tradeviz.transform import comtrade as cr

    emulated = comtrade_api()._data(
        "A",
        {"reportercode": "156", "partnercode": "398,417", "period": "2021", "cmdcode": "AG6"},
        10**6,
    )[0]
    recorded = (corpus / "comtrade" / "data_v1_get_C_A_HS_CHN_2010_TOTAL.R-body.json").read_bytes()
    empty = b'{"elapsedTime":"0.01 secs","count":0,"data":[],"error":""}'
    bodies = [recorded, empty, recorded.replace(b',"error":""}', b"}\n")]
    bodies += [emulated] if size > 4096 else []  # thousands of records: a run each else
    for body in bodies:
        whole = cr.read_table([body], False)
        streamed = _streamed(body, size)
        assert streamed is not None and streamed.num_rows == json.loads(body)["count"]
        assert streamed.schema == whole.schema and streamed.equals(whole)


@pytest.mark.parametrize(
    "change",
    [
        (b'"count":4', b'"count":5'),  # count unlike the records
        # objects after the data array, counted in: rows that are no records
        (b'"count":4', b'"count":6'),
        (b'[{"typeCode"', b'[null,{"typeCode"'),  # a record that is not an object
        (b'},{"typeCode"', b'},null,{"typeCode"'),
        (b'"refYear":2010', b'"refYear":"2010"'),  # a number sent as text
        (b',"error":""}', b',"error":"]"}'),  # a "]" after the data
    ],
)
def test_stream_reader_hands_what_it_cannot_place_to_the_whole_reader(corpus, change):
    """Bodies the stream reader cannot be sure of give None (never a wrong row), and the
    build then reads them whole: the same rows as the record-by-record reader, or its
    clear error."""
    from tradeviz.transform import comtrade as cr

    recorded = (corpus / "comtrade" / "data_v1_get_C_A_HS_CHN_2010_TOTAL.R-body.json").read_bytes()
    body = recorded.replace(*change, 1)
    if change[1] == b'"count":6':
        body = body.replace(b',"error":""}', b',"error":"","meta":[{"a":1},{"b":2}]}')
    assert body != recorded
    streamed = _streamed(body, 300)
    try:
        slow = pd.DataFrame(cr.read_columns([body]), columns=cr.COLUMNS)
    except ValueError:
        assert streamed is None
        with pytest.raises(ValueError):
            cr.read_table([body])
        return
    if change[1] == b',"error":"]"}':  # the "]" in a text is passed over, rows read
        assert streamed is not None and streamed.num_rows == 4
    else:
        assert streamed is None
    assert len(cr.read_frame(body)) == len(slow) == 4


def test_a_cut_at_a_boundary_that_ends_a_text_is_never_a_wrong_row(corpus):
    """A text may end in `},{"`. Where a piece is cut there, its document ends inside the
    string: the stream reader hands the body to the whole reader. Elsewhere the text is
    parsed as text. Either way, the rows are those of the whole body."""
    from tradeviz.transform import comtrade as cr

    recorded = (corpus / "comtrade" / "data_v1_get_C_A_HS_CHN_2010_TOTAL.R-body.json").read_bytes()
    body = recorded.replace(b'"cmdDesc":"All Commodities"', b'"cmdDesc":"All},{"', 1)
    end = body.index(b'"All},{"') + len(b'"All},{"')
    assert cr.read_stream([body[:end], body[end:]]) is None  # the last `},{"`: in the text
    whole = cr.read_table([body], False)
    assert whole.column("cmdDesc")[0].as_py() == "All},{"
    for size in (5, 300, 10**6):
        streamed = _streamed(body, size)
        assert streamed is None or streamed.equals(whole)
    assert cr.read_table([body]).equals(whole)  # what the build reads when it falls back


def test_records_not_joined_by_the_compact_boundary_stream_until_the_carry_limit(
    corpus, monkeypatch
):
    """`}, {` between records: no piece has a boundary, so the stream reader carries the
    body along; read whole at the end when small, handed back when over _CARRY_LIMIT
    (rather than copying a growing carry for every piece)."""
    from tradeviz.transform import comtrade as cr

    recorded = (corpus / "comtrade" / "data_v1_get_C_A_HS_CHN_2010_TOTAL.R-body.json").read_bytes()
    body = recorded.replace(b'},{"', b'}, {"')
    assert _streamed(body, 100).equals(cr.read_table([body], False))
    monkeypatch.setattr(cr, "_CARRY_LIMIT", 1000)
    assert _streamed(body, 100) is None


def test_pretty_printed_and_other_bodies_are_not_streamed(corpus):
    pretty = (corpus / "comtrade" / "HS-60a6ad.json").read_bytes()
    for body in (pretty, b"null", b" [1, 2]", b'{"count":1}', b""):
        assert _streamed(body, 64) is None


def test_api_description_is_kept_for_codes_the_reference_lacks(fetched, store):
    """cmdDesc travels from the snapshot to describe(): a code missing from the package HS
    reference gets the API's text; a known code keeps the reference's; no cmd_desc column
    is left in flows.parquet."""
    from tradeviz.vocab import hs

    snap = next(
        s
        for s in store.current_snapshots(["comtrade"])
        if s.complete and s.record.get("records", 0) > 1
    )
    doc = json.loads(store.read(snap))
    odd, known = doc["data"][0], doc["data"][1]
    odd["cmdCode"], odd["cmdDesc"] = "0077", "Test-only goods, not in any HS list"
    known["cmdDesc"] = "API text that the reference overrides"
    meta = {
        k: v
        for k, v in snap.record.items()
        if k not in ("source", "sha256", "bytes", "path", "fetched_at")
    }
    store.save("comtrade", json.dumps(doc).encode(), "json", meta)  # same query, newer line
    build(fetched)
    flows = read_table(fetched / "processed", "flows")
    assert "cmd_desc" not in flows.columns
    row = flows[(flows["hs_code"] == "0077") & (flows["hs_rev"] == odd["classificationCode"])]
    assert row["hs_description"].tolist() == ["Test-only goods, not in any HS list"]
    same = flows[
        (flows["hs_code"] == known["cmdCode"]) & (flows["hs_rev"] == known["classificationCode"])
    ]["hs_description"]
    ref = hs.descriptions(pd.Series([known["classificationCode"]]), pd.Series([known["cmdCode"]]))[
        0
    ]
    assert isinstance(ref, str) and set(same) == {ref}


@pytest.mark.parametrize(
    "body",
    [
        b'{"count":2,"data":[null,{"refYear":2021}]}',  # a leading null record
        b'{"count":1,"data":[null]}',
        b"null",
        b" [1, 2]",
    ],
)
def test_bodies_that_are_not_objects_are_errors_not_crashes(body):
    """pyarrow's JSON reader crashes the process on some non-object documents
    (apache/arrow#47409): such bodies never reach it, on either path."""
    from tradeviz.transform import comtrade as cr

    for split in (True, False):
        with pytest.raises((ValueError, KeyError, TypeError, AttributeError)):
            cr.read_table([body], split)


def test_values_out_of_range_name_the_snapshot(comtrade_api):
    """A year that does not fit the table's type is a SnapshotError naming the file."""
    from tradeviz.errors import SnapshotError
    from tradeviz.store.raw import Snapshot
    from tradeviz.transform import comtrade as cr

    body = comtrade_api()._data(
        "A",
        {"reportercode": "156", "partnercode": "398", "period": "2021", "cmdcode": "AG2"},
        10**6,
    )[0]
    doc = json.loads(body)
    doc["data"][0]["refYear"] = 40000
    snap = Snapshot({"source": "comtrade", "sha256": "x" * 64, "path": "comtrade/x.json.gz"})
    with pytest.raises(SnapshotError, match="comtrade/x.json.gz.*refresh"):
        cr.parse_comtrade([json.dumps(doc).encode()], snap, "comtrade/x.json.gz", cr.ParseReport())


def test_a_failed_warm_up_stops_the_parse(fetched, monkeypatch):
    """An error while the snapshots parse on their thread is raised once that thread has
    stopped: nothing keeps parsing behind the caller's back."""
    import threading
    import time

    from tradeviz.transform import build as build_module

    def broken() -> None:
        raise RuntimeError("warm-up failed")

    from tradeviz.transform import snapshots

    parsed = []
    read_and_parse = snapshots._read_and_parse

    def slow(*args):  # noqa: ANN002, ANN202
        time.sleep(0.1)
        parsed.append(args[1])
        return read_and_parse(*args)

    monkeypatch.setattr(build_module, "_warm_up", broken)
    monkeypatch.setattr(snapshots, "_read_and_parse", slow)
    total = len(snapshots.current(RawStore(fetched / "raw"), build_module.BuildReport()))
    assert total >= 5
    with pytest.raises(RuntimeError, match="warm-up failed"):
        build(fetched)
    deadline = time.monotonic() + 5  # a finished pool thread may take a moment to exit
    while alive := [t for t in threading.enumerate() if t.name.startswith("tradeviz-snap")]:
        assert time.monotonic() < deadline, [t.name for t in alive]
        time.sleep(0.02)
    assert len(parsed) < total  # stopped after the snapshots in hand, not run to the end
    assert not (fetched / "processed").exists()


def test_the_compact_table_the_build_holds_decodes_to_flows_parquet(fetched):
    """The build holds flows with categorical text (sorted categories, so sorting and
    grouping order rows as the text would) and writes the schema's str columns: the file
    read back is that table decoded, in the schema's dtypes."""
    from tradeviz.transform import snapshots
    from tradeviz.transform.assemble import as_text, compact_flows
    from tradeviz.transform.build import BuildReport

    build(fetched)
    store, report = RawStore(fetched / "raw"), BuildReport()
    compact = compact_flows(
        snapshots.parse_all(store, snapshots.current(store, report), report), report
    )
    text = [f.name for f in FLOWS_FIELDS if f.dtype == "str"]
    for name in text:
        cats = compact[name].cat.categories
        assert list(cats) == sorted(cats), name
    written = read_table(fetched / "processed", "flows")
    pd.testing.assert_frame_equal(written, as_text(compact))
    assert [str(written[c].dtype) for c in text] == ["str"] * len(text)


@pytest.mark.parametrize("preset", [None, "mimalloc"])
def test_importing_tradeviz_gives_arrow_the_system_allocator_unless_set(preset):
    """Arrow's C++ default pool is chosen from ARROW_DEFAULT_MEMORY_POOL when pyarrow
    loads: importing tradeviz first sets it to the system allocator (the build's memory
    target), and a value of the user's own is kept."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if preset:
        env["ARROW_DEFAULT_MEMORY_POOL"] = preset
    code = "import tradeviz, pyarrow; print(pyarrow.default_memory_pool().backend_name)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == (preset or "system"), out.stderr
