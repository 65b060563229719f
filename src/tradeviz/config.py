"""Settings read from the environment, in one place so every stage agrees on them."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_COMTRADE_URL = "https://comtradeapi.un.org"
DEFAULT_IMF_URL = "https://api.imf.org"


def data_dir() -> Path:
    """Root of raw/ and processed/: $TRADEVIZ_DATA_DIR, default ./data."""
    return Path(os.environ.get("TRADEVIZ_DATA_DIR", "data"))


def raw_dir() -> Path:
    return data_dir() / "raw"


def processed_dir() -> Path:
    return data_dir() / "processed"


def comtrade_url() -> str:
    return os.environ.get("TRADEVIZ_COMTRADE_URL", DEFAULT_COMTRADE_URL).rstrip("/")


def comtrade_key() -> str | None:
    """The Comtrade subscription key, from the environment only. Never logged or stored."""
    key = os.environ.get("COMTRADE_API_KEY", "").strip()
    return key or None


def comtrade_rps() -> float:
    return _positive_float("TRADEVIZ_COMTRADE_RPS", 1.0)


def imf_url() -> str:
    return os.environ.get("TRADEVIZ_IMF_URL", DEFAULT_IMF_URL).rstrip("/")


def imf_rps() -> float:
    return _positive_float("TRADEVIZ_IMF_RPS", 1.0)


def _positive_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number; set it to e.g. 1 or 0.5") from None
    if value <= 0:
        raise ValueError(f"{name}={raw!r} must be > 0 (requests per second)")
    return value
