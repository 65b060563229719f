"""Serve a WSGI emulator on 127.0.0.1 in a background thread (werkzeug's dev server)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from werkzeug.serving import make_server  # the package __init__ says which extra has it

from tradeviz import config


def find_corpus(explicit: Path | None = None) -> Path:
    """The recorded responses: `explicit` (--corpus), else $TRADEVIZ_CORPUS_DIR; no default
    inside the package (tests' conftest points the variable at ../shared/corpus)."""
    return config.corpus_dir(explicit)


class ServedApp:
    """A running emulator: `.url` is its base URL; use as a context manager."""

    def __init__(self, app: Callable, host: str = "127.0.0.1", port: int = 0, quiet: bool = True):
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
