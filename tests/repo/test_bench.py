"""The benchmark's own arithmetic (bench/): the emulated quota window, the floor, the API's minimum of calls
and the README's summary block. No timing is measured or asserted here: a virtual clock and made-up calls."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from bench import fleet
from bench.quota import WindowQuota
from bench.run import SUMMARY_END, SUMMARY_START, Case, floor_terms, summary, write_readme


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_window_admits_its_calls_at_once_then_one_for_each_that_leaves_it():
    clock = Clock()
    window = WindowQuota({"DescribeBackups": (3, 60.0)}, clock=clock)
    assert [window.admit("DescribeBackups", "cn-hangzhou") for _ in range(4)] == [True, True, True, False]
    assert window.admit("DescribeBackups", "cn-shanghai")  # each region its own window
    assert window.admit("DescribeRegions", None)  # an API not named is not limited
    clock.now = 59.9
    assert not window.admit("DescribeBackups", "cn-hangzhou")
    clock.now = 60.0  # the first three leave the window together
    assert [window.admit("DescribeBackups", "cn-hangzhou") for _ in range(4)] == [True, True, True, False]
    assert window.refused == 3  # refused calls are not counted against the window


@dataclass
class Call:
    action: str
    params: dict
    code: str = "OK"


class Scenario:
    def __init__(self, regions: dict[str, str]):
        self.regions = regions

    def instance(self, instance_id: str):
        region = self.regions.get(instance_id)
        return type("I", (), {"region": region})() if region else None


def test_the_floor_is_the_largest_of_its_terms_and_names_the_binding_window():
    # 600 DescribeBackupPolicy calls in one region at 200/60 s: 400 beyond the window's first 200, at 3.33/s.
    case = Case("x", "x", 600, regions=1, latency_ms=50, concurrency=16, qps=50, quotas="published")
    calls = [Call("DescribeBackupPolicy", {"InstanceId": f"r-{k}"}) for k in range(600)]
    calls += [Call("DescribeBackupPolicy", {"InstanceId": "r-0"}, "Throttling.User")]  # not counted by the quota
    calls += [Call("DescribeInstances", {"RegionId": "cn-hangzhou"}) for _ in range(13)]
    scenario = Scenario({f"r-{k}": "cn-hangzhou" for k in range(600)})
    got = floor_terms(case, calls, scenario, cpu_s=2.0)
    assert got["terms"]["quota"] == pytest.approx(120.0)
    assert got["terms"]["latency"] == pytest.approx(614 * 0.05 / 16)
    assert got["terms"]["api_qps"] == pytest.approx(614 / 50)
    assert got["terms"]["cpu"] == 2.0
    assert got["floor_s"] == pytest.approx(120.0) and got["bound_by"] == "quota"
    assert got["quota_binding"].startswith("DescribeBackupPolicy in cn-hangzhou: 600 calls")


def test_the_scaled_quota_keeps_the_window_calls_and_shortens_its_seconds():
    assert Case("x", "x", 1).staged()["DescribeBackupPolicy"] == (200, 6.0)
    assert Case("x", "x", 1, quotas="published").staged()["DescribeBackups"] == (200, 60.0)
    assert Case("x", "x", 1, quotas="lifted").staged() == {}


def test_the_minimum_counts_one_backup_read_an_instance_a_classic_clusters_topology_and_the_pages():
    specs = fleet.instances(100, regions=1, healthy=True)
    classic = sum(1 for s in specs if s.get("architecture") == "cluster" and "node_type" not in s)
    assert classic == 4  # every 25th; the cloud-native ones (every 25th from the 13th) need no topology
    # 100 backup reads, 4 topologies, pages 50 + 50 + the short one, DescribeRegions
    assert fleet.minimum_calls(specs) == 100 + 4 + 3 + 1
    spread = fleet.instances(1000, healthy=True)
    pages = sum(n // 50 + 1 for n in (500, 250, 125, 125))
    assert fleet.minimum_calls(spread) == 1000 + 40 + pages + 1
    assert not any("latest" in s for s in spread) and any("latest" in s for s in fleet.instances(1000))


def test_the_summary_goes_between_the_markers_and_nothing_else_changes(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nbefore\n{SUMMARY_START}\nold table\n{SUMMARY_END}\nafter\n", encoding="utf-8")
    lines = [{"measure": "2 calls ÷ minimum", "case": "calls, archive day 2 (1,000 instances, healthy)",
              "figure": "1,200 ÷ 1,064", "ratio": 1.128, "target": 1.15, "unit": "×", "holds": True},
             {"measure": "2 calls ÷ minimum", "case": "calls, no archive", "figure": "2,000 ÷ 1,064",
              "ratio": 1.9, "target": None, "unit": "×", "holds": None}]
    write_readme(summary(lines, 480.0), readme)
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# x\n\nbefore\n") and text.endswith(f"{SUMMARY_END}\nafter\n")
    assert "old table" not in text and "| 2 calls ÷ minimum, calls, archive day 2 | 1.13× | ≤ 1.15× | yes |" in text
    assert "no archive" not in text  # rows without a target stay in bench/RESULTS.md


def test_the_summary_names_a_wall_case_by_its_instances_regions_and_quota():
    case = Case("wall-1k", "wall, 1,000 instances", 1_000, regions=1).describe()
    line = {"measure": "1 wall ÷ floor", "case": case, "figure": "27.2 s ÷ 24.0 s", "ratio": 1.13, "target": 1.2,
            "unit": "×", "holds": True}
    assert "| 1 wall ÷ floor, 1,000 instances, 1 region, 200/6 s (10× the rate) | 1.13× | ≤ 1.2× | yes |" \
        in summary([line], 60.0)
