"""Trade flows and data sources: the one registry of their codes and names."""

from __future__ import annotations

# Comtrade flowCode -> the canonical `flow` column.
FLOW_NAMES: dict[str, str] = {"M": "import", "X": "export", "RM": "re-import", "RX": "re-export"}
FLOWS: tuple[str, ...] = tuple(FLOW_NAMES.values())

# Data sources: key (the `source` column and raw-store folder) -> citation for captions.
SOURCES: dict[str, str] = {
    "comtrade": "UN Comtrade API v1 (comtradeapi.un.org)",
    "wits": "World Bank WITS, Partner-Timeseries downloads",
    "imf": "IMF International Trade in Goods by partner (IMTS), SDMX 3.0 (api.imf.org)",
}
SOURCE_KEYS: tuple[str, ...] = tuple(SOURCES)
# Short names for captions and sentences ("Source: UN Comtrade and IMF IMTS").
SOURCE_NAMES: dict[str, str] = {
    "comtrade": "UN Comtrade",
    "wits": "World Bank WITS",
    "imf": "IMF IMTS",
}


def source_name(key: str) -> str:
    """Short display name of a source key; the key itself when unknown."""
    return SOURCE_NAMES.get(str(key), str(key))
