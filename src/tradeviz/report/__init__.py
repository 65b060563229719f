"""The static HTML report (`tradeviz report`): see report.build."""

from tradeviz.report.build import write_report

__all__ = ["write_report"]
