"""Job ids: random (version 4) UUIDs, made for a scheduler that makes one per fire time.

``uuid.uuid4()`` asks the operating system for 16 bytes each time, a system call
that costs more than the rest of making a job. The bits come from a generator of
this module's own instead, seeded by the operating system once per process:

- its own, so that a notebook's ``random.seed(42)`` cannot make two kernels (or two
  runs of one) hand out the same ids to a store they share;
- seeded again in a forked child, which would otherwise go on from its parent's
  state and repeat the ids its parent makes.

The ids are unique, not secret: nothing in apsnb uses a job id as a password.
"""

from __future__ import annotations

import os
import random
from uuid import UUID, SafeUUID

_generator = random.Random()  # seeded from os.urandom
os.register_at_fork(after_in_child=_generator.seed)

# The six fixed bits of a version 4 UUID: the version (0100) and the variant (10).
_KEEP = ~((0xF000 << 64) | (0xC000 << 48))
_SET = (0x4000 << 64) | (0x8000 << 48)

_new = object.__new__
_set = object.__setattr__  # UUID refuses assignment; its constructor sets these two


def new_job_id() -> UUID:
    """A random version 4 UUID, equal in every way to one from ``uuid.uuid4()``."""
    job_id = _new(UUID)
    _set(job_id, "int", _generator.getrandbits(128) & _KEEP | _SET)
    _set(job_id, "is_safe", SafeUUID.unknown)
    return job_id
