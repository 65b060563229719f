"""`make lab`: JupyterLab on notebooks/ with this project's environment as the kernel.

Run with the environment's Python (`.venv/bin/python scripts/lab.py`): its bin/ goes first
on PATH, so the kernel and `jupyter` are the project's. As root (uid 0, how containers
run) Jupyter refuses to start ("Running as root is not recommended") unless given
--allow-root, which is added then. Extra arguments go to `jupyter lab` as they are."""

from __future__ import annotations

import os
import sys
from pathlib import Path

NOTEBOOK_DIR = "notebooks"


def lab_command(bin_dir: Path, uid: int, extra: list[str] | None = None) -> list[str]:
    """The `jupyter lab` command line for a user id: --allow-root for root only."""
    cmd = [str(bin_dir / "jupyter"), "lab", f"--notebook-dir={NOTEBOOK_DIR}"]
    if uid == 0:
        cmd.append("--allow-root")
    return cmd + list(extra or [])


def lab_env(bin_dir: Path, environ: dict[str, str]) -> dict[str, str]:
    """The environment with `bin_dir` first on PATH."""
    path = environ.get("PATH", "")
    return {**environ, "PATH": f"{bin_dir}{os.pathsep}{path}" if path else str(bin_dir)}


def main(argv: list[str] | None = None) -> None:
    bin_dir = Path(sys.executable).absolute().parent
    cmd = lab_command(bin_dir, os.getuid(), sys.argv[1:] if argv is None else argv)
    os.execve(cmd[0], cmd, lab_env(bin_dir, dict(os.environ)))


if __name__ == "__main__":
    main()
