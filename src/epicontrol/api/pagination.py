"""The envelope of every list answer: ``items``, ``total``, ``limit``, ``offset``."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

from ..domains.users.schemas import UtcDateTime

__all__ = ["Paged", "UtcDateTime"]

T = TypeVar("T")


class Paged(BaseModel, Generic[T]):
    """One page of a list and the total count of matching rows."""

    items: list[T]
    total: int
    limit: int
    offset: int
