"""Serve a WSGI emulator on 127.0.0.1 in a background thread (werkzeug's dev server)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from werkzeug.serving import make_server


def find_corpus() -> Path:
    """The recorded responses: $TRADEVIZ_CORPUS_DIR, else ../shared/corpus beside the repo."""
    env = os.environ.get("TRADEVIZ_CORPUS_DIR")
    candidates = [Path(env)] if env else []
    repo = Path(__file__).resolve().parents[3]
    candidates += [repo.parent / "shared" / "corpus", Path.cwd().parent / "shared" / "corpus"]
    for cand in candidates:
        if (cand / "comtrade").is_dir():
            return cand
    raise FileNotFoundError(
        "recorded API responses not found (looked in "
        + ", ".join(str(c) for c in candidates)
        + "); set TRADEVIZ_CORPUS_DIR to the shared corpus folder")


class ServedApp:
    """A running emulator: `.url` is its base URL; use as a context manager."""

    def __init__(self, app: Callable, host: str = "127.0.0.1", port: int = 0,
                 quiet: bool = True):
        if quiet:
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.server = make_server(host, port, app, threaded=True)
        self.url = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ServedApp:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)

    def serve_forever(self) -> None:
        self.server.serve_forever()
