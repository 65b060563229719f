"""The wheel, installed outside the repository, works as a new user would run it: the demo,
the published-figures check, the tag rules and the notebooks, all from package data.

The wheel is built from a copy of the sources in a temporary directory and installed with
`pip --no-deps` into a fresh virtual environment there; third-party dependencies come from
this environment's site-packages through a .pth file added after the install (so nothing
is downloaded, and tradeviz itself can only come from the wheel). Every command runs from a
working directory outside the repository, with no TRADEVIZ_* variable set."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

SHIPPED = (
    "tradeviz/data/published_totals.csv",
    "tradeviz/data/focus_rules.yaml",
    "tradeviz/data/events.yaml",
    "tradeviz/data/countries.csv",
    "tradeviz/notebooks/01_overview.ipynb",
)


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 600) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (
        f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    """(venv bin dir, environment, working dir outside the repo)."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src-copy"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, src / name)
    shutil.copytree(
        REPO / "src",
        src / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "kernel-ipc-*"),
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TRADEVIZ_") and k not in ("VIRTUAL_ENV", "PYTHONPATH")
    }
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(root / "dist"),
            str(src),
        ],
        cwd=root,
        env=env,
    )
    wheel = next((root / "dist").glob("tradeviz-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(SHIPPED) <= names, set(SHIPPED) - names
    assert not any(n.startswith(("tests/", "bench/")) for n in names)

    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root, env=env)
    py = venv / "bin" / "python"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            str(wheel),
        ],
        cwd=root,
        env=env,
    )
    # Third-party packages from this environment, visible after tradeviz is installed.
    site = Path(
        _run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=root,
            env=env,
        ).strip()
    )
    (site / "zz_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # Their data files too (nbconvert's HTML templates live under <prefix>/share/jupyter).
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    work = root / "work"
    work.mkdir()
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    where = _run([str(py), "-c", "import tradeviz; print(tradeviz.__file__)"], cwd=work, env=env)
    assert where.startswith(str(venv)), where  # the wheel, not the checkout
    return venv / "bin", env, work


def test_wheel_runs_demo_check_tags_and_notebooks(installed):
    bin_dir, env, work = installed
    tv = str(bin_dir / "tradeviz")
    out = _run([tv, "demo", "--no-notebooks"], cwd=work, env=env)
    assert "SYNTHETIC demo data" in out
    assert (work / "demo-data" / "processed" / "_partitions.json").exists()  # ./demo-data
    assert any((work / "demo-exports" / "charts").glob("*.png"))
    # the closing line names the report's front page, which exists
    assert out.rstrip().splitlines()[-1].startswith("open demo-exports/report/index.html")
    assert (work / "demo-exports" / "report" / "index.html").is_file()

    out = _run([tv, "--data-dir", "demo-data", "check"], cwd=work, env=env)
    # published figures shipped in the wheel, read and compared
    assert "published" in out and re.search(r"\bpass\b", out, re.IGNORECASE), out

    out = _run([tv, "tags", "explain", "271121"], cwd=work, env=env)
    assert "energy" in out

    out = _run(
        [tv, "--data-dir", "demo-data", "notebooks", "--out", "nb"], cwd=work, env=env, timeout=900
    )
    assert len(list((work / "nb").glob("*.html"))) >= 7

    out = _run([str(bin_dir / "python"), "-m", "tradeviz", "--version"], cwd=work, env=env)
    assert "tradeviz" in out


def test_wheel_emulate_needs_an_explicit_corpus(installed):
    bin_dir, env, work = installed
    proc = subprocess.run(
        [str(bin_dir / "tradeviz"), "emulate", "imf", "--port", "0"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "TRADEVIZ_CORPUS_DIR" in proc.stderr and "Traceback" not in proc.stderr
