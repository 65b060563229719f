"""Settings read from the environment (or the CLI's global options), in one place so every
stage agrees on them."""

from __future__ import annotations

import importlib
import math
import os
from pathlib import Path
from types import ModuleType

from tradeviz.errors import ConfigError, MissingExtraError, MissingInputError

DEFAULT_COMTRADE_URL = "https://comtradeapi.un.org"
DEFAULT_IMF_URL = "https://api.imf.org"
DEFAULT_DATA_DIR = Path("data")
DEFAULT_DEMO_DIR = Path("demo-data")  # where `tradeviz demo` writes when no dir is chosen
DATA_DIR_ENV = "TRADEVIZ_DATA_DIR"
CORPUS_DIR_ENV = "TRADEVIZ_CORPUS_DIR"

_data_dir_override: Path | None = None


def set_data_dir(path: Path | str | None) -> None:
    """The CLI's global --data-dir: takes precedence over $TRADEVIZ_DATA_DIR in this process
    (None clears it). Commands pass the directory on explicitly (notebooks get it as a
    papermill parameter), so the environment is left alone."""
    global _data_dir_override
    _data_dir_override = Path(path) if path is not None else None


def data_dir_choice() -> tuple[Path, str] | None:
    """The data directory the user chose and where the choice came from ("--data-dir" or
    "$TRADEVIZ_DATA_DIR"), or None: the one place the variable is read."""
    if _data_dir_override is not None:
        return _data_dir_override, "--data-dir"
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    return (Path(env), f"${DATA_DIR_ENV}") if env else None


def data_dir_given() -> Path | None:
    """The data directory the user chose (--data-dir or $TRADEVIZ_DATA_DIR), or None."""
    choice = data_dir_choice()
    return choice[0] if choice else None


def data_dir() -> Path:
    """Root of raw/ and processed/: --data-dir, else $TRADEVIZ_DATA_DIR, else ./data."""
    return data_dir_given() or DEFAULT_DATA_DIR


def raw_dir() -> Path:
    return data_dir() / "raw"


def processed_dir() -> Path:
    return data_dir() / "processed"


def corpus_dir(explicit: Path | str | None = None) -> Path:
    """The recorded API responses the emulators replay: `explicit` (--corpus), else
    $TRADEVIZ_CORPUS_DIR. There is no default: the corpus is not part of the package."""
    env = os.environ.get(CORPUS_DIR_ENV, "").strip()
    chosen = Path(explicit) if explicit else (Path(env) if env else None)
    if chosen is None:
        raise MissingInputError(
            "no recorded corpus given; pass --corpus DIR or set TRADEVIZ_CORPUS_DIR to the "
            "folder holding comtrade/ and imf/ (e.g. ../shared/corpus)"
        )
    if not (chosen / "comtrade").is_dir():
        raise MissingInputError(
            f"{chosen} is not a recorded corpus (no comtrade/ folder in it); pass --corpus or "
            "set TRADEVIZ_CORPUS_DIR to the folder holding comtrade/ and imf/"
        )
    return chosen


# Top-level modules that only an optional extra installs (pyproject.toml), by extra.
EXTRA_OF: dict[str, str] = {
    "papermill": "notebooks",
    "nbconvert": "notebooks",
    "nbformat": "notebooks",
    "nbclient": "notebooks",
    "ipykernel": "notebooks",
    "jupyterlab": "notebooks",
    "country_converter": "wits",
    "openpyxl": "wits",
    "werkzeug": "emulators",
}


def missing_extra(exc: ImportError) -> MissingExtraError | None:
    """The MissingExtraError to report for an ImportError of an extra's module, else None."""
    top = (exc.name or "").split(".")[0]
    if top not in EXTRA_OF:
        return None
    return MissingExtraError(
        f"this command needs {top}, which is not installed; install it "
        f"with: pip install 'tradeviz[{EXTRA_OF[top]}]'"
    )


def require(module: str, extra: str) -> ModuleType:
    """Import `module`, which only the optional extra `extra` installs; a missing one is a
    MissingExtraError naming the pip command that fixes it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"this command needs {module.split('.')[0]}, which is not installed; "
            f"install it with: pip install 'tradeviz[{extra}]'"
        ) from exc


# Request rates accepted (requests per second): one an hour up to 1000 (local emulators).
# `nan`, `inf`, 0 or 1e-300 would make the limiter wait for ever or not at all.
MIN_RPS = 1 / 3600
MAX_RPS = 1000.0
# Live limits of UN Comtrade (issue 22; README "What the fetcher guards against"):
# HTTP 414 a little past 2,000 URL characters (comtradr #103: 1,923 served, 2,436 refused),
# 12 periods per call (comtradr's vignette, un-comtrade-sdk), and how long a 403 quota
# answer may ask us to wait before the fetch stops instead (seconds).
DEFAULT_URL_LIMIT = 1900
DEFAULT_MAX_PERIODS = 12
DEFAULT_QUOTA_WAIT = 300.0


def _base_url(name: str, default: str) -> str:
    from tradeviz.extract.urls import url_problem

    raw = os.environ.get(name, "").strip() or default
    problem = url_problem(raw)
    if problem:
        from tradeviz.extract.urls import strip_userinfo

        shown = strip_userinfo(raw) if "credentials" in problem else raw
        shown = shown.encode("ascii", "replace").decode()[:120]
        raise ConfigError(f"{name}={shown!r} is not a usable base URL: {problem}")
    return raw.rstrip("/")


def comtrade_url() -> str:
    return _base_url("TRADEVIZ_COMTRADE_URL", DEFAULT_COMTRADE_URL)


def comtrade_key() -> str | None:
    """The Comtrade subscription key, from the environment only. Never logged or stored,
    and checked before any request (its text is never echoed, even when it is wrong)."""
    from tradeviz.extract.urls import key_problem

    key = os.environ.get("COMTRADE_API_KEY", "").strip()
    if key and (problem := key_problem(key)):
        raise ConfigError(
            f"COMTRADE_API_KEY is not a usable key: {problem}; set it to the key shown at "
            "comtradedeveloper.un.org (32 letters and digits), or unset it for the preview"
        )
    return key or None


def comtrade_rps() -> float:
    return rate("TRADEVIZ_COMTRADE_RPS", 1.0)


def imf_url() -> str:
    return _base_url("TRADEVIZ_IMF_URL", DEFAULT_IMF_URL)


def imf_rps() -> float:
    return rate("TRADEVIZ_IMF_RPS", 1.0)


def comtrade_url_limit() -> int:
    """Longest Comtrade URL the planner builds (characters)."""
    return int(_bounded("TRADEVIZ_COMTRADE_URL_LIMIT", DEFAULT_URL_LIMIT, 300, 100_000))


def comtrade_max_periods() -> int:
    """Most periods one Comtrade call asks for."""
    return int(_bounded("TRADEVIZ_COMTRADE_MAX_PERIODS", DEFAULT_MAX_PERIODS, 1, 1000))


def quota_wait() -> float:
    """Longest wait (seconds) for a spent call quota before the fetch stops instead."""
    return _bounded("TRADEVIZ_QUOTA_WAIT", DEFAULT_QUOTA_WAIT, 0, 7 * 86400)


def check_rate(name: str, value: float) -> float:
    """`value` if it is a usable request rate, else a ConfigError naming `name`."""
    if not (math.isfinite(value) and MIN_RPS <= value <= MAX_RPS):
        raise ConfigError(
            f"{name}={value!r} is not a usable request rate: give requests per second "
            f"between {MIN_RPS:.6f} (one an hour) and {MAX_RPS:g}, e.g. 1 or 0.5"
        )
    return value


def rate(name: str, default: float) -> float:
    """A request rate from the environment, refused at start-up unless finite and sane."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number; set it to e.g. 1 or 0.5") from None
    return check_rate(name, value)


def _bounded(name: str, default: float, lo: float, hi: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ConfigError(f"{name}={raw!r} must be a number from {lo:g} to {hi:g}")
    return value
