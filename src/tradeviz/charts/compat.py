"""The notebooks' former entry points (`Tables.load`, `filtered`, `Context`, chart functions
taking table frames): thin wrappers over the Dataset, kept until every notebook uses
`tradeviz.open()`. New code: `charts.make(name, ds)` or `charts.<name>(ds)`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tradeviz import __version__
from tradeviz.analysis.dataset import Dataset, open_dataset


@dataclass
class Context:
    """Provenance the old chart functions took beside the frames."""

    synthetic: bool = False
    fetched_at: list[str] = field(default_factory=list)
    tool: str = f"tradeviz {__version__}"

    def meta(self) -> dict:
        return {"synthetic": self.synthetic, "fetched_at": list(self.fetched_at),
                "tool": self.tool}


@dataclass
class Tables:
    """The processed tables and their provenance (wraps a Dataset view)."""

    ds: Dataset

    @classmethod
    def load(cls, processed: Path) -> Tables:
        return cls(open_dataset(Path(processed).parent))

    @property
    def flows(self) -> pd.DataFrame:
        return self.ds.flows

    @property
    def mirror(self) -> pd.DataFrame:
        return self.ds.mirror_table

    @property
    def focus(self) -> pd.DataFrame:
        return self.ds.focus

    @property
    def ctx(self) -> Context:
        meta = self.ds.meta
        return Context(self.ds.synthetic, list(meta.get("fetched_at", [])),
                       meta.get("tool") or f"tradeviz {__version__}")


def filtered(tables: Tables, years: tuple[int, int] | None = None,
             countries: list[str] | None = None) -> Tables:
    """The same tables restricted to a year range and to some Central Asian countries."""
    return Tables(tables.ds.filter(years=years, countries=countries))


def dataset_from(frames: tuple, ctx: Context | None) -> Dataset:
    """A Dataset from the frames an old-style call passed (flows, focus and/or mirror,
    told apart by their columns)."""
    got: dict[str, pd.DataFrame] = {}
    for f in frames:
        if isinstance(f, pd.DataFrame):
            kind = "mirror" if "direction" in f else ("focus" if "area" in f else "flows")
            got[kind] = f
    flows = got.get("flows")
    if flows is None:
        from tradeviz.schema import FLOWS_FIELDS, empty_frame

        flows = empty_frame(FLOWS_FIELDS)
    return Dataset.from_frames(flows, got.get("mirror"), got.get("focus"),
                               (ctx or Context()).meta())
