"""Job ids: random version 4 UUIDs that no seeding or forking makes repeat."""

from __future__ import annotations

import os
import pickle
import random
import uuid

import pytest

from apsnb._ids import new_job_id
from apsnb._structures import Job


def test_a_job_id_is_a_version_4_uuid_like_any_other() -> None:
    job_id = Job(task_id="t").id
    assert job_id.version == 4
    assert job_id.variant == uuid.RFC_4122
    same = uuid.UUID(str(job_id))
    assert job_id == same
    assert hash(job_id) == hash(same)
    assert pickle.loads(pickle.dumps(job_id)) == job_id
    assert repr(job_id) == repr(same)


def test_job_ids_do_not_repeat() -> None:
    ids = {new_job_id() for _ in range(100_000)}
    assert len(ids) == 100_000


def test_seeding_the_random_module_does_not_repeat_job_ids() -> None:
    # Two kernels that both run random.seed(42) must not make the same job ids.
    random.seed(42)
    first = [new_job_id() for _ in range(3)]
    random.seed(42)
    second = [new_job_id() for _ in range(3)]
    assert not set(first) & set(second)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_makes_other_ids_than_its_parent() -> None:
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next ids, then leave at once
        try:
            os.write(writing, "".join(new_job_id().hex for _ in range(3)).encode())
        finally:
            os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as pipe:
        child = pipe.read()
    os.waitpid(pid, 0)
    parent = "".join(new_job_id().hex for _ in range(3))
    assert len(child) == len(parent) == 96
    assert {child[i : i + 32] for i in range(0, 96, 32)}.isdisjoint(
        parent[i : i + 32] for i in range(0, 96, 32)
    )
