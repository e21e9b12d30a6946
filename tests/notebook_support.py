"""Tiny notebooks for the tests of notebooks as tasks: each runs in well under a
second once its kernel is up."""

from __future__ import annotations

from pathlib import Path

import nbformat

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def write_notebook(path: Path, *cells: str, parameters: str | None = None) -> Path:
    """A notebook of code ``cells``, after a cell tagged ``parameters`` if given."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = KERNELSPEC
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        notebook.cells.append(cell)
    notebook.cells.extend(nbformat.v4.new_code_cell(source) for source in cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def report_notebook(folder: Path) -> Path:
    """Prints its parameters, the fire time and its working folder."""
    return write_notebook(
        folder / "report.ipynb",
        "import os\nprint(f'report for {city} at {scheduled_fire_time} in {os.getcwd()}')",
        parameters='city = "nowhere"\nscheduled_fire_time = None',
    )


def failing_notebook(folder: Path) -> Path:
    return write_notebook(
        folder / "failing.ipynb",
        "rows = 3",
        "average = 10 / (rows - 3)",
        "print('unreached')",
    )


def sleeping_notebook(folder: Path, pid_file: Path) -> Path:
    """Writes its kernel's pid to ``pid_file``, then sleeps for a minute."""
    return write_notebook(
        folder / "sleeping.ipynb",
        f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))",
        "time.sleep(60)",
    )


def dying_notebook(folder: Path) -> Path:
    return write_notebook(
        folder / "dying.ipynb", "import os\nos._exit(1)", "print('unreached')"
    )


def outputs(path: Path) -> str:
    """Every text output of an executed notebook, and its error outputs' values."""
    notebook = nbformat.read(path, as_version=4)
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            if output.get("output_type") == "error":
                texts.append(f"{output['ename']}: {output['evalue']}")
    return "".join(texts)


def sources(path: Path) -> str:
    return "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)
