"""What a build did: rows per source, rows dropped and why, coverage and checks. Written
to processed/build_report.json; kept apart so the parse side needs no pandas."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BuildReport:
    snapshots: int = 0
    rows_by_source: dict[str, int] = field(default_factory=dict)
    duplicates_dropped: int = 0
    breakdown_rows_dropped: int = 0
    other_flow_rows_dropped: int = 0
    truncated_snapshots_ignored: int = 0
    missing_cells: list[dict] = field(default_factory=list)
    empty_periods: list[str] = field(default_factory=list)
    chapter_checks: dict = field(default_factory=dict)
    unmapped_wits_partners: list[str] = field(default_factory=list)
    synthetic: bool = False
    focus: dict = field(default_factory=dict)
    world: dict = field(default_factory=dict)  # the world layer's partitions (issue 19)

    def as_dict(self) -> dict:
        return dict(self.__dict__)
