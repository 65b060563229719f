"""What every chart shares: the Chart record, the shipped style, figures made without pyplot,
captions, units, whole-year axes, policy events and empty panels."""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import matplotlib as mpl
import pandas as pd
import yaml
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from tradeviz import __version__
from tradeviz.vocab.countries import ALL_SIX, CA_ISO3
from tradeviz.vocab.flows import SOURCE_NAMES

COUNTRY_COLORS = {
    "KAZ": "#1f77b4",
    "KGZ": "#d62728",
    "TJK": "#2ca02c",
    "TKM": "#9467bd",
    "UZB": "#ff7f0e",
    "CHN": "#8c564b",
    "CA5": "#333333",
}
COUNTRY_NAMES = {**{c.iso3: c.name for c in ALL_SIX}, "CA5": "Central Asia (all five)"}
SYNTHETIC_NOTE = "SYNTHETIC DEMO DATA, not statistics. "


@dataclass(frozen=True)
class Info:
    """What a renderer needs beside the data: the title, the caption, the countries to draw
    (the filter, in registry order) and whether the numbers are synthetic."""

    title: str
    caption: str
    countries: tuple[str, ...] = CA_ISO3
    synthetic: bool = False
    all_countries: bool = True


@dataclass
class Chart:
    """A drawn chart and exactly the data it plots (what the CSV export writes)."""

    name: str
    title: str
    fig: Figure
    data: pd.DataFrame
    caption: str
    filters: dict
    snapshots: list[str]
    sources: tuple[str, ...]
    synthetic: bool = False
    extra: dict = field(default_factory=dict)

    def _repr_png_(self) -> bytes:
        """Jupyter shows the chart itself (no pyplot backend needed)."""
        return figure_png(self.fig)


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    buf = io.BytesIO()
    with style():
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def style_path() -> str:
    return str(resources.files("tradeviz.charts").joinpath("tradeviz.mplstyle"))


@contextmanager
def style() -> Iterator[None]:
    """The shipped style, for the duration of drawing or saving only (rcParams restored)."""
    with mpl.rc_context(fname=style_path()):
        yield


LEGEND_ROOM = 0.5  # inches kept for a legend under the panels (entries of two lines fit)
EDGE = 0.12  # inches of white between any label and the image edge (matplotlib's: 0.04)
HANDLE = 4.0  # legend handle length in font sizes: a dashed line shows two dashes


def new_figure(
    info: Info,
    nrows: int = 1,
    ncols: int = 1,
    figsize: tuple[float, float] | None = None,
    legend_below: bool = False,
    **kw,
) -> tuple[Figure, list[Axes]]:
    """A Figure with the title at the top and room for the caption (and, with
    `legend_below`, for a legend between panels and caption: see `legend_under`); no
    pyplot involved."""
    fig = Figure(figsize=figsize or mpl.rcParams["figure.figsize"], layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    # A long title (filters appended) wraps instead of running off the figure's right edge:
    # a 14 pt bold character is about 1/8.5 inch wide.
    width = int(fig.get_figwidth() * 8.5)
    title = "\n".join(textwrap.wrap(info.title, width)) if len(info.title) > width else info.title
    fig.suptitle(title, fontsize=14, fontweight="bold", x=0.01, ha="left")
    # the caption wrapped here, between words, short of the right edge (an 8 pt character
    # is about 1/15 inch wide at most); matplotlib's own wrap runs to the edge
    text = textwrap.fill(info.caption, int(fig.get_figwidth() * 15), break_long_words=False)
    lines = text.count("\n") + 1
    bottom = 0.02 + 0.025 * lines * 6.5 / fig.get_figheight()
    fig.legend_y = bottom  # where legend_under() puts its legend
    if legend_below:
        bottom += LEGEND_ROOM / fig.get_figheight()
    # padding (inches) keeps tick labels and titles off the image edge
    fig.get_layout_engine().set(rect=(0, bottom, 1, 0.99 - bottom), w_pad=EDGE, h_pad=EDGE)
    fig.text(0.01, 0.01, text, fontsize=8, ha="left", va="bottom", color="#444444")
    return fig, [ax for row in axes for ax in row]


def legend_under(fig: Figure, handles: list, labels: list | None = None) -> None:
    """A one-row legend in the room new_figure(legend_below=True) kept above the caption."""
    labels = labels or [h.get_label() for h in handles]
    fig.legend(
        handles,
        labels,
        loc="lower center",
        bbox_to_anchor=(0.5, fig.legend_y),
        ncol=len(labels),
        frameon=False,
        fontsize=8.5,
        handlelength=HANDLE,
    )


def grid_for(n: int, max_cols: int = 3) -> tuple[int, int]:
    cols = min(max_cols, max(n, 1))
    return math.ceil(max(n, 1) / cols), cols


def usd_scale(max_value: float) -> tuple[float, str]:
    """Divisor and unit label so that axis numbers stay short."""
    if max_value >= 1e9:
        return 1e9, "USD bn"
    if max_value >= 1e6:
        return 1e6, "USD mn"
    return 1.0, "USD"


def panel_scale(values) -> tuple[float, str]:
    """usd_scale() of one panel's own largest absolute value, so that a small country's
    panel reads in USD mn (0-125) rather than USD bn (0.000-0.125)."""
    vals = pd.Series(values, dtype=float).abs().dropna()
    return usd_scale(float(vals.max()) if len(vals) else 0.0)


def fmt_usd(value: float) -> str:
    div, unit = usd_scale(abs(value))
    return f"{value / div:,.1f} {unit.removeprefix('USD ')}".strip()


def caption(
    side: str,
    *,
    synthetic: bool,
    fetched_at: list[str] | None = None,
    source: str = SOURCE_NAMES["comtrade"],
    filters: dict | None = None,
    tool: str = f"tradeviz {__version__}",
) -> str:
    """Source, reporter side, fetch dates, filters applied, tool; SYNTHETIC first when so."""
    fetched = ""
    if fetched_at:
        a, b = fetched_at[0], fetched_at[-1]
        fetched = f"; fetched {a}" + ("" if a == b else f" to {b}")
    text = f"Source: {source}, {side}{fetched}."
    if filters:
        text += " Filters: " + describe_filters(filters) + "."
    text += f" Chart: {tool}."
    return (SYNTHETIC_NOTE + text) if synthetic else text


def _first_last(years) -> tuple:
    """A view's years filter: [first, last], or a text of years that do not run unbroken
    ("2019, 2021"), shown whole."""
    return (years, years) if isinstance(years, str) else tuple(years)


def describe_filters(filters: dict) -> str:
    parts = []
    if filters.get("countries"):
        parts.append("countries " + ", ".join(filters["countries"]))
    if filters.get("years"):
        a, b = _first_last(filters["years"])
        parts.append(f"years {a}" + ("" if a == b else f"-{b}"))
    if filters.get("areas"):
        parts.append("areas " + ", ".join(filters["areas"]))
    return "; ".join(parts)


def title_suffix(filters: dict) -> str:
    """' — Kazakhstan, 2020-2024' when filters narrow the chart, else ''."""
    parts = []
    if filters.get("countries") and len(filters["countries"]) < len(CA_ISO3):
        parts.append(", ".join(COUNTRY_NAMES[c] for c in filters["countries"]))
    if filters.get("years"):
        a, b = _first_last(filters["years"])
        parts.append(str(a) if a == b else f"{a}–{b}")
    return (" — " + ", ".join(parts)) if parts else ""


def year_axis(ax: Axes, room: float = 0.0) -> None:
    """Whole years only on the x axis (never 2020.5). With `room`, the axis runs that many
    years past the last data year (space for labels at the lines' ends) while the ticks and
    the axis line stop at the data."""
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{int(round(x))}"))
    years = [x for line in ax.get_lines() for x in line.get_xdata() if _is_year(x)]
    if not room or not years:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=7))
        return
    lo, hi = int(min(years)), int(max(years))
    step = max(1, math.ceil((hi - lo + 1) / 7))
    ax.set_xticks(range(hi, lo - 1, -step))
    ax.set_xlim(lo - 0.5, hi + room)
    ax.spines["bottom"].set_bounds(lo - 0.5, hi + 0.5)


def _is_year(x) -> bool:
    try:
        return 1900 < float(x) < 2200
    except (TypeError, ValueError):
        return False


def empty(ax: Axes, message: str) -> None:
    """Say why a panel is empty (and mark it so, see blank())."""
    ax.tradeviz_empty = message
    ax.text(
        0.5,
        0.5,
        message,
        ha="center",
        va="center",
        transform=ax.transAxes,
        fontsize=10,
        color="#888888",
    )
    ax.set_frame_on(False)
    ax.grid(False)
    ax.tick_params(left=False, labelleft=False, bottom=False, labelbottom=False)


def hide_unused(axes: list[Axes], used: int) -> list[Axes]:
    """Switch off the panels after the first `used` and give the panels above them their
    x tick labels back (shared axes show them on the bottom row only); returns the unused
    panels (room for a legend)."""
    for ax in axes[used:]:
        ax.axis("off")
    ncols = axes[0].get_subplotspec().get_gridspec().ncols if axes else 1
    for i, ax in enumerate(axes[:used]):
        if not ax.get_frame_on():
            continue
        if i + ncols >= used:
            ax.xaxis.set_tick_params(labelbottom=True)
        if i % ncols and not axes[i - 1].get_frame_on():  # left neighbour empty: own y labels
            ax.yaxis.set_tick_params(labelleft=True)
    return axes[used:]


def blank(fig: Figure) -> str:
    """The reason a figure shows nothing, when every panel that is not switched off is an
    empty() panel (a page shows this sentence instead of a blank chart); else ''."""
    shown = [ax for ax in fig.axes if ax.axison or hasattr(ax, "tradeviz_empty")]
    reasons = [getattr(ax, "tradeviz_empty", None) for ax in shown]
    if not shown or any(r is None for r in reasons):
        return ""
    return " ".join(dict.fromkeys(str(r).replace("\n", " ") for r in reasons))


def wrap(text: str, width: int = 30, lines: int = 3) -> str:
    """`text` on lines of at most `width` characters, broken between words only (a word
    longer than the line stays whole); more than `lines` lines end in one ellipsis after a
    whole word. For long labels where space is short."""
    rows = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
    if len(rows) > lines:
        rows = [*rows[: lines - 1], rows[lines - 1].rstrip(" ,;:") + "…"]
    return "\n".join(rows)


def direct_label(ax: Axes, x, y, text: str, color: str, dy: float = 0.0) -> None:
    """A line's name written at its last point (beside the legend): no one has to match
    a dash pattern to read which line is which."""
    ax.annotate(
        text,
        (x, y),
        xytext=(5, dy),
        textcoords="offset points",
        fontsize=7.5,
        va="center",
        color=color,
        annotation_clip=False,
        in_layout=False,  # inside the room year_axis() keeps: never shrinks the panels
    )


def ylabel_left(ax: Axes, text: str) -> None:
    """The y label on the first column only (panels sharing y need it once per row)."""
    if ax.get_subplotspec().is_first_col():
        ax.set_ylabel(text)


# ------------------------------------------------------------------------------- events
@lru_cache(maxsize=1)
def events() -> pd.DataFrame:
    """Policy events (data/events.yaml): date, label, countries, source; x as a year."""
    text = resources.files("tradeviz.data").joinpath("events.yaml").read_text("utf-8")
    out = pd.DataFrame(yaml.safe_load(text)["events"])
    out["x"] = [int(d[:4]) + (int(d[5:7]) - 1) / 12 for d in out["date"]]
    return out.sort_values("x", ignore_index=True)


def events_in(lo: float, hi: float, countries: tuple[str, ...] | None = None) -> pd.DataFrame:
    ev = events()
    ev = ev[(ev["x"] >= lo) & (ev["x"] <= hi)]
    if countries:
        keep = pd.Series(
            [not c or bool(set(c) & set(countries)) for c in ev["countries"]],
            index=ev.index,
            dtype=bool,
        )
        ev = ev[keep]
    return ev


def draw_events(
    ax: Axes,
    countries: tuple[str, ...] | None = None,
    *,
    labels: bool = True,
    numbers: dict[str, int] | None = None,
) -> pd.DataFrame:
    """Dotted lines at policy events inside the axis' x range. With `labels`, each label is
    written once, in the first free row at the top so that no two overlap; with `numbers`
    (label -> number) a small number marks the line instead (the key is written elsewhere).
    Returns the events drawn."""
    lo, hi = ax.get_xlim()
    ev = events_in(math.ceil(lo), hi, countries)  # from the first whole year shown
    width = ax.get_window_extent().width or 1.0
    per_char = (hi - lo) / width * 5.0  # ~5 px per character at 7 pt
    row_end: list[float] = []
    if numbers is not None:
        ev = ev[ev["label"].isin(numbers)]
    for r in ev.itertuples(index=False):
        ax.axvline(r.x, color="#888888", lw=0.8, ls=":", zorder=0)
        if numbers is not None:
            ax.annotate(
                str(numbers[r.label]),
                (r.x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -2),
                textcoords="offset points",
                fontsize=7,
                color="#555555",
                va="top",
                ha="left",
            )
            continue
        if not labels:
            continue
        start, end = r.x, r.x + per_char * (len(r.label) + 1)
        if end > hi:  # no room on the right: write it leftwards of the line
            start, end = r.x - per_char * (len(r.label) + 1), r.x
        row = next((i for i, e in enumerate(row_end) if start > e), len(row_end))
        if row == len(row_end):
            row_end.append(end)
        else:
            row_end[row] = end
        right = end == r.x
        ax.annotate(
            r.label,
            (r.x, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(-2 if right else 2, -3 - 9 * row),
            textcoords="offset points",
            fontsize=7,
            color="#555555",
            va="top",
            ha="right" if right else "left",
        )
    return ev


def event_key(ev: pd.DataFrame) -> tuple[dict[str, int], str]:
    """Numbers for events drawn in several panels, and the one key that explains them."""
    uniq = ev.drop_duplicates("label").sort_values("x")
    numbers = {lab: i + 1 for i, lab in enumerate(uniq["label"])}
    key = "\n".join(
        f"{numbers[r.label]}  {r.label} ({r.date})" for r in uniq.itertuples(index=False)
    )
    return numbers, key


def panels(
    axes: list[Axes],
    countries: tuple[str, ...],
    data: pd.DataFrame,
    column: str,
    empty_message: str,
) -> Iterator[tuple[Axes, str, pd.DataFrame]]:
    """Small multiples: (axes, country, its rows) for each country with rows; each panel is
    titled with the country's name and an empty one says why."""
    for ax, iso in zip(axes, countries, strict=False):
        rows = data[data[column] == iso]
        ax.set_title(COUNTRY_NAMES.get(iso, iso))
        if rows.empty:
            empty(ax, empty_message)
            continue
        yield ax, iso, rows


Renderer = Callable[[pd.DataFrame, Info], Figure]
