"""`make lab` (scripts/lab.py): the jupyter command line gets --allow-root when run as root,
as containers run, and only then; the environment's bin/ goes first on PATH."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def lab():
    spec = importlib.util.spec_from_file_location("lab_script", REPO / "scripts" / "lab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_root_gets_allow_root_and_others_do_not(lab):
    bin_dir = Path("/x/.venv/bin")
    as_root = lab.lab_command(bin_dir, 0)
    assert as_root == ["/x/.venv/bin/jupyter", "lab", "--notebook-dir=notebooks", "--allow-root"]
    assert "--allow-root" not in lab.lab_command(bin_dir, 1000)
    assert lab.lab_command(bin_dir, 1000, ["--no-browser"])[-1] == "--no-browser"


def test_main_execs_jupyter_with_the_venv_first_on_path(lab, monkeypatch):
    seen = {}
    monkeypatch.setattr(lab.os, "getuid", lambda: 0)
    monkeypatch.setattr(lab.os, "execve", lambda path, args, env: seen.update(a=args, env=env))
    monkeypatch.setenv("PATH", "/usr/bin")
    lab.main(["--port=0"])
    bin_dir = Path(lab.sys.executable).absolute().parent
    assert seen["a"] == [
        str(bin_dir / "jupyter"),
        "lab",
        "--notebook-dir=notebooks",
        "--allow-root",
        "--port=0",
    ]
    assert seen["env"]["PATH"] == f"{bin_dir}:/usr/bin"


def test_the_makefile_lab_target_runs_the_script():
    text = (REPO / "Makefile").read_text()
    recipe = re.search(r"^lab: .*\n\t(.+)$", text, re.M)
    assert recipe and recipe.group(1).endswith("python scripts/lab.py")
