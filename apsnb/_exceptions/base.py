"""The base of every apsnb error, and the wording their messages share."""

from __future__ import annotations

__all__ = ("ApsnbError", "with_article")


class ApsnbError(Exception):
    """Base class of every error apsnb raises on purpose."""


def with_article(noun: str) -> str:
    """``an int``, ``a str``: the noun with its indefinite article."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
