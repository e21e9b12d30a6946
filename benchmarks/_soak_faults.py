"""The faults of the soak run, and the scheduler processes they strike."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

#: How long a killed process stays down before it is started again (seconds).
DOWN_TIME = (0.0, 3.0)


class Workers:
    """Scheduler processes on one file, each with an identity of its own."""

    def __init__(self, script: Path, path: Path, count: int, lease: float) -> None:
        self._script = script
        self._path = path
        self._lease = lease
        self.identities = [f"soak-{number}" for number in range(count)]
        self._processes: dict[str, subprocess.Popen[str]] = {}

    def start(self, identity: str) -> None:
        process = subprocess.Popen(
            [
                sys.executable,
                str(self._script),
                "--worker",
                str(self._path),
                identity,
                "--lease",
                str(self._lease),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None
        process.stdout.readline()  # "ready"
        self._processes[identity] = process

    def start_all(self) -> None:
        for identity in self.identities:
            self.start(identity)

    def kill(self, identity: str) -> None:
        process = self._processes.pop(identity)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self._processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self._processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self._processes.clear()

    def kill_all(self) -> None:
        for identity in list(self._processes):
            self.kill(identity)


class FaultInjector:
    """Strikes one random fault at a time, and counts them."""

    def __init__(
        self,
        path: Path,
        disk: Path | None,
        workers: Workers,
        rng: random.Random,
        *,
        lease: float,
    ) -> None:
        self._path = path
        self._disk = disk
        self._workers = workers
        self._rng = rng
        self._lease = lease
        self.counts: Counter[str] = Counter()
        self._faults = [
            self.hold_lock,
            self.restore_from_copy,
            self.replace_with_copy,
            self.kill_and_restart,
        ]
        if disk is not None:
            self._faults.append(self.fill_disk)

    def strike(self) -> None:
        fault = self._rng.choice(self._faults)
        fault()
        self.counts[fault.__name__] += 1

    def heal(self) -> None:
        """Leave nothing broken: every process up, the disk free."""
        for identity in self._workers.identities:
            if identity not in self._workers._processes:
                self._workers.start(identity)
        if self._disk is not None:
            (self._disk / "filler").unlink(missing_ok=True)

    def summary(self) -> str:
        return ", ".join(f"{name} ×{n}" for name, n in sorted(self.counts.items()))

    def hold_lock(self) -> None:
        """An outside connection holds the write lock, up to twice the lease."""
        connection = sqlite3.connect(self._path, timeout=30, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            time.sleep(self._rng.uniform(0.2, 2 * self._lease))
            connection.execute("ROLLBACK")
        finally:
            connection.close()

    def fill_disk(self) -> None:
        """No space left for a few seconds."""
        assert self._disk is not None
        filler = self._disk / "filler"
        with filler.open("wb", buffering=0) as file:
            try:
                while True:
                    file.write(b"\0" * 65536)
            except OSError:
                pass
        time.sleep(self._rng.uniform(0.5, 5.0))
        filler.unlink()

    def restore_from_copy(self) -> None:
        """Damage the file, then copy a backup over it in place, as ``cp`` does.

        The copy is taken under the write lock, which is held throughout, so it
        holds everything committed: what is tested is that the processes notice
        the damage and read the restored file, not a rollback of their work.
        """
        copy = self._path.with_suffix(".copy")
        connection = sqlite3.connect(self._path, timeout=30, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            # A second connection reads the snapshot that the lock keeps final.
            source, target = sqlite3.connect(self._path), sqlite3.connect(copy)
            source.backup(target)
            source.close()
            target.close()
            saved = copy.read_bytes()
            with self._path.open("r+b") as file:
                file.write(b"garbage!" * (len(saved) // 8))
            time.sleep(self._rng.uniform(0.1, 2.0))
            with self._path.open("r+b") as file:
                file.write(saved)
                file.truncate()
            connection.execute("ROLLBACK")
        finally:
            connection.close()
            copy.unlink(missing_ok=True)

    def replace_with_copy(self) -> None:
        """Swap a copy in for the file (``os.replace``), under the write lock."""
        copy = self._path.with_suffix(".copy")
        connection = sqlite3.connect(self._path, timeout=30, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            source, target = sqlite3.connect(self._path), sqlite3.connect(copy)
            source.backup(target)
            source.close()
            target.close()
            os.replace(copy, self._path)
            connection.execute("ROLLBACK")
        finally:
            connection.close()

    def kill_and_restart(self) -> None:
        """SIGKILL one process; start it again, with its identity, a moment later."""
        running = sorted(self._workers._processes)
        if not running:
            return
        identity = self._rng.choice(running)
        self._workers.kill(identity)
        time.sleep(self._rng.uniform(*DOWN_TIME))
        self._workers.start(identity)


def mount_tiny_disk(mount_point: Path, megabytes: int) -> tuple[Path | None, str]:
    """Mount a tmpfs of ``megabytes`` at ``mount_point`` (root only)."""
    mount_point.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "apsnb-soak",
         str(mount_point)],
        capture_output=True,
        text=True,
    )  # fmt: skip
    if mounted.returncode != 0 or os.geteuid() != 0:
        return None, f"no full-disk faults (mounting a tmpfs failed: {mounted.stderr})"
    return mount_point, ""


def unmount(mount_point: Path) -> None:
    subprocess.run(["umount", "-l", str(mount_point)], check=False)
