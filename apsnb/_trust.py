"""The trust rule: which code the contents of a store may make this process run.

A store is shared state that other people and processes write. What it names (a
task's function, a trigger's class, as ``"module:qualname"``) is therefore resolved
only when this process chose it:

- a task function the scheduler was given in this process (``add_schedule``,
  ``add_job``, ``configure_task``), or one in an allowed module;
- a trigger class already imported in this process, one of apsnb's own, or one in an
  allowed module.

Nothing else is imported: importing a module runs its code, so even a check such as
"is this a Trigger subclass?" must come after the decision, never before.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from ._exceptions import InvalidAllowedModule, TriggerStateError, UntrustedReference
from ._marshalling import resolve_reference

#: Allowed without being asked for: a whole notebook as a task.
DEFAULT_ALLOWED = ("apsnb.notebooks:run_notebook",)
#: The package of apsnb's own trigger classes, always readable.
OWN_TRIGGERS = "apsnb.triggers"

_NAME = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_ENTRY = re.compile(rf"{_NAME}(?::{_NAME})?")


class AllowList:
    """The modules (packages, single functions) whose code a store may name."""

    __slots__ = ("entries",)

    def __init__(self, entries: Iterable[str] | str = ()) -> None:
        if isinstance(entries, str):
            entries = (entries,)  # one module, not its letters
        checked = []
        for entry in entries:
            if not isinstance(entry, str) or not _ENTRY.fullmatch(entry):
                raise InvalidAllowedModule(entry)
            checked.append(entry)
        #: What the user allowed, in their order (the defaults are not listed).
        self.entries: tuple[str, ...] = tuple(checked)

    def __repr__(self) -> str:
        return f"AllowList({list(self.entries)!r})"

    def allows(self, reference: str) -> bool:
        """Whether ``"module:qualname"`` may be imported: its module (or a package
        above it) is allowed, or the reference itself is."""
        module = reference.partition(":")[0]
        for entry in (*DEFAULT_ALLOWED, *self.entries):
            if ":" in entry:
                if reference == entry:
                    return True
            elif module == entry or module.startswith(entry + "."):
                return True
        return False


#: The allow-list of the store being read, for trigger classes named deep inside a
#: trigger's state (``AndTrigger``'s children), where no argument can reach.
_reading: ContextVar[AllowList | None] = ContextVar("apsnb_allow_list", default=None)
_DEFAULTS_ONLY = AllowList()


@contextmanager
def reading_with(allowed: AllowList) -> Iterator[None]:
    """Resolve trigger classes named by what is read inside under ``allowed``."""
    token = _reading.set(allowed)
    try:
        yield
    finally:
        _reading.reset(token)


def trigger_class(reference: Any) -> type:
    """The :class:`~apsnb.abc.Trigger` subclass a stored ``"module:qualname"`` names.

    Decided before any import: an imported class is used as it is; a module is
    imported only if it is apsnb's own triggers or allowed.

    :raises UntrustedReference: if the class is neither imported nor allowed
    :raises TriggerStateError: if the reference is malformed, cannot be imported, or
        names something other than a Trigger subclass
    """
    from .abc import Trigger

    if not isinstance(reference, str):
        reference = repr(reference)
    module_name, colon, qualname = reference.partition(":")
    if not colon or not qualname or not re.fullmatch(_NAME, module_name):
        raise TriggerStateError(reference, "a trigger's type must be 'module:qualname'")
    imported = _imported_trigger(module_name, qualname, Trigger)
    if imported is not None:
        return imported
    own = module_name == OWN_TRIGGERS or module_name.startswith(OWN_TRIGGERS + ".")
    allowed = _reading.get() or _DEFAULTS_ONLY
    if not own and not allowed.allows(reference):
        raise UntrustedReference("trigger class", reference)
    try:
        target = resolve_reference(reference)
    except (ImportError, AttributeError) as exc:
        raise TriggerStateError(
            reference, f"the class cannot be imported ({exc}); is its module installed?"
        ) from exc
    if not (isinstance(target, type) and issubclass(target, Trigger)):
        raise TriggerStateError(reference, "it is not a Trigger subclass")
    return target


def _imported_trigger(module_name: str, qualname: str, base: type) -> type | None:
    """The Trigger subclass by this name that this process has imported, if any.

    Looked up in the module's namespace without ``getattr`` (a module's
    ``__getattr__`` may import more), then among the subclasses themselves, which
    also finds classes defined inside functions.
    """
    module = sys.modules.get(module_name)
    if module is not None:
        target: Any = module
        for part in qualname.split("."):
            namespace = getattr(target, "__dict__", None)
            target = None if namespace is None else namespace.get(part)
            if target is None:
                break
        if isinstance(target, type) and issubclass(target, base):
            return target
        if target is not None:  # found without importing anything: say what it is
            raise TriggerStateError(
                f"{module_name}:{qualname}", "it is not a Trigger subclass"
            )
    found = None
    pending = list(base.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls.__module__ == module_name and cls.__qualname__ == qualname:
            found = cls
        pending.extend(cls.__subclasses__())
    return found
