"""What every command module shares: the environment help, error handling, list parsing.

Error policy (documented in the README, "CLI global options"):
- click usage errors (bad option values, from the types in cli/options.py): click's own
  one-line `Error: ...`, exit 2;
- TradevizError (a condition the user can act on), or an ImportError of a module that only
  an optional extra installs (named with its `pip install 'tradeviz[extra]'`): one line
  `error: ...`, exit 1; with -v its traceback as well;
- anything else is a bug or an unforeseen condition: without -v one line naming the
  exception type plus a hint to rerun with -v, exit 1; with -v the full traceback;
- a closed pipe on stdout (`tradeviz hs show 870323 | head -3`) is the reader having seen
  enough: output ends quietly, exit 0, in every command.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import sys
import traceback

import click

from tradeviz.config import missing_extra
from tradeviz.errors import TradevizError

log = logging.getLogger("tradeviz")

ENV_HELP = """
\b
Environment:
  TRADEVIZ_DATA_DIR      data directory holding raw/ and processed/ (default ./data;
                         the global --data-dir option takes precedence)
  TRADEVIZ_COMTRADE_URL  Comtrade base URL (default https://comtradeapi.un.org)
  TRADEVIZ_COMTRADE_RPS  Comtrade requests per second (default 1)
  COMTRADE_API_KEY       Comtrade subscription key; sent only in the
                         Ocp-Apim-Subscription-Key header, never stored or logged
  TRADEVIZ_COMTRADE_URL_LIMIT, TRADEVIZ_COMTRADE_MAX_PERIODS
                         longest Comtrade URL planned (default 1900) and periods
                         per call (default 12): the live API's limits
  TRADEVIZ_QUOTA_WAIT    longest wait for a spent call quota, seconds (default 300)
  TRADEVIZ_IMF_URL       IMF base URL (default https://api.imf.org)
  TRADEVIZ_IMF_RPS       IMF requests per second (default 1)
  TRADEVIZ_CORPUS_DIR    recorded API responses for `tradeviz emulate` (or --corpus)
"""


class _Group(click.Group):
    """The top-level group: turns errors into messages by the policy above."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Bad option or argument values are one line (click's usage block is dropped):
        `Error: <what is wrong and the valid values> (try '<command> --help')`, exit 2."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        except OSError as exc:
            if not _closed_pipe(exc):
                raise
            _quiet_exit()
        except SystemExit:
            # click answers a closed pipe with exit 1 after wrapping stdout in its
            # PacifyFlushWrapper; the reader having seen enough is not a failure.
            if type(sys.stdout).__name__.endswith("PacifyFlushWrapper"):
                _quiet_exit()
            raise
        except click.UsageError as exc:
            hint = f" (try '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            click.echo(f"Error: {exc.format_message()}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)

    def invoke(self, ctx: click.Context):
        verbose = bool(ctx.params.get("verbose"))
        try:
            return super().invoke(ctx)
        except (
            click.exceptions.ClickException,
            click.exceptions.Exit,
            click.Abort,
            SystemExit,
            KeyboardInterrupt,
        ):
            raise
        except OSError as exc:
            if _closed_pipe(exc) and _stdout_gone():
                raise  # main() ends quietly
            _report(exc, verbose)  # e.g. a worker's or a socket's pipe: a real failure
        except Exception as exc:
            _report(exc, verbose)


def _report(exc: Exception, verbose: bool) -> None:
    """Print an error by the policy above and exit 1; with -v an unknown one is re-raised
    (its traceback), a known one printed with its traceback."""
    # An optional extra that is not installed is the user's to fix, like TradevizError.
    known = (
        exc
        if isinstance(exc, TradevizError)
        else (missing_extra(exc) if isinstance(exc, ImportError) else None)
    )
    if known is None:
        if verbose:
            raise exc
        click.echo(f"unexpected error: {type(exc).__name__}: {exc}", err=True)
        click.echo(
            "this is probably a bug; rerun with -v (tradeviz -v ...) to see the traceback",
            err=True,
        )
        sys.exit(1)
    if verbose:
        traceback.print_exception(exc)
    click.echo(f"error: {known}", err=True)
    sys.exit(1)


def _closed_pipe(exc: OSError) -> bool:
    """True for a write to a pipe whose reader has gone (EPIPE)."""
    return isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE


def _stdout_gone() -> bool:
    """True when stdout is a pipe whose reader has closed it (poll reports an error on the
    descriptor), so that a broken pipe elsewhere (a worker process, a socket) is not taken
    for the reader having seen enough. False when that cannot be told (no descriptor)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # captured output, or no poll() here
        return False


def _quiet_exit() -> None:
    """Exit 0 with nothing more written: stdout goes to /dev/null so that Python's final
    flush of what is still buffered cannot fail again ("Exception ignored ... BrokenPipe")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor (captured output): nothing to guard
        pass
    sys.exit(0)


def split_list(text: str | None) -> list[str] | None:
    """Comma text to a list (kept for commands not yet on the types in cli/options.py)."""
    return [t.strip() for t in text.split(",") if t.strip()] if text else None
