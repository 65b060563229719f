"""The command line: parameter types, the global --data-dir, the error policy, the demo's
data-directory rules, and which modules the offline commands import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from tradeviz import config
from tradeviz.cli import main
from tradeviz.cli.options import (
    AREA,
    CA_ISO3_LIST,
    CHART_FORMATS,
    HS_CODE,
    ISO3_LIST_WITH_WORLD,
    REVISION,
    YEAR_SPAN,
    YEARS,
)
from tradeviz.demo.run import check_demo_dir, demo_data_dir
from tradeviz.errors import DataDirError
from tradeviz.store.raw import RawStore

THIS_YEAR = date.today().year


@click.command()
@click.option("--years", type=YEARS)
@click.option("--span", type=YEAR_SPAN)
@click.option("--countries", type=ISO3_LIST_WITH_WORLD)
@click.option("--ca", type=CA_ISO3_LIST)
@click.option("--hs", type=HS_CODE)
@click.option("--rev", type=REVISION)
@click.option("--area", type=AREA)
@click.option("--format", "fmt", type=CHART_FORMATS)
def probe(**kw):
    click.echo(json.dumps(kw))


@pytest.fixture(autouse=True)
def _no_data_dir_override(monkeypatch):
    """Each invocation sets the global --data-dir; start and end every test without one."""
    monkeypatch.delenv("TRADEVIZ_DATA_DIR", raising=False)
    config.set_data_dir(None)
    yield
    config.set_data_dir(None)


def _probe(*args: str):
    return CliRunner().invoke(probe, list(args))


def test_types_convert_before_the_command_runs():
    res = _probe(
        "--years",
        "2010, 2015-2017",
        "--span",
        "2018-2024",
        "--countries",
        "kaz,Wld,kaz",
        "--hs",
        "0901.11",
        "--rev",
        "hs2017",
        "--area",
        "ICT",
        "--format",
        "SVG,png",
    )
    assert res.exit_code == 0, res.output
    got = json.loads(res.output)
    assert got["years"] == [2010, 2015, 2016, 2017]
    assert got["span"] == [2018, 2024]
    assert got["countries"] == ["KAZ", "WLD"]  # any case, repeats dropped, order kept
    assert got["hs"] == "090111"  # leading zero kept, dot dropped
    assert got["rev"] == "H5"
    assert got["area"] == "ict"
    assert got["fmt"] == ["svg", "png"]


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("--years", "abc"), ["'abc'", "2015-2024"]),
        (("--years", "2030-2035"), ["'2030-2035'", f"1962-{THIS_YEAR}"]),
        (("--years", "2024-2015"), ["'2024-2015'", "2015-2024"]),
        (("--span", "2019,2021"), ["2019,2021", "one span"]),
        (("--countries", "KAZ,XYZ"), ["'XYZ'", "tradeviz countries"]),
        (("--ca", "RUS"), ["'RUS'", "KAZ, KGZ, TJK, TKM, UZB"]),
        (("--hs", "123"), ["'123'", "2, 4 or 6 digits"]),
        (("--rev", "H9"), ["'H9'", "H0, H1, H2, H3, H4, H5, H6"]),
        (("--area", "space"), ["'space'", "energy", "critical_minerals"]),
        (("--format", "gif"), ["'gif'", "png, svg, pdf"]),
    ],
)
def test_bad_values_fail_in_one_line_naming_value_and_valid_form(args, names):
    res = _probe(*args)
    assert res.exit_code == 2
    error = [line for line in res.output.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and args[0] in error[0]
    for name in names:
        assert name in error[0]
    assert "Traceback" not in res.output


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["fetch", "comtrade", "--years", "20x"], ["'20x'", "2015-2024"]),
        (["fetch", "comtrade", "--reporters", "CHN,XXX"], ["--reporters", "'XXX'"]),
        (["fetch", "comtrade", "--partners", "WLD,KZZ"], ["--partners", "'KZZ'", "KAZ"]),
        (["fetch", "imf", "--years", "2024-2015"], ["'2024-2015'", "2015-2024"]),
        (["tags", "explain", "27x"], ["'27x'", "2, 4 or 6 digits"]),
        (["tags", "explain", "271121", "--rev", "H9"], ["--rev", "'H9'", "H0, H1"]),
        (["tags", "list", "space"], ["'space'", "energy"]),
        (["tags", "list", "ict", "--rev", "HS2030"], ["'HS2030'", "H6"]),
        (["hs", "show", "12345"], ["'12345'", "2, 4 or 6 digits"]),
        (["hs", "map", "852520", "--from", "H2", "--to", "H7"], ["--to", "'H7'"]),
        (["hs", "search", "gas", "--rev", "X1"], ["'X1'", "H0, H1"]),
    ],
)
def test_commands_reject_bad_values_before_any_work(args, names, tmp_path, monkeypatch):
    """Exit 2 with one error line naming the value and the valid form; nothing is fetched,
    locked or written (the API URLs point nowhere, so any work would fail differently)."""
    monkeypatch.setenv("TRADEVIZ_COMTRADE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TRADEVIZ_IMF_URL", "http://127.0.0.1:9")
    res = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "d"), *args])
    assert res.exit_code == 2, res.output
    error = [line for line in res.output.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and "Invalid value" in error[0]
    for name in names:
        assert name in error[0]
    assert not (tmp_path / "d").exists()


def test_typed_cli_values_keep_their_forms(tmp_path, monkeypatch):
    """HS codes with dots and revisions by year or any case read as before."""
    res = CliRunner().invoke(main, ["tags", "explain", "2711.21", "--rev", "hs2022"])
    assert res.exit_code == 0 and res.output.startswith("271121 (H6): ")
    res = CliRunner().invoke(main, ["hs", "show", "0901", "--rev", "h5"])
    assert res.exit_code == 0 and res.output.startswith("0901 (H5): ")
    res = CliRunner().invoke(main, ["tags", "list", "ICT"])
    assert res.exit_code == 0 and "852411" in res.output


def test_unknown_country_suggests_close_codes():
    res = _probe("--countries", "RUSS")
    assert res.exit_code == 2 and "RUS" in res.output.split("closest:")[1]


def test_global_data_dir_and_env_reach_every_command(tmp_path, monkeypatch):
    runner = CliRunner()
    res = runner.invoke(main, ["--data-dir", str(tmp_path / "a"), "check"])
    assert res.exit_code == 1
    assert f"no tables in {tmp_path / 'a' / 'processed'};" in res.output
    monkeypatch.setenv("TRADEVIZ_DATA_DIR", str(tmp_path / "env"))
    res = runner.invoke(main, ["check"])
    assert str(tmp_path / "env" / "processed") in res.output
    res = runner.invoke(main, ["--data-dir", str(tmp_path / "b"), "check"])
    assert str(tmp_path / "b" / "processed") in res.output  # the option beats the variable


def test_tradeviz_error_is_one_line_without_traceback(tmp_path):
    res = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "check"])
    assert res.exit_code == 1
    assert res.output.strip().splitlines() == [
        f"error: no tables in {tmp_path / 'processed'}; run `tradeviz build` first"
    ]


def test_unexpected_error_asks_for_v_and_v_shows_the_traceback(monkeypatch):
    monkeypatch.setattr("tradeviz.vocab.countries.COUNTRIES", _Exploding())
    res = CliRunner().invoke(main, ["countries"])
    assert res.exit_code == 1
    assert "unexpected error: RuntimeError: boom" in res.output
    assert "rerun with -v" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["-v", "countries"])
    assert res.exit_code == 1 and isinstance(res.exception, RuntimeError)  # not swallowed


class _Exploding(tuple):
    def __iter__(self):
        raise RuntimeError("boom")


class _NoPapermill(tuple):
    def __iter__(self):
        raise ModuleNotFoundError("No module named 'papermill'", name="papermill")


def test_missing_extra_names_the_pip_command(monkeypatch):
    monkeypatch.setattr("tradeviz.vocab.countries.COUNTRIES", _NoPapermill())
    res = CliRunner().invoke(main, ["countries"])
    assert res.exit_code == 1
    assert res.output.strip().splitlines()[-1] == (
        "error: this command needs papermill, which is not installed; install it with: "
        "pip install 'tradeviz[notebooks]'"
    )
    assert "Traceback" not in res.output


def test_emulate_without_corpus_is_one_line(monkeypatch):
    monkeypatch.delenv("TRADEVIZ_CORPUS_DIR", raising=False)
    res = CliRunner().invoke(main, ["emulate", "imf", "--port", "0"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.output.startswith("error: no recorded corpus given; pass --corpus DIR")


def test_countries_command_lists_registry():
    res = CliRunner().invoke(main, ["countries", "russia"])
    assert res.exit_code == 0
    assert res.output.splitlines()[1].split()[:3] == ["RUS", "643", "643"]


def test_demo_data_dir_precedence(tmp_path, monkeypatch):
    assert demo_data_dir(None) == Path("demo-data")
    monkeypatch.setenv("TRADEVIZ_DATA_DIR", str(tmp_path / "env"))
    assert demo_data_dir(None) == tmp_path / "env"
    config.set_data_dir(tmp_path / "opt")
    assert demo_data_dir(None) == tmp_path / "opt"
    assert demo_data_dir(tmp_path / "explicit") == tmp_path / "explicit"


def test_demo_refuses_a_data_dir_with_real_snapshots(tmp_path):
    store = RawStore(tmp_path / "raw")
    snap = store.save(
        "comtrade",
        b'{"count":0,"data":[]}',
        "json",
        {"params": {"period": "2023"}, "synthetic": False, "complete": True},
    )
    res = CliRunner().invoke(
        main,
        ["--data-dir", str(tmp_path), "demo", "--no-notebooks", "--out", str(tmp_path / "out")],
    )
    assert res.exit_code == 1
    assert "non-synthetic raw snapshot" in res.output and "--data-dir" in res.output
    assert store.locate(snap) is not None  # nothing was removed
    assert not (tmp_path / "out").exists()


def test_demo_takes_the_data_dir_writer_lock(tmp_path):
    from tradeviz.store.lock import lock

    with lock(tmp_path, "tradeviz fetch comtrade"):
        res = CliRunner().invoke(
            main,
            ["--data-dir", str(tmp_path), "demo", "--no-notebooks", "--out", str(tmp_path / "out")],
        )
    assert res.exit_code == 1
    assert "tradeviz fetch comtrade" in res.output and "holds the data dir" in res.output
    assert not (tmp_path / "raw").exists() and not (tmp_path / "out").exists()


def test_demo_accepts_an_empty_or_synthetic_data_dir(tmp_path):
    check_demo_dir(tmp_path)  # no raw/ at all
    store = RawStore(tmp_path / "raw")
    store.save(
        "comtrade",
        b'{"count":0,"data":[]}',
        "json",
        {"params": {"period": "2023"}, "synthetic": True, "complete": True},
    )
    check_demo_dir(tmp_path)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "raw").mkdir()
    (tmp_path / "other" / "raw" / "notes.txt").write_text("mine")
    with pytest.raises(DataDirError, match="no manifest"):
        check_demo_dir(tmp_path / "other")


def test_python_m_tradeviz():
    out = subprocess.run(
        [sys.executable, "-m", "tradeviz", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--data-dir" in out and "countries" in out


# -- what the offline commands import -------------------------------------------------------
NETWORK_MODULES = ("requests", "urllib3", "tradeviz.extract.http", "werkzeug", "tradeviz.emulators")
RUN_AND_LIST = """
import json, sys
from tradeviz.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    print("MODULES=" + json.dumps(sorted(sys.modules)))
"""


def _imports_of(*args: str, cwd: Path) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST, *args], capture_output=True, text=True, cwd=cwd
    )
    line = [x for x in proc.stdout.splitlines() if x.startswith("MODULES=")]
    assert proc.returncode == 0 and line, proc.stderr[-2000:]
    return set(json.loads(line[0].removeprefix("MODULES=")))


def _network(mods: set[str]) -> list[str]:
    return sorted(m for m in mods for n in NETWORK_MODULES if m == n or m.startswith(n + "."))


@pytest.mark.slow
def test_demo_build_charts_report_import_no_http_code(tmp_path):
    data = str(tmp_path / "data")
    demo = _imports_of(
        "--data-dir",
        data,
        "demo",
        "--no-notebooks",
        "--out",
        str(tmp_path / "demo-out"),
        cwd=tmp_path,
    )
    assert _network(demo) == []  # the demo writes through tradeviz.formats, not an emulator
    assert "tradeviz.formats.comtrade_v1" in demo
    for args in (
        ["build"],
        ["charts", "--out", str(tmp_path / "charts")],
        ["report", "--out", str(tmp_path / "report")],
    ):
        mods = _imports_of("--data-dir", data, *args, cwd=tmp_path)
        assert _network(mods) == [], args
        assert "tradeviz.transform.build" in mods or args[0] != "build"


# -- issue 21, item 6: closed pipes, accurate hints ------------------------------------------
@pytest.mark.parametrize(
    "args",
    [["hs", "show", "870323"], ["countries"], ["--help"], ["tags", "list", "energy"]],
    ids=["hs-show", "countries", "help", "tags-list"],
)
def test_a_closed_pipe_ends_output_quietly(args):
    """`tradeviz ... | head -1`: the reader closes its end before the command writes (the
    interpreter needs far longer to start); the command ends with exit 0 and no message."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tradeviz", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc.stdout.close()  # the reader is gone
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 0, err
    assert "rror" not in err and "Broken" not in err and "Exception" not in err, err


def test_a_reader_that_reads_a_line_then_closes_ends_output_quietly():
    """Like `head -1` on output longer than the pipe holds: countries writes ~250 lines
    (10 kB) into a pipe shrunk to one page, so it is still writing when the reader goes."""
    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_SETPIPE_SZ"):
        pytest.skip("pipe size cannot be set here (Linux only)")
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tradeviz", "countries"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(write_end)
    with os.fdopen(read_end) as reader:
        assert reader.readline().startswith("ISO3")
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 0, err
    assert "rror" not in err and "Broken" not in err and "Exception" not in err, err


def test_other_os_errors_still_report(monkeypatch):
    """Only a closed stdout is quiet: another OSError, or a broken pipe that is not stdout
    (a worker's, a socket's), stays an unexpected error, exit 1."""

    class _Broken(tuple):
        def __iter__(self):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("tradeviz.vocab.countries.COUNTRIES", _Broken())
    res = CliRunner().invoke(main, ["countries"])
    assert res.exit_code == 1 and "unexpected error: BrokenPipeError" in res.output

    class _Full(tuple):
        def __iter__(self):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr("tradeviz.vocab.countries.COUNTRIES", _Full())
    res = CliRunner().invoke(main, ["countries"])
    assert res.exit_code == 1 and "unexpected error: OSError" in res.output


def test_the_years_hint_offers_only_forms_that_are_accepted(tmp_path):
    """`report --years abc` suggests a range or a list; both are then accepted by the view
    filter (a list means those years) and a year the tables lack is named."""
    from tradeviz.analysis.dataset import Dataset
    from tradeviz.analysis.filters import FilterError
    from tradeviz.cli.options import YEAR_FILTER
    from tradeviz.schema import FLOWS_FIELDS, conform

    res = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "report", "--years", "abc"])
    assert res.exit_code == 2 and "a list like 2019,2021" in res.output
    assert YEAR_FILTER.convert("2019, 2021", None, None) == "2019,2021"
    assert YEAR_FILTER.convert("2015-2017,2020", None, None) == "2015-2017,2020"
    row = {"source": "comtrade", "freq": "A", "reporter": "CHN", "partner": "KAZ"}
    flows = conform(
        pd.DataFrame(
            [
                {**row, "year": y, "flow": "export", "hs_code": "TOTAL", "value_usd": 1.0}
                for y in range(2018, 2023)
            ]
        ),
        FLOWS_FIELDS,
    )
    ds = Dataset.from_frames(flows)
    assert ds.filter(years=YEAR_FILTER.convert("2019,2021", None, None)).years == (2019, 2021)
    assert ds.filter(years=YEAR_FILTER.convert("2010-2019", None, None)).years == (2018, 2019)
    with pytest.raises(FilterError, match="no data for years 2017"):
        ds.filter(years=YEAR_FILTER.convert("2017,2019", None, None))


def test_demo_data_dir_that_is_a_file_says_so(tmp_path):
    afile = tmp_path / "notes.txt"
    afile.write_text("mine")
    res = CliRunner().invoke(main, ["demo", "--data-dir", str(afile), "--no-notebooks"])
    assert res.exit_code == 2
    assert "is a file" in res.output and "File exists" not in res.output
    assert afile.read_text() == "mine"


def test_demo_without_papermill_names_no_notebooks(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "papermill", None)  # import papermill -> ImportError
    res = CliRunner().invoke(main, ["demo", "--data-dir", str(tmp_path / "d")])
    assert res.exit_code == 1
    line = res.output.strip().splitlines()[-1]
    assert "pip install 'tradeviz[notebooks]'" in line and "tradeviz demo --no-notebooks" in line
    assert not (tmp_path / "d" / "raw").exists()  # refused before any work


@pytest.mark.parametrize(
    ("args", "wanted", "unwanted"),
    [
        (["fetch", "comtrade", "--reporters", "kazakstan"], "KAZ Kazakhstan", None),
        (["fetch", "comtrade", "--partners", "Turkey"], "TUR", None),
        (["report", "--countries", "uzbekistan"], "UZB Uzbekistan", None),
        (["fetch", "comtrade", "--reporters", "XYZ"], "tradeviz countries", "closest"),
    ],
)
def test_country_suggestions_match_names_as_well_as_codes(args, wanted, unwanted, tmp_path):
    res = CliRunner().invoke(main, ["--data-dir", str(tmp_path), *args])
    assert res.exit_code == 2 and wanted in res.output, res.output
    assert unwanted is None or unwanted not in res.output  # no suggestions by letters
