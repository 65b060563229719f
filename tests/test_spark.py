"""When one machine is not enough (issue 19): Apache Spark reads the processed store as it
is (`spark.read.parquet(path)`, hive partitions discovered from the folder names) and runs
the world layer's SQL with the same results as DuckDB.

Marked `spark`: needs `tradeviz[spark]` (pyspark) and Java 17. Skipped with a reason when
either is missing, unless TRADEVIZ_REQUIRE_SPARK=1 (CI, .ci/run), where that is a failure."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import tradeviz
from tradeviz.analysis.world import product_shares_sql, world_totals_sql
from tradeviz.cli import main
from tradeviz.store.tables import read_table

pytestmark = pytest.mark.spark


def _missing(reason: str) -> None:
    if os.environ.get("TRADEVIZ_REQUIRE_SPARK") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def spark():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        _missing("pyspark not installed: pip install 'tradeviz[spark]'")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _missing("no Java: install a JRE 17 (Debian: default-jre-headless)")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("tradeviz-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def store(default_plan_hs4, comtrade_api, monkeypatch):
    """The default plan (China–Central Asia, HS4) and the world plan at HS2, 2020–2021,
    from the emulator, built: every kind of partition the store has."""
    comtrade_api(scale=0.05)
    monkeypatch.setenv("COMTRADE_API_KEY", "k")
    monkeypatch.setenv("TRADEVIZ_COMTRADE_RPS", "1000")
    for args in (
        ["fetch", "comtrade", "--plan", "world", "--level", "2", "--years", "2020-2021"],
        ["build"],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
    return default_plan_hs4


def _sorted(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return df.sort_values(keys).reset_index(drop=True)


def test_spark_reads_the_store_and_the_world_sql_agrees_with_duckdb(spark, store):
    processed = store / "processed"  # the symlink a cluster job would be given
    ds = tradeviz.open(store)
    world = spark.read.parquet(str(processed / "world"))
    assert {"level", "year"} <= set(world.columns)  # partition columns from the folders
    world.createOrReplaceTempView("world")
    assert world.count() == ds.sql("select count(*) n from world")["n"].item() > 1000

    keys = ["reporter", "year", "flow", "hs_code"]
    got = _sorted(spark.sql(product_shares_sql(2)).toPandas(), keys)
    want = _sorted(ds.sql(product_shares_sql(2)), keys)
    assert len(got) == len(want) > 1000
    assert got[keys].astype(str).equals(want[keys].astype(str))
    assert np.allclose(got["value_usd"], want["value_usd"], rtol=0, atol=0)
    assert np.allclose(got["share"], want["share"], rtol=1e-12)

    keys = ["year", "flow", "hs_code"]
    got = _sorted(spark.sql(world_totals_sql(2)).toPandas(), keys)
    want = _sorted(ds.sql(world_totals_sql(2)), keys)
    assert got[keys].astype(str).equals(want[keys].astype(str))
    assert np.allclose(got["world_usd"], want["world_usd"], rtol=1e-12)
    assert (got["reporters"].to_numpy() == want["reporters"].to_numpy()).all()


def test_spark_reads_the_slice_partitions_as_tradeviz_does(spark, store):
    processed = store / "processed"
    flows = read_table(processed, "flows")
    spark.read.parquet(str(processed / "flows")).createOrReplaceTempView("flows")
    got = spark.sql(
        "SELECT source, year, flow, SUM(value_usd) AS v, COUNT(*) AS n FROM flows "
        "GROUP BY source, year, flow"
    ).toPandas()
    want = flows.groupby(["source", "year", "flow"], as_index=False).agg(
        v=("value_usd", "sum"), n=("value_usd", "size")
    )
    got, want = (_sorted(d, ["source", "year", "flow"]) for d in (got, want))
    assert got["n"].tolist() == want["n"].tolist() and len(got) >= 4
    assert np.allclose(got["v"], want["v"], rtol=1e-12)
    mirror = spark.read.parquet(str(processed / "mirror"))
    assert mirror.count() == len(read_table(processed, "mirror"))
