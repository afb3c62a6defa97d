"""regions.reconcile: a region DescribeRegions does not list is named, with the listed one it most looks like."""
from __future__ import annotations

from backup_report import regions
from backup_report.model import ApiError

OFFERED = frozenset({"cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1"})


def test_a_misspelled_region_is_unknown_and_names_the_region_meant():
    [failure] = regions.reconcile(["cn-hangzhou", "cn-hangzou"], OFFERED, {"cn-hangzhou": 3}, [])
    assert failure.region == "cn-hangzou" and failure.error.code == regions.UNKNOWN
    assert failure.error.message == "DescribeRegions does not list this region: check REGIONS (did you mean " \
                                    "cn-hangzhou?)"


def test_a_region_like_none_listed_is_named_with_the_form_instead():
    [failure] = regions.reconcile(["mars-north-1"], OFFERED, {}, [])
    assert failure.error.message.endswith("check REGIONS (e.g. cn-hangzhou, ap-southeast-1)")


def test_without_describe_regions_nothing_is_guessed():
    [failure] = regions.reconcile(["cn-hangzou"], ApiError("Forbidden.RAM", "no", "DescribeRegions"), {}, [])
    assert failure.error.code == regions.NOT_VERIFIED and "did you mean" not in failure.error.message
