"""Showing results in a notebook: a chart as a PNG with its title as alt text, a sentence as
Markdown. Kept apart from the analysis so that the functions computing numbers never print."""

from __future__ import annotations

import io

from matplotlib.figure import Figure


def chart_png(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (what the notebook and the report embed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def show_chart(chart) -> None:
    """Display a chart (anything with .fig and .title) once, as a PNG whose alt text is its
    title and caption, so the exported HTML describes every image."""
    from IPython.display import Image, display

    alt = f"{chart.title}. {getattr(chart, 'caption', '')}".strip()
    display(Image(data=chart_png(chart.fig), format="png", metadata={"alt": alt}))


def say(*sentences: str) -> None:
    """Display sentences as one Markdown paragraph (skipping empty ones)."""
    from IPython.display import Markdown, display

    text = " ".join(s for s in sentences if s)
    if text:
        display(Markdown(text))


def bullets(sentences: list[str]) -> None:
    """Display sentences as a Markdown bullet list (the findings summary)."""
    from IPython.display import Markdown, display

    if sentences:
        display(Markdown("\n".join(f"- {s}" for s in sentences)))
