"""Exceptions that carry a message a user can act on (what went wrong, and what to do).

The CLI prints a TradevizError as one line (`error: ...`, exit 1); any other exception is a
bug or an unforeseen condition and is reported as such (its traceback with `-v`)."""


class TradevizError(Exception):
    """Base class: every error the CLI reports without a traceback."""


class InputError(TradevizError, ValueError):
    """A value given by the user (option, environment variable, file) is not valid.
    Also a ValueError, so library callers that catch ValueError keep working."""


class ConfigError(InputError):
    """An environment variable or setting holds a value that cannot be used."""


class MissingInputError(TradevizError, FileNotFoundError):
    """A file or directory a command needs is not there (e.g. build before charts)."""


class MissingExtraError(TradevizError, ImportError):
    """A command needs an optional extra that is not installed (`pip install 'tradeviz[x]'`)."""


class DataDirError(TradevizError):
    """The data directory cannot be used for what was asked (e.g. the demo would mix its
    synthetic snapshots into a directory holding real ones)."""


class HttpError(TradevizError):
    """A request failed for good (after retries, or with a status that is not retried)."""

    def __init__(self, message: str, status: int | None = None, body: bytes | None = None):
        super().__init__(message)
        self.status = status
        self.body = body  # the start of the error body, for callers that classify it


class AuthError(HttpError):
    """401/403 from an API: missing or invalid key."""


class QuotaExceededError(HttpError):
    """403 'Out of call volume quota': the daily quota is spent; stop for the day."""


class UrlTooLongError(HttpError):
    """414: the server refused the URL's length; the caller splits the query and retries."""


class RateLimitError(HttpError):
    """429 that kept coming back, or asked for a wait longer than we accept."""


class BadResponseError(TradevizError):
    """A 200 response whose body cannot be parsed (truncated, malformed)."""


class TruncatedResultError(TradevizError):
    """A query still hits the record cap after every possible split."""


class SnapshotError(TradevizError):
    """A raw snapshot is missing, corrupted or does not match its manifest line."""


class BuildError(TradevizError):
    """The build cannot produce a trustworthy table from the raw layer."""


class WorldLayerMissingError(TradevizError):
    """The processed store has no world layer at the HS level asked for (issue 19); the
    message names the fetch that provides it."""
