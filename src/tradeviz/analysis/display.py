"""Showing results in a notebook: a chart as a PNG with its title as alt text, a sentence as
Markdown. Kept apart from the analysis so that the functions computing numbers never print."""

from __future__ import annotations


def show_chart(chart) -> None:
    """Display a chart (anything with .fig and .title) once, as a PNG whose alt text is its
    title and caption, so the exported HTML describes every image."""
    from IPython.display import Image, display

    from tradeviz.charts.base import figure_png

    alt = f"{chart.title}. {getattr(chart, 'caption', '')}".strip()
    display(Image(data=figure_png(chart.fig), format="png", metadata={"alt": alt}))


def say(*sentences: str) -> None:
    """Display sentences as one Markdown paragraph (skipping empty ones)."""
    from IPython.display import Markdown, display

    text = " ".join(s for s in sentences if s)
    if text:
        display(Markdown(text))


def bullets(sentences: list[str]) -> None:
    """Display sentences as a Markdown bullet list (the findings summary), each once."""
    from IPython.display import Markdown, display

    unique = list(dict.fromkeys(s for s in sentences if s))
    if unique:
        display(Markdown("\n".join(f"- {s}" for s in unique)))


def show_table(df, caption: str = "") -> None:
    """Display a formatted table (see formatting.table) without the index."""
    from IPython.display import HTML, display

    cap = (
        f"<caption style='caption-side: bottom; text-align: left'>{caption}</caption>"
        if caption
        else ""
    )
    html = df.to_html(index=False, escape=True, na_rep="–", border=0)
    display(
        HTML(
            html.replace("<table", "<table style='font-size: 0.9em'", 1).replace(
                "</thead>", "</thead>" + cap, 1
            )
            if cap
            else html
        )
    )
