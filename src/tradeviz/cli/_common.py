"""What every command module shares: the environment help, error handling, list parsing."""

from __future__ import annotations

import logging
import sys

import click

from tradeviz.errors import TradevizError

log = logging.getLogger("tradeviz")

ENV_HELP = """
\b
Environment:
  TRADEVIZ_DATA_DIR      data directory holding raw/ and processed/ (default ./data)
  TRADEVIZ_COMTRADE_URL  Comtrade base URL (default https://comtradeapi.un.org)
  TRADEVIZ_COMTRADE_RPS  Comtrade requests per second (default 1)
  COMTRADE_API_KEY       Comtrade subscription key; sent only in the
                         Ocp-Apim-Subscription-Key header, never stored or logged
  TRADEVIZ_IMF_URL       IMF base URL (default https://api.imf.org)
  TRADEVIZ_IMF_RPS       IMF requests per second (default 1)
"""


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TradevizError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except (ValueError, FileNotFoundError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


def split_list(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None
