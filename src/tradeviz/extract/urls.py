"""What a base URL, a redirect target and an API key may hold before any request is made.

Pure checks shared by the settings (config.py) and the HTTP layer: each returns the
problem as a phrase (never echoing a key), or None when the value is fine.
* URLs: http or https only (a `file://` or `ftp://` target is refused, not followed), a
  host, a port in 1-65535, and no `user:password@` part: credentials in a URL would be
  written to the manifest and sent as Basic auth;
* keys: printable ASCII without spaces (a Comtrade key is 32 hex digits); a newline or a
  non-Latin-1 character would otherwise reach a header, an error or a log whole.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

SCHEMES = ("http", "https")


def url_problem(url: str) -> str | None:
    """Why `url` cannot be requested, or None."""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return "it holds a space or a control character"
    parts = urlsplit(url)
    if "://" not in url and parts.scheme.lower() not in ("file", "ftp", "data", "mailto"):
        return "it has no scheme (write it as https://host)"
    if parts.scheme.lower() not in SCHEMES:
        return f"its scheme is {parts.scheme}:// (only http:// and https:// are used)"
    if not parts.netloc:
        return "it has no host (write it as https://host)"
    if "@" in parts.netloc:
        return "it holds credentials (user:password@); API keys travel only in a header"
    try:
        port = parts.port
    except ValueError:
        return "its port is not a number between 1 and 65535"
    if port == 0:
        return "its port is not a number between 1 and 65535"
    if not parts.hostname:
        return "it has no host"
    return None


def strip_userinfo(url: str) -> str:
    """`url` without any user:password@ part (for what is stored or printed)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def key_problem(key: str) -> str | None:
    """Why `key` cannot be an API key (never quoting it), or None."""
    for i, ch in enumerate(key):
        if not (33 <= ord(ch) <= 126):
            what = "a newline" if ch in "\r\n" else "a space or control character"
            if ord(ch) > 126:
                what = "a character outside printable ASCII"
            return f"it holds {what} at position {i + 1}"
    return None
