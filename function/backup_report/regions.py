"""REGIONS against `DescribeRegions`: a misspelled region is named, never read as "0 instances".

A region ID the API does not know reads, on a VPC endpoint or the sandbox, as a region without
instances; on the public endpoint the SDK sends it to a host that does not exist. Either way the
digest should say "check REGIONS". `DescribeRegions` is asked alongside the scan (one call a run),
and `reconcile` decides, from plain data, which regions to report.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from .model import ApiError, RegionFailure
from .spelling import did_you_mean

UNKNOWN = "UnknownRegion"
NOT_VERIFIED = "RegionNotVerified"


def reconcile(wanted: Iterable[str], offered: frozenset[str] | ApiError, found: Mapping[str, int],
              failures: Iterable[RegionFailure]) -> list[RegionFailure]:
    """The regions to report as not checked, unknown ones first.

    `wanted`: REGIONS; `offered`: the region IDs DescribeRegions listed, or the ApiError it failed
    with; `found`: instances found per region; `failures`: the scan's own region failures.
    - A region DescribeRegions does not list, where nothing was found, is `UnknownRegion` (its
      scan's own failure, e.g. a connection to a host that does not exist, is replaced), naming the
      listed region it most looks like (spelling.did_you_mean: cn-hangzou, cn-hangzhou?).
    - When DescribeRegions failed, a region where nothing was found and nothing failed cannot be
      told from a misspelled one: `RegionNotVerified`, naming the failure (an alert, so a role
      without `kvstore:DescribeRegions` is noticed, never a silent "0 instances").
    """
    failures = list(failures)
    failed = {f.region for f in failures}
    empty = [r for r in wanted if not found.get(r)]
    if isinstance(offered, ApiError):
        flagged = [RegionFailure(r, ApiError(NOT_VERIFIED, f"no instance found, and DescribeRegions failed "
                                             f"({offered}): check the region ID in REGIONS, and that the role "
                                             "may call kvstore:DescribeRegions", "DescribeRegions"))
                   for r in empty if r not in failed]
        return flagged + failures
    unknown = [r for r in empty if r not in offered]
    flagged = [RegionFailure(r, ApiError(UNKNOWN, "DescribeRegions does not list this region: check REGIONS "
                                         + (did_you_mean(r, sorted(offered)).strip() or "(e.g. cn-hangzhou, "
                                                                                      "ap-southeast-1)"),
                                         "DescribeRegions"))
               for r in unknown]
    return flagged + [f for f in failures if f.region not in unknown]
