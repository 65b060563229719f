"""The measures (issue 20) on a world layer that tradeviz itself fetched from the emulator and
built (issue 19's partitioned store, read through ds.world and DuckDB), checked against the
same sums asked of the store in SQL."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

import tradeviz
from tradeviz.analysis.dataset import Dataset
from tradeviz.analysis.structure import WorldLayerMissingError
from tradeviz.cli import main


def _cli(*args: str) -> None:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output


@pytest.fixture
def ds(data_dir, comtrade_api, monkeypatch) -> Dataset:
    comtrade_api(scale=0.02)  # the world panel's product lines scaled down
    monkeypatch.setenv("COMTRADE_API_KEY", "k")
    monkeypatch.setenv("TRADEVIZ_COMTRADE_RPS", "1000")
    _cli("fetch", "comtrade", "--plan", "world", "--level", "4", "--years", "2020-2022")
    _cli("build")
    return tradeviz.open(data_dir)


def test_measures_on_the_built_world_layer_agree_with_sql(ds):
    r = ds.rca("KAZ", level=4)
    assert sorted(set(r["year"])) == [2020, 2021, 2022] and r["synthetic"].all()
    sums = ds.sql(
        "with c as (select * from world where level = 4 and flow = 'export' and year = 2021) "
        "select (select sum(value_usd) from c where reporter = 'KAZ') x_i, "
        "(select sum(value_usd) from c) x_w"
    )
    row = r[r["year"] == 2021].nlargest(1, "value_usd").iloc[0]
    x_wk = ds.sql(
        "select sum(value_usd) v from world where level = 4 and flow = 'export' "
        f"and year = 2021 and hs_code = '{row['hs_code']}'"
    )["v"].item()
    expect = (row["value_usd"] / sums["x_i"].item()) / (x_wk / sums["x_w"].item())
    assert row["rca"] == pytest.approx(expect, rel=1e-9)
    tci = ds.complementarity("CHN", "KAZ", level=4)
    assert len(tci) == 3 and tci["tci"].between(0, 100).all()
    assert ds.concentration("KAZ", "export", level=4)["hhi"].between(0, 1).all()
    assert ds.similarity("KAZ", "UZB", level=4)["esi"].between(0, 100).all()
    with pytest.raises(WorldLayerMissingError, match="--plan world --level 6"):
        ds.rca("KAZ")  # HS6 was not fetched


def test_the_measures_short_read_of_the_store_sums_as_ds_world_does(ds):
    """The measures read a flow with only the columns the sums need (structure.
    _world_sums_rows, no order); its sums are those of ds.world's rows."""
    from tradeviz.analysis import measures, structure

    for flow in ("export", "import"):
        short = structure._read_world(ds, 4, flow=flow)
        whole = ds.world(level=4, flow=flow)
        assert len(short) == len(whole) and set(short["year"]) == set(whole["year"])
        a, b = (measures.WorldTotals.of(w, flow) for w in (short, whole))
        pd.testing.assert_series_equal(a.product, b.product, rtol=1e-12)
        pd.testing.assert_series_equal(a.reporter, b.reporter, rtol=1e-12)
