"""The one Registry class behind formats, templates, providers, strategies and predictors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from labelloop.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Named things of one kind; unknown names fail with the list of known ones.

    Names are listed sorted, or in registration order with ``ordered=True`` where that order is
    part of what users read (a list of strategies from the plainest to the most elaborate).
    """

    def __init__(self, kind: str, *, ordered: bool = False) -> None:
        self.kind = kind
        self.ordered = ordered
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T | None = None) -> Callable[[T], T] | T:
        """``REG.register("x", obj)`` or as a decorator ``@REG.register("x")``."""
        if item is not None:
            self._add(name, item)
            return item

        def deco(obj: T) -> T:
            self._add(name, obj)
            return obj

        return deco

    def _add(self, name: str, item: T) -> None:
        if name in self._items and self._items[name] is not item:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = item

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(
                f"Unknown {self.kind} {name!r}; known: {', '.join(self.names()) or 'none'}."
            ) from None

    def names(self) -> list[str]:
        return list(self._items) if self.ordered else sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
