"""JupyterLab in a real browser for the widget tests: a server, Chromium, a notebook.

The server runs on 127.0.0.1 at a free port, without a token, with its config, data,
runtime, settings and workspace folders and its root folder in a temporary folder, so
nothing on the machine (or the developer's own Jupyter settings) changes what is
tested. The browser is Debian's Chromium driven by Playwright (Playwright's own
browser download is not needed).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("APSNB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: How long JupyterLab may take to answer after it starts, on a busy 2-core machine.
START_TIMEOUT = 60.0
HOW_TO = (
    "the browser tests need Chromium and Playwright: install Chromium "
    "(Debian/Ubuntu: apt-get install -y chromium; elsewhere set APSNB_CHROMIUM to "
    "a Chromium or Chrome binary) and the test extra (pip install -e '.[test]'); "
    "set APSNB_REQUIRE_BROWSER=1 to make these tests fail instead of skip"
)


def require_browser() -> None:
    """Skip (or fail, with ``APSNB_REQUIRE_BROWSER=1``) without a browser to drive."""
    missing = []
    if not Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is None:
        missing.append(f"no Chromium at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright is not installed")
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        missing.append("JupyterLab is not installed")
    if not missing:
        return
    message = f"{'; '.join(missing)}: {HOW_TO}"
    if os.environ.get("APSNB_REQUIRE_BROWSER") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# JupyterLab's settings for the test: no news or update check (they would reach the
# network and pop up a notification), no restore of a previous layout.
_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


class Lab:
    """A JupyterLab server on 127.0.0.1 with its own folders under ``base``."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.root = base / "root"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = base / "jupyterlab.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        folders = {
            name: self.base / name
            for name in ("config", "data", "runtime", "ipython", "settings", "work")
        }
        for folder in [self.root, *folders.values()]:
            folder.mkdir(parents=True, exist_ok=True)
        for name, values in _SETTINGS.items():
            path = folders["settings"] / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        environ = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(folders["config"]),
            "JUPYTER_DATA_DIR": str(folders["data"]),
            "JUPYTER_RUNTIME_DIR": str(folders["runtime"]),
            "IPYTHONDIR": str(folders["ipython"]),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(REPO), os.environ.get("PYTHONPATH")])
            ),
        }
        command = [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.terminals_enabled=False",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            f"--ServerApp.root_dir={self.root}",
            f"--LabApp.user_settings_dir={folders['settings']}",
            f"--LabApp.workspaces_dir={folders['work']}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=",
        ]  # fmt: skip
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, env=environ, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited: {self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"JupyterLab did not answer in time: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._log.close()

    def write_notebook(self, name: str, cells: list[str]) -> str:
        """Write a notebook of code cells into the root; return its URL."""
        notebook = {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "id": f"cell{number}",
                    "metadata": {},
                    "outputs": [],
                    "source": source,
                }
                for number, source in enumerate(cells)
            ],
            "metadata": {
                "kernelspec": {
                    "display_name": "Python 3",
                    "language": "python",
                    "name": "python3",
                }
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (self.root / name).write_text(json.dumps(notebook))
        return f"{self.url}/lab/tree/{name}"


@contextmanager
def running_lab(base: Path) -> Iterator[Lab]:
    lab = Lab(base)
    try:
        lab.start()
        yield lab
    finally:
        lab.stop()


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
