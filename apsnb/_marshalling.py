"""Naming functions by import path, so that a stored task can find its function again."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from importlib import import_module
from typing import Any

from ._exceptions import DeserializationError


def callable_to_ref(func: Callable[..., Any]) -> str | None:
    """Return ``"module:qualname"`` for a function another process can import.

    Returns ``None`` for what only this process can call: lambdas, nested functions,
    functions defined in a notebook or script (``__main__``), partials and other
    callable objects.
    """
    if isinstance(func, partial) or not (
        inspect.isfunction(func) or inspect.isbuiltin(func) or inspect.ismethod(func)
    ):
        return None
    if inspect.ismethod(func):
        owner = func.__self__
        if not inspect.isclass(owner):
            return None  # a method bound to an instance has no import path
        module, qualname = owner.__module__, f"{owner.__qualname__}.{func.__name__}"
    else:
        module = getattr(func, "__module__", None) or ""
        qualname = getattr(func, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname:
        return None
    return f"{module}:{qualname}"


def resolve_reference(ref: str) -> Any:
    """Import what ``"module:qualname"`` names (a function, a class), where it is
    defined.

    The name must lead to the thing in the module that defines it: a qualname that
    passes through another module (``"mypkg:os.system"``, where ``mypkg`` imported
    ``os``) or ends at something defined elsewhere is refused, so that allowing a
    module never allows what that module happens to import.

    :raises ImportError: if the module cannot be imported
    :raises AttributeError: if the module has no such name, or it is not defined there
    """
    module_name, _, qualname = ref.partition(":")
    target: Any = import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
        if inspect.ismodule(target):
            raise AttributeError(
                f"{ref!r} leads to the module {target.__name__!r}, which "
                f"{module_name!r} imported; name a function or class in the module "
                "that defines it"
            )
    defined_in = getattr(target, "__module__", None)
    if isinstance(defined_in, str) and defined_in != module_name:
        raise AttributeError(
            f"{ref!r} is defined in {defined_in!r}, not {module_name!r}; name it "
            f"where it is defined"
        )
    return target


def callable_from_ref(ref: str) -> Callable[..., Any]:
    """Import the function named by :func:`callable_to_ref`."""
    module_name, _, qualname = ref.partition(":")
    if not module_name or not qualname:
        raise DeserializationError(f"function {ref!r}", "expected 'module:qualname'")
    try:
        target = resolve_reference(ref)
    except (ImportError, AttributeError) as exc:
        raise DeserializationError(
            f"function {ref!r}", f"it cannot be imported here ({exc})"
        ) from exc
    if not callable(target):
        raise DeserializationError(f"function {ref!r}", "it is not callable")
    return target
