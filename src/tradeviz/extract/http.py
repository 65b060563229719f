"""The one HTTP layer every source uses: rate limit, retries with back-off, typed errors.

Sources pass a `validate` callback so that a 200 whose body is truncated or malformed is
retried like a server error instead of being stored.

Bounded and safe by construction:
* every request has an overall deadline besides the per-read timeout, enforced on the
  socket (a server trickling its headers or body a byte every few seconds cannot hold a
  fetch for ever), and a maximum body size; the body buffer grows as bytes arrive (a
  lying Content-Length reserves nothing);
* only http(s) URLs with a host, a valid port and no credentials are requested, redirect
  targets included (a 302 to `file://` is refused in one line);
* redirects are followed by hand, only to the same scheme, host and port: a redirect to
  another host is refused when the request carries a secret (the Comtrade key travels in a
  header, which requests would forward), and a secret is never put in a URL;
* every message built from a server answer, and the recorded URL, are scrubbed of secrets
  and credentials, and an error body is shown as one sanitised, length-capped line (no
  terminal escapes, no second line that could pass for our own `error:`); a 200 body that
  echoes a secret is refused rather than stored;
* quota and rate answers: `Retry-After` is read as seconds or an HTTP date, and a 403
  "Out of call volume quota ... replenished in HH:MM:SS" waits when the wait is short
  (`max_quota_wait`), else stops with the time the quota returns; a 414 (URL too long)
  is a typed error the caller splits on, never retried as it is.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import parse_qsl, quote, quote_plus, urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from tradeviz import __version__
from tradeviz.config import DEFAULT_QUOTA_WAIT, check_rate
from tradeviz.errors import (
    AuthError,
    BadResponseError,
    ConfigError,
    HttpError,
    QuotaExceededError,
    RateLimitError,
    UrlTooLongError,
)
from tradeviz.extract.urls import key_problem, strip_userinfo, url_problem
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
MIN_SECRET_SUBSTRING = 8
MESSAGE_CHARS = 200  # an error body is shown as one line of at most this many characters
QUOTA_WAITS = 3  # quota waits one request may make before it stops


class _TransferProblem(Exception):
    """A response that went over its deadline while being read (retried)."""


class _TooLarge(Exception):
    """A response over the size limit (not retried: it would be as large again)."""


# -- the overall deadline, on the socket ------------------------------------------------
# Each connection registers its socket with the request running on its thread; a timer
# shuts those sockets down when the request's deadline passes, so a read blocked on a
# trickle of header bytes (each within the per-read timeout) ends at the deadline.
_watch = threading.local()


class _Watched:
    """Mixin for urllib3 connections: register the socket with the current request."""

    def _register(self) -> None:
        socks = getattr(_watch, "socks", None)
        sock = getattr(self, "sock", None)
        if socks is not None and sock is not None:
            socks.append(sock)

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self._register()

    def request(self, *args, **kwargs):  # a reused connection does not connect again
        self._register()
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _DeadlineAdapter(HTTPAdapter):
    """requests' adapter with connections whose sockets the deadline timer can reach."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class _Deadline:
    """Context: sockets opened or used on this thread inside it are shut down at `at`."""

    def __init__(self, seconds: float):
        self.socks: list[socket.socket] = []
        self.fired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        for sock in list(self.socks):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Deadline:
        _watch.socks = self.socks
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _watch.socks = None


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

    max_quota_wait: float = DEFAULT_QUOTA_WAIT

    def __post_init__(self) -> None:
        check_rate(f"{self.source} request rate", self.rps)
        if not (math.isfinite(self.deadline) and self.deadline > 0):
            raise ConfigError(f"{self.source}: the request deadline must be a positive number")
        for secret in self.secret_values:
            if secret and (problem := key_problem(secret)):
                raise ConfigError(f"{self.source}: the API key is not usable: {problem}")
        self.limiter = RateLimiter(self.rps, sleep=self.sleep)
        self.session.headers["User-Agent"] = USER_AGENT
        adapter = _DeadlineAdapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def get(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        validate: Callable[[bytes], T] | None = None,
    ) -> Fetched:
        """GET with retries; returns Fetched with `parsed` = validate(body) if given."""
        self._refuse_bad_url(url)
        self._refuse_secret_in_url(url, params)
        last_problem = ""
        invalid = [0]
        quota_waits = 0
        attempt = 0
        while attempt <= self.max_retries:
            attempt += 1
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
                last_problem = f"{type(exc).__name__}: {sanitize(self._scrub(str(exc)))}"
                self._backoff(attempt, last_problem)
                continue
            if resp.status_code == 200:
                got = self._accept(resp, body, url, attempt, validate, invalid)
                if isinstance(got, Fetched):
                    return got
                last_problem = got
                self._backoff(attempt, last_problem)
                continue
            last_problem, waited = self._on_error(resp, body, url, attempt, quota_waits)
            if waited:  # a quota wait is not a failed attempt
                quota_waits += 1
                attempt -= 1
        raise HttpError(
            f"{self.source}: giving up after {self.max_retries + 1} attempts on "
            f"{self._scrub(_path(url))}; last problem: {last_problem}. Rerun the "
            "same command later: finished queries are kept and will not be fetched "
            "again."
        )

    def _accept(
        self,
        resp: requests.Response,
        body: bytearray,
        url: str,
        attempt: int,
        validate: Callable[[bytes], T] | None,
        invalid: list[int],
    ) -> Fetched | str:
        """A 200: the Fetched to return, or the problem to retry on (a body that does not
        validate)."""
        status = resp.status_code
        final_url = self._scrub(strip_userinfo(resp.url))
        self._refuse_echoed_secret(body, url)
        if validate is None:
            return Fetched(final_url, status, body, dict(resp.headers), None, attempt)
        try:
            parsed = validate(body)
        except InvalidRowsError as exc:
            invalid[0] += 1
            if invalid[0] > 1:  # the server gives the same bad rows: report, don't store
                raise HttpError(
                    f"{self.source}: the answer to {final_url} has rows that fail the "
                    f"v1 types twice ({self._scrub(str(exc))}); not stored. Rerun "
                    "later, or leave this query out",
                    status,
                ) from None
            return f"bad rows ({self._scrub(str(exc))})"
        except BadResponseError as exc:
            return f"unreadable body ({self._scrub(str(exc))})"
        return Fetched(final_url, status, body, dict(resp.headers), parsed, attempt)

    def _on_error(
        self, resp: requests.Response, body: bytearray, url: str, attempt: int, quota_waits: int
    ) -> tuple[str, bool]:
        """A non-200 answer: raise the typed error it stands for, or wait as it asks and
        return (the problem, whether the wait was for a call quota)."""
        status = resp.status_code
        message = sanitize(self._scrub(_error_message(body)))
        if status == 414:
            raise UrlTooLongError(
                f"{self.source}: HTTP 414 (URL too long, {len(resp.url or url)} "
                f"characters) from {self._scrub(_path(url))}: {message}",
                status,
            )
        if status == 403 and "quota" in message.lower():
            wait = retry_after(resp.headers.get("Retry-After"), message)
            if wait is None or wait > self.max_quota_wait or quota_waits >= QUOTA_WAITS:
                raise QuotaExceededError(_quota_stop(self.source, status, message, wait), status)
            log.warning("%s: call quota spent; it returns in %.0fs, waiting", self.source, wait)
            self.sleep(wait)
            return f"HTTP 403 ({message})", True
        if status == 429:
            wait = retry_after(resp.headers.get("Retry-After"), message) or 0.0
            if wait > self.max_retry_after:
                raise RateLimitError(
                    f"{self.source}: rate limited, and the server asks to wait {wait:.0f}s; "
                    "try again later or lower the request rate",
                    status,
                )
            log.warning("%s: HTTP 429, waiting %.1fs as Retry-After says", self.source, wait)
            self.sleep(wait if wait > 0 else self._delay(attempt))
            return f"HTTP 429 ({message})", False
        if status in (401, 403):
            self._raise_auth(status, message)
        if status in RETRY_STATUSES:
            problem = f"HTTP {status} ({message})"
            self._backoff(attempt, problem)
            return problem, False
        raise HttpError(
            f"{self.source}: HTTP {status} from {self._scrub(_path(url))}: {message}",
            status,
            body=bytes(body[:4096]),
        )

    def _request(
        self, url: str, params: Mapping[str, str] | None, headers: Mapping[str, str] | None
    ) -> tuple[requests.Response, bytearray]:
        """One request under the deadline and size limit, following same-host redirects."""
        start = time.monotonic()
        with _Deadline(self.deadline) as watch:
            try:
                return self._follow(url, params, headers, start)
            except (
                requests.exceptions.InvalidURL,
                requests.exceptions.InvalidSchema,
                requests.exceptions.MissingSchema,
                urllib3.exceptions.LocationParseError,
            ) as exc:
                raise HttpError(
                    f"{self.source}: cannot request {self._scrub(_path(url))}: "
                    f"{sanitize(self._scrub(str(exc)))}"
                ) from None
            except (
                requests.ConnectionError,
                urllib3.exceptions.HTTPError,
                OSError,
                _TransferProblem,
            ):
                if watch.fired:
                    raise _TransferProblem(
                        f"response not complete within the {self.deadline:g}s deadline"
                    ) from None
                raise

    def _follow(
        self,
        url: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        start: float,
    ) -> tuple[requests.Response, bytearray]:
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
            if problem := url_problem(target):
                raise HttpError(
                    f"{self.source}: the server redirected to a URL that is not followed "
                    f"({problem}); refused. Check the base URL",
                    resp.status_code,
                )
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

        Read into one buffer, grown in place as bytes arrive and handed out as that buffer
        (a list of chunks then joined would hold the body twice at the end of every large
        answer). A Content-Length is only believed for refusing what is over the limit: a
        server declaring 500 MB and sending nothing reserves nothing."""
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise _TooLarge(
                f"a response of {int(declared):,} bytes, over the {self.max_bytes:,}-byte limit,"
            )
        buf = bytearray()
        raw = resp.raw
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
            if len(buf) + len(chunk) > self.max_bytes:
                raise _TooLarge(f"a response over the {self.max_bytes:,}-byte limit")
            buf += chunk
        if time.monotonic() - start > self.deadline:
            raise _TransferProblem(f"response not complete within the {self.deadline:g}s deadline")
        return buf

    def _carries_secret(self, headers: Mapping[str, str] | None) -> bool:
        values = [*(headers or {}).values(), *self.session.headers.values()]
        return any(s and s in str(v) for s in self.secret_values for v in values)

    def _refuse_bad_url(self, url: str) -> None:
        problem = url_problem(url)
        if problem:
            shown = sanitize(self._scrub(strip_userinfo(_path(url))), 120)
            raise HttpError(f"{self.source}: cannot request {shown}: {problem}")

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
        text = re.sub(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/@\s]*@", r"\1", text)  # user:pass@
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


def sanitize(text: str, limit: int = MESSAGE_CHARS) -> str:
    """`text` as one printable line of at most `limit` characters: terminal escape
    sequences and control characters removed, HTML tags dropped, whitespace (newlines
    included) collapsed, so a server's body can neither redraw the terminal nor print a
    line of its own that passes for ours."""
    text = re.sub(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)?|\x1b.", "", text)
    text = re.sub(r"<[^>]{0,200}>", " ", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


def _error_message(body: bytes) -> str:
    text = bytes(body[:2000]).decode("utf-8", "replace").strip()
    for field_name in ("message", "errorMessage", "error"):
        match = re.search(rf'"{field_name}"\s*:\s*"((?:[^"\\]|\\.)*)"', text)
        if match and match.group(1).strip():
            return sanitize(match.group(1))
    return sanitize(text) or "(empty body)"


def retry_after(header: str | None, message: str, now: datetime | None = None) -> float | None:
    """Seconds to wait, from a Retry-After header (seconds or an HTTP date, RFC 9110) or
    the message ("Try again in 2 seconds", "replenished in HH:MM:SS"); None if neither
    says."""
    if header and header.strip():
        value = header.strip()
        try:
            seconds = float(value)
            if math.isfinite(seconds):
                return max(0.0, seconds)
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                now = now or datetime.now(UTC)
                return max(0.0, (when - now).total_seconds())
    match = re.search(r"in (\d+) seconds?", message)
    if match:
        return float(match.group(1))
    match = re.search(r"replenished in (\d+):(\d\d):(\d\d)", message)
    if match:
        h, m, sec = (int(x) for x in match.groups())
        return float(h * 3600 + m * 60 + sec)
    return None


def _quota_stop(source: str, status: int, message: str, wait: float | None) -> str:
    """The one line a spent quota ends a fetch with: when it returns, and that a rerun
    resumes."""
    if wait is None:
        when = "the server does not say when it returns (the free tier's is daily)"
    else:
        at = datetime.now(UTC) + timedelta(seconds=wait)
        hours, rest = divmod(int(wait), 3600)
        when = f"it returns at {at:%Y-%m-%d %H:%M} UTC (in {hours}h{rest // 60:02d}m)"
    return (
        f"{source}: call quota spent (HTTP {status}: {message}); {when}. Rerun the same "
        "command then: finished queries are kept and the fetch resumes where it stopped"
    )


def check_reachable(url: str, timeout: float = 5.0) -> None:
    """Fail fast, with the way out, when the API host cannot be reached at all."""
    from tradeviz.errors import TradevizError

    problem = url_problem(url)
    if problem:
        shown = sanitize(strip_userinfo(url), 120)
        raise TradevizError(f"cannot use {shown} as an API address: {problem}")
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise TradevizError(
            f"cannot reach {host}:{port} ({exc.__class__.__name__}: {sanitize(str(exc))}). "
            "No network? "
            "To try tradeviz offline, run `make demo` (or `tradeviz demo`): it builds every "
            "table, chart and notebook from synthetic data, labelled as such."
        ) from None
