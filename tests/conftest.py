"""Shared fixtures: the recorded corpus, a data directory, and emulators on 127.0.0.1.

The corpus is $TRADEVIZ_CORPUS_DIR, else ../shared/corpus beside the repository (the package
itself has no default). Tests that use it (the `corpus` fixture, directly or through an
emulator) are marked `corpus` and skip with a reason when it is absent, unless
TRADEVIZ_REQUIRE_CORPUS=1 (CI), where its absence is an error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tradeviz.emulators.comtrade import ComtradeEmulator, Faults
from tradeviz.emulators.server import ServedApp
from tradeviz.extract.http import HttpClient
from tradeviz.store.raw import RawStore

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("TRADEVIZ_CORPUS_DIR") or REPO.parent / "shared" / "corpus")
HAVE_CORPUS = (CORPUS / "comtrade").is_dir()
os.environ.setdefault("TRADEVIZ_CORPUS_DIR", str(CORPUS))


def pytest_collection_modifyitems(config, items):
    """Mark every test that needs the corpus, so `-m "not corpus"` selects the others."""
    for item in items:
        if "corpus" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.corpus)


@pytest.fixture(autouse=True)
def no_real_apis(monkeypatch):
    """Every test starts pointed at a closed local port: one that forgets to start an
    emulator fails at once instead of reaching a real API."""
    monkeypatch.setenv("TRADEVIZ_COMTRADE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TRADEVIZ_IMF_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)


@pytest.fixture(autouse=True)
def no_data_dir_override():
    """The CLI's global --data-dir is process state that tradeviz.open() honours: a test that
    invokes `main --data-dir X` must not leave X to the next test."""
    from tradeviz import config

    yield
    config.set_data_dir(None)


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not HAVE_CORPUS:
        reason = (
            f"recorded corpus not found at {CORPUS}; set TRADEVIZ_CORPUS_DIR to the "
            "shared corpus folder"
        )
        if os.environ.get("TRADEVIZ_REQUIRE_CORPUS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return CORPUS


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "data"
    monkeypatch.setenv("TRADEVIZ_DATA_DIR", str(d))
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    return d


@pytest.fixture
def store(data_dir) -> RawStore:
    return RawStore(data_dir / "raw")


class Sleeps(list):
    """Records requested sleeps instead of sleeping, so retry tests run instantly."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def fast_client(sleeps):
    def make(source: str = "comtrade", **kw) -> HttpClient:
        kw.setdefault("rps", 1000.0)
        return HttpClient(source, sleep=sleeps, **kw)

    return make


@pytest.fixture
def comtrade_api(corpus, monkeypatch):
    """Start a Comtrade emulator; returns a factory so tests can set caps and faults."""
    running: list[ServedApp] = []

    def start(**kw) -> ComtradeEmulator:
        if "faults" in kw and isinstance(kw["faults"], list):
            kw["faults"] = Faults(schedule=kw["faults"])
        app = ComtradeEmulator(corpus=corpus, **kw)
        served = ServedApp(app).__enter__()
        running.append(served)
        app.url = served.url
        monkeypatch.setenv("TRADEVIZ_COMTRADE_URL", served.url)
        return app

    yield start
    for served in running:
        served.__exit__(None, None, None)


@pytest.fixture
def default_plan_hs4(data_dir, store, fast_client, comtrade_api) -> Path:
    """The default plan at HS4 for 2020-2021, fetched keyed from the emulator into
    data_dir's raw layer (synthetic)."""
    from tradeviz.extract import comtrade

    comtrade_api()
    fetcher = comtrade.ComtradeFetcher(
        store, client=fast_client(), api_key="k", max_records=20_000, progress=False
    )
    fetcher.run(comtrade.default_plan(("2021", "2020"), "4"), "A")
    return data_dir
