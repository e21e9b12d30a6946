"""Run notebooks from top to bottom and store their outputs, which nbval then checks.

    .venv/bin/python notebooks/refresh.py                    # every notebook here
    .venv/bin/python notebooks/refresh.py notebooks/01-*.ipynb

The test suite (``pytest``, with ``--nbval`` in pyproject.toml) runs each notebook
again and fails when a cell's output differs from the stored one. After changing a
notebook, or code whose output a notebook shows, run this and review the diff.

Only what changes on every run is left out: cell timings and the widget state (random
model ids, and a copy of every widget's value). Execution counts stay, numbered from 1.

For a notebook whose outputs are the same on every run: start its times at fixed
instants (never "now"), start it with ``%matplotlib inline`` (images are not compared,
but a GUI backend must not be picked), and tag a cell ``nbval-ignore-output`` only when
its output cannot be the same (a widget's view, a timing, a memory address).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def refresh(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=600,
        record_timing=False,
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)


def main(arguments: list[str]) -> int:
    paths = [Path(name) for name in arguments] or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        print(f"running {path}", flush=True)
        refresh(path.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
