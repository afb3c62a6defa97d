"""One region's DescribeInstances listing, page by page, and its consistency checks, each named.

Pages are read until a short one: TotalCount is only cross-checked, never trusted to stop early. An
instance is kept only when it carries every tag asked for (whatever the API does with several tags, the
report never widens beyond INSTANCE_TAGS), and listed again it is kept once. What is odd about the answer is
said, never left out: the run reports the region (code InconsistentAnswer) after checking what was listed.
The checks:
- `contradicting_tags`: an entry the API gave for the tags whose Tags contradict them (not checked);
- `listed_twice`: an instance on a page twice, or on two pages;
- `repeated_page`: a page that brings nothing new (the listing stops there);
- `total_disagrees`: the pages' count is not the TotalCount.
"""
from __future__ import annotations

from ..model import ApiError, Instance


class Listing:
    """The state of one listing asked for `tags` (() for every instance)."""

    def __init__(self, tags: tuple[tuple[str, str | None], ...]):
        self.tags = tags
        self.found: dict[str, Instance] = {}
        self.seen: set[str] = set()  # every ID listed, tagged or not: what tells a repeated page
        self.listed = 0
        self.total: object = None
        self.odd: list[str] = []

    @property
    def instances(self) -> list[Instance]:
        return list(self.found.values())

    def page(self, number: int, read: list[tuple[Instance, object]], total: object,
             size: int) -> tuple[list[Instance], bool]:
        """Page `number` (answers.instance pairs, the answer's TotalCount, the page size asked): its new
        instances, and whether another page is to be read."""
        self.total = total
        self.listed += len(read)
        from .answers import has_tags

        tagged = [(i, has_tags(item, self.tags)) for i, item in read]
        self.contradicting_tags(tagged)
        new = self.listed_twice([i.instance_id for i, _ in read], number)
        fresh = list({i.instance_id: i for i, carries in tagged if carries and i.instance_id not in self.found}.values())
        self.found.update((i.instance_id, i) for i in fresh)
        if len(read) < size:
            return fresh, False
        return fresh, not self.repeated_page(new, number)

    def contradicting_tags(self, tagged: list[tuple[Instance, bool]]) -> None:
        contradicting = sorted({i.instance_id for i, carries in tagged if not carries} - self.seen)
        if contradicting:
            self.odd.append(f"DescribeInstances returned {len(contradicting)} instance(s) whose Tags do not carry "
                            f"the tags asked for ({', '.join(contradicting[:3])}): not checked")

    def listed_twice(self, ids: list[str], number: int) -> set[str]:
        """The page's IDs not seen before (all of them noted as seen)."""
        new = set(ids) - self.seen
        if len(set(ids)) < len(ids) or 0 < len(new) < len(set(ids)):
            self.odd.append(f"DescribeInstances listed an instance more than once (page {number})")
        self.seen |= new
        return new

    def repeated_page(self, new: set[str], number: int) -> bool:
        if new:
            return False
        self.odd.append(f"DescribeInstances page {number} repeated earlier instances: listing stopped there")
        return True

    def total_disagrees(self) -> None:
        total = self.total
        if not isinstance(total, int) or isinstance(total, bool) or total != self.listed:
            self.odd.append(f"DescribeInstances listed {self.listed} instances on its pages but its TotalCount says "
                            f"{total}")

    def inconsistent(self) -> ApiError | None:
        """The listing's odd answers as one ApiError (code InconsistentAnswer), or None."""
        self.total_disagrees()
        if not self.odd:
            return None
        return ApiError("InconsistentAnswer", "; ".join(dict.fromkeys(self.odd)) +
                        f" ({len(self.found)} instances checked)", "DescribeInstances")

    def over_limit(self, refused: int, limit: int) -> ApiError:
        """The run's limit reached: `refused` of the last page's new instances not taken."""
        taken = len(self.found) - refused
        total = self.total
        rest = f"{total - taken:,} of {total:,}" if isinstance(total, int) and total > taken else "the rest of"
        return ApiError("OverLimit", f"{rest} instances not checked: over the run's limit of {limit:,} instances "
                                     f"({taken:,} checked here)", "DescribeInstances")
