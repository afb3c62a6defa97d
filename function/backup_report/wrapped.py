"""The exceptions an exception wraps, walked once: what the cloud edge and the webhooks' posts read a failure's
kind from (never its text)."""
from __future__ import annotations

from typing import Callable, Iterable, Iterator


def chain(exc: BaseException, links: Callable[[BaseException], Iterable[object]]) -> Iterator[BaseException]:
    """`exc` and every exception `links(e)` names of it and of those, breadth first, each once (a cycle of
    `__context__`s ends)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [x for x in links(e) if isinstance(x, BaseException)]
