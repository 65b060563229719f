"""tradeviz: China–Central Asia trade statistics, from raw API snapshots to publishable charts.

For notebooks and scripts::

    import tradeviz
    ds = tradeviz.open()          # $TRADEVIZ_DATA_DIR, else the project's data/
    ds.totals().tail()
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

# Arrow's C++ code allocates from its default pool whatever pyarrow's set_memory_pool says,
# and that pool (mimalloc) keeps freed memory resident: the bench build peaked ~25 MiB
# higher with it, at the same speed. The system allocator returns memory the build frees
# (issue 12). Read once, when pyarrow first loads: importing tradeviz first is what sets
# it; an ARROW_DEFAULT_MEMORY_POOL of the user's own is kept.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

__version__ = "0.1.0"

if TYPE_CHECKING:
    from pathlib import Path

    from tradeviz.analysis.dataset import Dataset


def open(data_dir: str | Path | None = None) -> Dataset:  # noqa: A001 - the library's verb
    """The processed tables as a Dataset. `data_dir` None: $TRADEVIZ_DATA_DIR, else the
    project's data/ (found from the checkout, not the working directory), else, in a
    checkout with no real tables, the demo's demo-data/ (`ds.origin` says which). Raises
    TablesMissingError naming the directory and the command to run when tables are missing.
    """
    from tradeviz.analysis.dataset import open_dataset

    return open_dataset(data_dir)


__all__ = ["__version__", "open"]
