"""Numbers as a reader wants them: USD in bn or mn, percentages, thousands separators.

Used by the notebooks, the HTML report and the findings sentences, so a figure reads the
same everywhere (never 7.03e+10)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

UNITS = ((1e9, "bn"), (1e6, "mn"), (1e3, "thousand"))


def usd_unit(values: Iterable[float] | float) -> tuple[float, str]:
    """Divisor and label (bn, mn, thousand or '') for the largest absolute value given, so a
    column or a sentence uses one unit throughout."""
    vals = [
        abs(float(v))
        for v in (values if isinstance(values, Iterable) else [values])
        if v is not None and not _missing(v)
    ]
    top = max(vals, default=0.0)
    for div, label in UNITS[:2]:
        if top >= div:
            return div, label
    return 1.0, ""


def usd(
    value: float | None, unit: tuple[float, str] | None = None, digits: int | None = None
) -> str:
    """'USD 70.3 bn', 'USD 512 mn', 'USD 48,200'; '–' when missing."""
    if _missing(value):
        return "–"
    div, label = unit or usd_unit(value)
    scaled = float(value) / div
    if digits is None:
        digits = 0 if not label or abs(scaled) >= 100 else (1 if abs(scaled) >= 10 else 2)
    text = f"{scaled:,.{digits}f}"
    return f"USD {text} {label}".rstrip()


def pct(value: float | None, digits: int = 1, signed: bool = False) -> str:
    """A fraction as a percentage: 0.123 -> '12.3%' (signed: '+12.3%'); '–' when missing."""
    if _missing(value) or math.isinf(float(value)):
        return "–"
    sign = "+" if signed else ""
    return f"{float(value) * 100:{sign},.{digits}f}%"


ARROW = "→"


def direction(exporter: str, importer: str) -> str:
    """A direction of trade as every chart, table and sentence writes it: 'CHN→KAZ'."""
    return f"{exporter}{ARROW}{importer}"


def arrow(text: str) -> str:
    """A stored direction ('CHN->KAZ', the data's ASCII form) as it is shown: 'CHN→KAZ'."""
    return str(text).replace("->", ARROW) if isinstance(text, str) else text


def thousands(value: float | None, digits: int = 0) -> str:
    """12345.6 -> '12,346'; '–' when missing."""
    if _missing(value):
        return "–"
    return f"{float(value):,.{digits}f}"


def table(
    df: pd.DataFrame,
    usd_cols: Iterable[str] = (),
    pct_cols: Iterable[str] = (),
    signed_pct_cols: Iterable[str] = (),
    int_cols: Iterable[str] = (),
    number_cols: Iterable[str] = (),
    rename: dict[str, str] | None = None,
) -> pd.DataFrame:
    """A copy of `df` with numbers as text for display: each USD column in one unit (named in
    its header, e.g. 'exports (USD bn)'), percentages, whole numbers with separators. Columns
    not named are left as they are; the numbers themselves stay in the source frame."""
    out = df.copy()
    headers: dict[str, str] = {}
    for col in usd_cols:
        if col not in out:
            continue
        div, label = usd_unit(out[col])
        digits = 0 if not label else (1 if out[col].abs().max() / div >= 10 else 2)
        out[col] = [thousands(None if _missing(v) else float(v) / div, digits) for v in out[col]]
        headers[col] = f"{(rename or {}).get(col, col)} (USD{' ' + label if label else ''})"
    for col in pct_cols:
        if col in out:
            out[col] = [pct(v) for v in out[col]]
    for col in signed_pct_cols:
        if col in out:
            out[col] = [pct(v, signed=True) for v in out[col]]
    for col in int_cols:
        if col in out:
            out[col] = [thousands(v) for v in out[col]]
    for col in number_cols:
        if col in out:
            out[col] = [thousands(v, 2) for v in out[col]]
    names = {**(rename or {}), **headers}
    return out.rename(columns=names)


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
