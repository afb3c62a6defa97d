"""Coverage: the instances of the scanned regions that the report does not watch. Pure.

The scan lists each region once without the tag filter (`KVStore.instances(region, ())`, every page of
50) and matches the tags itself (scan.collect); an instance is watched when the scan checked it or it
carries every INSTANCE_TAGS pair (as DescribeInstances' Tag.N filter selects). The rest are counted and named, never judged:
nobody asked this report to vouch for their backups.
"""
from __future__ import annotations

from typing import Iterable

from .model import ApiError, Coverage, Instance


def unwatched(region: str, listed: Iterable[Instance] | ApiError, tags: Iterable[tuple[str, str | None]],
              checked_ids: set[str]) -> Coverage:
    """The region's Coverage from its unfiltered listing (or the ApiError the listing failed with)."""
    if isinstance(listed, ApiError):
        return Coverage(region, error=listed)
    wanted = tuple(tags)
    others = [i for i in listed if i.instance_id not in checked_ids and not carries(i, wanted)]
    return Coverage(region, tuple(sorted(others, key=lambda i: (i.name, i.instance_id))))


def carries(instance: Instance, tags: tuple[tuple[str, str | None], ...]) -> bool:
    """Whether `instance` carries every `tags` pair (a key alone: any value), as DescribeInstances'
    Tag.N filter selects."""
    carried = set(instance.tags)
    keys = {k for k, _ in carried}
    return all((k in keys) if v is None else ((k, v) in carried) for k, v in tags)


MAX_LISTED = 1000  # unwatched instances the result names per region; `untagged` counts them all


def as_json(c: Coverage) -> dict:
    """The result's `coverage` entry: region, untagged count and the first MAX_LISTED instances (ID and
    name), or the error."""
    where = {"region": c.region, **({"account_id": c.account_id} if c.account_id else {})}
    if c.error is not None:
        return {**where, "error": str(c.error)}
    out = {**where, "untagged": len(c.unwatched),
           "instances": [{"instance_id": i.instance_id, "name": i.name} for i in c.unwatched[:MAX_LISTED]]}
    if len(c.unwatched) > MAX_LISTED:
        out["not_listed"] = len(c.unwatched) - MAX_LISTED
    return out
