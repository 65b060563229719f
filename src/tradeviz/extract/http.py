"""The one HTTP layer every source uses: rate limit, retries with back-off, typed errors.

Sources pass a `validate` callback so that a 200 whose body is truncated or malformed is
retried like a server error instead of being stored.

Bounded and safe by construction:
* every request has an overall deadline besides the per-read timeout (a server trickling a
  byte every few seconds cannot hold a fetch for ever) and a maximum body size;
* redirects are followed by hand, only to the same scheme, host and port: a redirect to
  another host is refused when the request carries a secret (the Comtrade key travels in a
  header, which requests would forward), and a secret is never put in a URL;
* every message built from a server answer, and the recorded URL, are scrubbed of secrets;
  a 200 body that echoes a secret is refused rather than stored.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import parse_qsl, quote, quote_plus, urljoin, urlsplit

import requests
import urllib3

from tradeviz import __version__
from tradeviz.errors import (
    AuthError,
    BadResponseError,
    HttpError,
    QuotaExceededError,
    RateLimitError,
)
from tradeviz.extract.v1_rows import InvalidRowsError

log = logging.getLogger(__name__)
T = TypeVar("T")

USER_AGENT = f"tradeviz/{__version__} (China-Central Asia trade analytics; python-requests)"
# Set by tradeviz's own emulators on generated responses, so their data is stored as
# synthetic and never passes for statistics.
SYNTHETIC_HEADER = "X-Tradeviz-Synthetic"
RETRY_STATUSES = frozenset({500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
DEFAULT_DEADLINE = 300.0  # seconds for one request, connection to last byte
DEFAULT_MAX_BYTES = 512 << 20
# Substring tests for secrets shorter than this would match ordinary text (test keys like
# "k"); real Comtrade keys are 32 characters.
MIN_SECRET_SUBSTRING = 8  # a keyed 100,000-row Comtrade answer is about 100 MB


class _TransferProblem(Exception):
    """A response that went over its deadline while being read (retried)."""


class _TooLarge(Exception):
    """A response over the size limit (not retried: it would be as large again)."""


class RateLimiter:
    """Spaces requests at least 1/rps seconds apart (client-side politeness)."""

    def __init__(
        self,
        rps: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.interval = 1.0 / rps
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            if now < self._next:
                self._sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


@dataclass
class Fetched:
    """A successful response: the exact bytes, the status and the parsed value.

    `body` is the buffer the response was read into (a bytearray, not copied to bytes:
    hashing, gzip, msgspec and `in` all take it as it is); treat it as read-only."""

    url: str
    status: int
    body: bytes | bytearray
    headers: Mapping[str, str]
    parsed: object = None
    attempts: int = 1

    @property
    def synthetic(self) -> bool:
        return self.headers.get(SYNTHETIC_HEADER, "").lower() in ("1", "true")


@dataclass
class HttpClient:
    """Requests session with one source's rate limit and retry policy."""

    source: str
    rps: float = 1.0
    timeout: float = 60.0
    max_retries: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    max_retry_after: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    secret_values: tuple[str, ...] = ()
    session: requests.Session = field(default_factory=requests.Session)
    calls: int = 0
    deadline: float = DEFAULT_DEADLINE
    max_bytes: int = DEFAULT_MAX_BYTES

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.rps, sleep=self.sleep)
        self.session.headers["User-Agent"] = USER_AGENT

    def get(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        validate: Callable[[bytes], T] | None = None,
    ) -> Fetched:
        """GET with retries; returns Fetched with `parsed` = validate(body) if given."""
        self._refuse_secret_in_url(url, params)
        last_problem = ""
        invalid = 0
        for attempt in range(1, self.max_retries + 2):
            self.limiter.wait()
            self.calls += 1
            try:
                resp, body = self._request(url, params, headers)
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
                _TransferProblem,
            ) as exc:
                last_problem = f"{type(exc).__name__}: {self._scrub(str(exc))}"
                self._backoff(attempt, last_problem)
                continue
            status = resp.status_code
            final_url = self._scrub(resp.url)
            if status == 200:
                self._refuse_echoed_secret(body, url)
                if validate is None:
                    return Fetched(final_url, status, body, dict(resp.headers), None, attempt)
                try:
                    parsed = validate(body)
                except InvalidRowsError as exc:
                    invalid += 1
                    if invalid > 1:  # the server gives the same bad rows: report, don't store
                        raise HttpError(
                            f"{self.source}: the answer to {final_url} has rows that fail the "
                            f"v1 types twice ({self._scrub(str(exc))}); not stored. Rerun "
                            "later, or leave this query out",
                            status,
                        ) from None
                    last_problem = f"bad rows ({self._scrub(str(exc))})"
                    self._backoff(attempt, last_problem)
                    continue
                except BadResponseError as exc:
                    last_problem = f"unreadable body ({self._scrub(str(exc))})"
                    self._backoff(attempt, last_problem)
                    continue
                return Fetched(final_url, status, body, dict(resp.headers), parsed, attempt)
            message = self._scrub(_error_message(body))
            if status == 429:
                wait = _retry_after(resp.headers.get("Retry-After"), message)
                if wait > self.max_retry_after:
                    raise RateLimitError(
                        f"{self.source}: rate limited, and the server asks to wait {wait:.0f}s; "
                        "try again later or lower the request rate",
                        status,
                    )
                last_problem = f"HTTP 429 ({message})"
                log.warning("%s: HTTP 429, waiting %.1fs as Retry-After says", self.source, wait)
                self.sleep(wait if wait > 0 else self._delay(attempt))
                continue
            if status in (401, 403):
                self._raise_auth(status, message)
            if status in RETRY_STATUSES:
                last_problem = f"HTTP {status} ({message})"
                self._backoff(attempt, last_problem)
                continue
            raise HttpError(
                f"{self.source}: HTTP {status} from {self._scrub(_path(url))}: {message}", status
            )
        raise HttpError(
            f"{self.source}: giving up after {self.max_retries + 1} attempts on "
            f"{self._scrub(_path(url))}; last problem: {last_problem}. Rerun the "
            "same command later: finished queries are kept and will not be fetched "
            "again."
        )

    def _request(
        self, url: str, params: Mapping[str, str] | None, headers: Mapping[str, str] | None
    ) -> tuple[requests.Response, bytearray]:
        """One request under the deadline and size limit, following same-host redirects."""
        start = time.monotonic()
        origin = _origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            resp = self.session.get(
                url,
                params=params,
                headers=headers,
                stream=True,
                allow_redirects=False,
                timeout=(min(self.timeout, self.deadline), min(self.timeout, self.deadline)),
            )
            try:
                if resp.status_code not in REDIRECT_STATUSES:
                    return resp, self._read_body(resp, start)
                target = urljoin(resp.url, resp.headers.get("Location", ""))
            except _TooLarge as exc:  # the same answer again would be as large: no retry
                raise HttpError(
                    f"{self.source}: {exc} from {self._scrub(_path(url))}; "
                    "refused. Ask for less at once (fewer periods or partners)"
                ) from None
            finally:
                resp.close()
            if _origin(target) != origin:
                if self._carries_secret(headers):
                    raise HttpError(
                        f"{self.source}: the server redirected to another host "
                        f"({urlsplit(target).hostname}); refused, because the request carries "
                        "the API key, which is sent only to the configured host. Check the "
                        "base URL (e.g. TRADEVIZ_COMTRADE_URL)",
                        resp.status_code,
                    )
                origin = _origin(target)
            url, params = target, None
        raise HttpError(
            f"{self.source}: more than {MAX_REDIRECTS} redirects from {self._scrub(_path(url))}"
        )

    def _read_body(self, resp: requests.Response, start: float) -> bytearray:
        """The body, read as it arrives, checked against the deadline and the size limit.

        Read into one buffer (preallocated when the Content-Length gives the size of the
        decoded body; else grown in place), and handed out as that buffer: a list of chunks
        then joined would hold the body twice at the end of every large answer."""
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise _TooLarge(
                f"a response of {int(declared):,} bytes, over the {self.max_bytes:,}-byte limit,"
            )
        exact = declared.isdigit() and resp.headers.get("Content-Encoding", "identity") in (
            "",
            "identity",
        )
        buf = bytearray(int(declared)) if exact else bytearray()
        view = memoryview(buf) if exact else None
        size = 0
        raw = resp.raw
        try:
            while True:
                if time.monotonic() - start > self.deadline:
                    raise _TransferProblem(
                        f"response not complete within the {self.deadline:g}s deadline"
                    )
                try:
                    chunk = raw.read1(1 << 16, decode_content=True)
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    raise _TransferProblem(f"{type(exc).__name__}: {exc}") from None
                if not chunk:
                    break
                end = size + len(chunk)
                if end > self.max_bytes:
                    raise _TooLarge(f"a response over the {self.max_bytes:,}-byte limit")
                if view is not None and end <= len(buf):
                    view[size:end] = chunk
                else:  # longer than declared (or no length): grow in place from here on
                    if view is not None:
                        view.release()
                        view = None
                        del buf[size:]
                    buf += chunk
                size = end
        finally:
            if view is not None:
                view.release()
        if exact and size < len(buf):
            del buf[size:]  # shorter than declared: urllib3 normally raises first
        if time.monotonic() - start > self.deadline:
            raise _TransferProblem(f"response not complete within the {self.deadline:g}s deadline")
        return buf

    def _carries_secret(self, headers: Mapping[str, str] | None) -> bool:
        values = [*(headers or {}).values(), *self.session.headers.values()]
        return any(s and s in str(v) for s in self.secret_values for v in values)

    def _refuse_secret_in_url(self, url: str, params: Mapping[str, str] | None) -> None:
        values = [str(v) for v in (params or {}).values()]
        values += [v for _, v in parse_qsl(urlsplit(url).query)]
        for secret in self.secret_values:
            if secret and any(
                v == secret or (len(secret) >= MIN_SECRET_SUBSTRING and secret in v) for v in values
            ):
                raise HttpError(
                    f"{self.source}: refusing to send the API key in a URL "
                    f"({self._scrub(_path(url))}); it travels only in a header"
                )

    def _refuse_echoed_secret(self, body: bytes, url: str) -> None:
        for secret in self.secret_values:
            if len(secret) >= MIN_SECRET_SUBSTRING and secret.encode() in body:
                raise HttpError(
                    f"{self.source}: the answer from {self._scrub(_path(url))} "
                    "contains the API key; refused, not stored"
                )

    def _raise_auth(self, status: int, message: str) -> None:
        low = message.lower()
        if "quota" in low:
            raise QuotaExceededError(
                f"{self.source}: daily call quota spent (HTTP {status}: {message}). Stop for "
                "today and rerun tomorrow; finished queries are kept.",
                status,
            )
        if "policy" in low:
            raise AuthError(
                f"{self.source}: the keyless preview is refused by the server (HTTP {status}: "
                f"{message}). Set COMTRADE_API_KEY to use the keyed endpoint.",
                status,
            )
        raise AuthError(
            f"{self.source}: access denied (HTTP {status}: {message}). Set a valid key in the "
            "environment (COMTRADE_API_KEY for UN Comtrade: a free key from "
            "comtradedeveloper.un.org), or unset it to use the keyless preview.",
            status,
        )

    def _delay(self, attempt: int) -> float:
        base = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return base * (0.5 + random.random() / 2)

    def _backoff(self, attempt: int, problem: str) -> None:
        if attempt > self.max_retries:
            return
        delay = self._delay(attempt)
        log.warning(
            "%s: %s; retry %d/%d in %.1fs", self.source, problem, attempt, self.max_retries, delay
        )
        self.sleep(delay)

    def _scrub(self, text: str) -> str:
        for secret in self.secret_values:
            if secret:
                for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
                    text = text.replace(form, "***")
        return text


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


def _path(url: str) -> str:
    return url.split("?", 1)[0]


def _error_message(body: bytes) -> str:
    text = body[:500].decode("utf-8", "replace").strip()
    match = re.search(r'"message"\s*:\s*"([^"]*)"', text)
    if match:
        return match.group(1)
    return text[:200] or "(empty body)"


def _retry_after(header: str | None, message: str) -> float:
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
    match = re.search(r"in (\d+) seconds?", message)
    return float(match.group(1)) if match else 0.0


def check_reachable(url: str, timeout: float = 5.0) -> None:
    """Fail fast, with the way out, when the API host cannot be reached at all."""
    import socket
    from urllib.parse import urlsplit

    from tradeviz.errors import TradevizError

    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise TradevizError(
            f"cannot reach {host}:{port} ({exc.__class__.__name__}: {exc}). No network? "
            "To try tradeviz offline, run `make demo` (or `tradeviz demo`): it builds every "
            "table, chart and notebook from synthetic data, labelled as such."
        ) from None
