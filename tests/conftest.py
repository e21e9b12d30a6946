"""Test-suite settings shared by every test module."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Their checks run from several test modules: plain asserts there say what differed.
pytest.register_assert_rewrite("tests.process_checks")

# In CI every run explores the same examples, so a red build is reproducible; on a
# developer's machine hypothesis keeps exploring new ones.
settings.register_profile("ci", derandomize=True, deadline=None, database=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio, the loop a Jupyter kernel runs."""
    return "asyncio"
