"""Exceptions that carry a message a user can act on (what went wrong, and what to do)."""


class TradevizError(Exception):
    """Base class: every error the CLI reports without a traceback."""


class HttpError(TradevizError):
    """A request failed for good (after retries, or with a status that is not retried)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class AuthError(HttpError):
    """401/403 from an API: missing or invalid key."""


class QuotaExceededError(HttpError):
    """403 'Out of call volume quota': the daily quota is spent; stop for the day."""


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
