"""IMF IMTS: the recorded formats (SDMX-ML 3.0, SDMX-JSON 2.0, legacy DOTS JSON), and the
fetcher and build against a local emulator."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tradeviz.emulators.comtrade import Faults
from tradeviz.emulators.imf import ImfEmulator
from tradeviz.emulators.server import ServedApp
from tradeviz.errors import BadResponseError
from tradeviz.extract.imf import ImfFetcher
from tradeviz.formats.imf_sdmx import render_json, render_xml
from tradeviz.store.raw import RawStore, Snapshot
from tradeviz.store.tables import read_table
from tradeviz.transform import imf
from tradeviz.transform.build import build

OPENBB = "imf/openbb/"
XML = OPENBB + "api.imf.org_sdmx3_data_IMTS_USA.XG_FOB_USD.G001+G998.A.body.xml"
DOTS = OPENBB + "dataservices.imf.org_CompactData_DOT_A.US.TXG_FOB_USD.W00+B0.body.json"
GFS_JSON = "imf/imfp/22cf9d9c7ac52b6fa276f5bd8794cfc3c7f8b3fe9201126da692c950678d790c.json"
SNAP = Snapshot({"sha256": "x" * 64, "source": "imf", "path": "imf/x.xml"})


def _value(flows: pd.DataFrame, reporter: str, partner: str, year: int) -> float:
    row = flows[(flows.reporter == reporter) & (flows.partner == partner) & (flows.year == year)]
    return row["value_usd"].item()


def test_us_world_2023_exports_agree_across_legacy_and_new_formats(corpus):
    new = imf.rows_to_flows(imf.parse_body((corpus / XML).read_bytes()), SNAP)
    old = imf.rows_to_flows(imf.parse_body((corpus / DOTS).read_bytes()), SNAP)
    assert _value(new, "USA", "WLD", 2023) == 2_019_551_635_133.0  # full dollars, no SCALE
    assert _value(old, "USA", "WLD", 2023) == _value(new, "USA", "WLD", 2023)  # millions x 1e6
    assert _value(new, "USA", "G998", 2023) == 369_756_760_426.0
    row = new[(new.partner == "WLD") & (new.year == 2023)].iloc[0]
    assert row["flow"] == "export" and row["derivation"] == "M" and row["overlap"] == "OL"
    assert row["fob_usd"] == row["value_usd"] and pd.isna(row["cif_usd"])


def test_recorded_sdmx_json_data_message_is_read(corpus):
    wrapper = json.loads((corpus / GFS_JSON).read_text())
    rows = imf.parse_sdmx_json(wrapper["text"].encode())
    assert len(rows) == 5
    assert {r["TIME_PERIOD"] for r in rows} == {"1972", "1973", "1974", "1975", "1976"}
    assert rows[0]["COUNTRY"] == "ABW" and rows[0]["DERIVATION_TYPE"] == "O"
    assert rows[0]["OBS_VALUE"] is None and rows[0]["SCALE"] == "0"


def test_emulator_json_and_xml_say_the_same():
    series = ImfEmulator.series(
        ImfEmulator.__new__(ImfEmulator),
        "TKM.XG_FOB_USD+MG_CIF_USD.CHN+G001.M",
        "ge:2023-01-01+le:2023-12-31",
    )
    a = imf.rows_to_flows(imf.parse_sdmx_ml(render_xml(series).encode()), SNAP)
    b = imf.rows_to_flows(imf.parse_sdmx_json(render_json(series).encode()), SNAP)
    cols = ["year", "month", "reporter", "partner", "flow", "value_usd", "derivation"]
    pd.testing.assert_frame_equal(
        a[cols].sort_values(cols[:5]).reset_index(drop=True),
        b[cols].sort_values(cols[:5]).reset_index(drop=True),
    )
    assert len(a) == 48 and set(a["derivation"]) == {"E"}  # IMF estimates for Turkmenistan


def test_malformed_body_is_refused(corpus):
    body = (corpus / XML).read_bytes()
    with pytest.raises(BadResponseError):
        imf.parse_sdmx_ml(body[: len(body) // 2])


@pytest.fixture
def imf_api(corpus, monkeypatch):
    app = ImfEmulator(corpus=corpus, faults=Faults(schedule=["500", "429", "truncate"]))
    with ServedApp(app) as served:
        monkeypatch.setenv("TRADEVIZ_IMF_URL", served.url)
        yield app


def imf_api_url(snap: Snapshot) -> str:
    """The start of the URL a snapshot's manifest line should name: base + dataflow + key."""
    return snap.record["base_url"] + snap.record["endpoint"] + "?"


def test_fetch_imf_monthly_then_build(data_dir, store, fast_client, imf_api):
    fetcher = ImfFetcher(store, client=fast_client("imf"), progress=False)
    fetcher.run([2023, 2024], ("M",))
    assert fetcher.calls == 6
    assert imf_api.calls == 9  # three faults retried
    for path, params in imf_api.log:
        assert path.endswith(".M") and params["c[TIME_PERIOD]"] == "ge:2023-M01+le:2024-M12"
    snaps = list(store.snapshots("imf"))
    assert len(snaps) == 6 and all(s.complete and s.record["synthetic"] for s in snaps)
    assert all(s.record["url"].startswith(imf_api_url(s)) for s in snaps)
    again = ImfFetcher(store, client=fast_client("imf"), progress=False)
    again.run([2023, 2024], ("M",))
    assert again.calls == 0 and imf_api.calls == 9
    build(data_dir)
    flows = read_table(data_dir / "processed", "flows")
    rows = flows[flows.source == "imf"]
    assert set(rows["freq"]) == {"M"} and rows["month"].between(1, 12).all()
    assert set(rows["hs_code"]) == {"TOTAL"} and rows["hs_rev"].isna().all()
    assert {"WLD", "KAZ", "CHN"} <= set(rows["partner"])
    kaz_imports = rows[(rows.reporter == "KAZ") & (rows.flow == "import")]
    assert kaz_imports["cif_usd"].notna().all() and kaz_imports["fob_usd"].notna().all()
    assert (kaz_imports["value_usd"] == kaz_imports["cif_usd"]).all()
    assert set(rows.loc[rows.reporter == "TKM", "derivation"]) == {"E"}
    # the emulator's raw numbers pass through unscaled (SCALE=6 is only a display hint)
    raw = RawStore(data_dir / "raw")
    snap = next(s for s in raw.snapshots("imf") if s.record["params"]["key"].startswith("CHN"))
    first = imf.parse_sdmx_ml(raw.read(snap))[0]
    match = rows[
        (rows.reporter == "CHN")
        & (rows.partner == first["COUNTERPART_COUNTRY"])
        & (rows.year == 2023)
        & (rows.month == 1)
        & (rows.flow == ("export" if first["INDICATOR"] == "XG_FOB_USD" else "import"))
    ]
    assert match["value_usd"].item() == float(first["OBS_VALUE"])


def test_empty_key_is_a_complete_empty_snapshot(data_dir, store, fast_client, imf_api):
    fetcher = ImfFetcher(store, client=fast_client("imf"), progress=False)
    fetcher.run([1990, 1991], ("A",))  # the emulator has nothing before 2000
    snaps = list(store.snapshots("imf"))
    assert len(snaps) == 6 and all(s.record["http_status"] == 404 for s in snaps)
    assert all(s.complete and s.record["records"] == 0 for s in snaps)
    assert all(
        s.record["url"].startswith(imf_api_url(s)) and "TIME_PERIOD" in s.record["url"]
        for s in snaps
    )
