"""Local emulators of the trade APIs, for tests, benchmarks and offline trials.

They speak the recorded wire formats (bodies replayed from the corpus given by --corpus or
$TRADEVIZ_CORPUS_DIR, others written by tradeviz.formats) and label generated responses
synthetic (header X-Tradeviz-Synthetic: 1), so nothing they produce passes as real data.

Not needed at run time by any other command: werkzeug, which serves them, comes with the
optional extra `tradeviz[emulators]`.
"""

try:
    import werkzeug  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the install
    from tradeviz.errors import MissingExtraError

    raise MissingExtraError(
        "the API emulators need werkzeug, which is not installed; "
        "install it with: pip install 'tradeviz[emulators]'"
    ) from exc
