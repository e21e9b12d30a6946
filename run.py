"""Set up a virtual environment and run the tour or the test suite.

    python3 run.py demo    # the guided tour: fire times of a few triggers, printed and plotted
    python3 run.py test    # the whole test suite (unit, property, differential, notebooks)

Both create ``.venv`` beside this file on first use and reinstall only when
``pyproject.toml`` changes. Extra arguments after ``test`` go to pytest.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
EXTRAS = {"demo": "lab", "test": "test"}


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def ensure_environment(extra: str) -> Path:
    python = venv_python()
    if not python.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{extra}-{digest}"
    if not stamp.exists():
        print(f"installing apsnb[{extra}] into {VENV}", flush=True)
        pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "install", "-e", f"{ROOT}[{extra}]"], check=True)
        stamp.touch()
    return python


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    python = str(ensure_environment(EXTRAS[command]))
    if command == "demo":
        return subprocess.run([python, "-m", "apsnb", *rest], cwd=ROOT).returncode
    sources = ["apsnb", "tests", "benchmarks"]
    lint = subprocess.run([python, "-m", "ruff", "check", *sources], cwd=ROOT)
    layout = subprocess.run(
        [python, "-m", "ruff", "format", "--check", *sources], cwd=ROOT
    )
    tests = subprocess.run([python, "-m", "pytest", *rest], cwd=ROOT)
    return lint.returncode or layout.returncode or tests.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
