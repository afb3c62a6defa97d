"""The benchmark's own arithmetic (bench/): the emulated quota window, the floor, the API's minimum of calls,
docs/performance.md's summary block, and the many-accounts case's floors, costs and synthesized pieces. No timing is measured or asserted here: a virtual clock and made-up calls."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from bench import accounts, fleet
from bench.quota import WindowQuota
from bench.run import SUMMARY_END, SUMMARY_START, Case, floor_terms, summary, write_readme
from fakes import Clock


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
    account: str = ""


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


# --- bench/accounts.py: the many-accounts case's arithmetic (issue 25) ----------------------------------------

def test_a_sliding_window_lets_its_calls_go_at_once_then_a_window_later():
    assert accounts.window_floor(0, 200, 60.0) == 0.0
    assert accounts.window_floor(200, 200, 60.0) == 0.0
    assert accounts.window_floor(201, 200, 60.0) == 60.0
    assert accounts.window_floor(250, 200, 60.0) == 60.0  # not 50 calls ÷ 3.3 a second: the window holds 200
    assert accounts.window_floor(600, 200, 60.0) == 120.0  # run.floor_terms' figure for the published case


def test_a_pieces_floor_is_its_accounts_worst_window_or_a_larger_term():
    quotas = {"DescribeBackupPolicy": (200, 60.0), "DescribeBackups": (200, 60.0)}
    windows = {"cn-hangzhou DescribeBackupPolicy": 250, "cn-shanghai DescribeBackupPolicy": 125,
               "cn-hangzhou DescribeBackups": 200, "cn-hangzhou DescribeRegions": 1}
    got = accounts.piece_floor(windows, quotas, cpu_s=3.0, latency_s=0.05, concurrency=16, qps=50)
    assert got["terms"] == pytest.approx({"quota": 60.0, "latency": 576 * 0.05 / 16, "api_qps": 576 / 50, "cpu": 3.0})
    assert got["floor_s"] == 60.0 and got["bound_by"] == "quota" and got["calls"] == 576
    assert got["binding"] == "DescribeBackupPolicy in cn-hangzhou: 250 calls at 200/60 s"
    slow = accounts.piece_floor(windows, quotas, cpu_s=90.0, latency_s=0.05, concurrency=16, qps=50)
    assert slow["floor_s"] == 90.0 and slow["bound_by"] == "cpu"


def test_the_fan_out_floor_runs_the_pieces_in_waves_of_the_reserved_concurrency():
    assert accounts.CAP == 10
    assert accounts.fanout_floor([60.0] * 20) == 120.0
    assert accounts.fanout_floor([60.0] * 200) == 1200.0
    assert accounts.fanout_floor([60.0] * 5) == 60.0
    assert accounts.fanout_floor([300.0] + [10.0] * 9) == 300.0  # the longest piece
    assert accounts.fanout_floor([30.0] * 10 + [1.0] * 90) == pytest.approx(39.0)  # their sum over 10 slots
    assert accounts.fanout_floor([]) == 0.0
    assert accounts.waves(200) == 20 and accounts.waves(21) == 3


def test_pieces_past_the_event_age_of_waves_expire():
    # Waves of 10 every 85.5 s: waves starting at 0, 85.5, … up to 42 × 85.5 = 3,591 s are within 3,600 s.
    assert accounts.expiring_after(85.5) == 430
    assert accounts.expiring_after(3600.0) == 20 and accounts.expiring_after(0.0) == 0


def test_the_cost_of_a_day_is_its_invocations_and_seconds_at_readmes_cu_prices():
    assert accounts.memory_mb_for(1295.5) == 1344 and accounts.memory_mb_for(76) == 128
    assert accounts.memory_mb_for(256) == 256
    # docs/deploy.md section 9: 256 MB, 0.25 vCPU, 0.5 GB of disk: "about 0.31 CU … for each second"
    assert accounts.cu_per_second(256) == pytest.approx(0.25 * 0.15 + 0.25 + 0.5 * 0.05) == pytest.approx(0.3125)
    got = accounts.day_cost({"pieces": (2, 10.0, 3), "collect": (1, 4.0, 30)}, 256)
    assert got["invocations"] == 3 and got["seconds"] == 24.0 and got["oss_requests"] == 36
    assert got["cu"] == pytest.approx(3 * 75 / 10_000 + 24.0 * 0.3125)
    assert got["usd"] == pytest.approx(got["cu"] * 0.000020) and got["cny"] == pytest.approx(36 * 0.01 / 10_000)


def test_a_days_parts_grow_the_pieces_and_the_start_with_the_accounts():
    piece = {"wall_s": 70.0, "import_s": 1.0}
    run = {"pieces": [piece, {**piece, "wall_s": 80.0}, {**piece, "wall_s": 75.0}, {**piece, "wall_s": 60.0}],
           "start": {"wall_s": 2.0, "import_s": 0.5}, "collect_timer": {"wall_s": 0.2, "import_s": 0.5, "oss": {"LIST": 4}},
           "oss": {"start": {"PUT": 1}, "pieces": {"GET": 4, "LIST": 4, "PUT": 4}}}
    alone = {"wall_s": 26.0, "import_s": 0.5, "oss": {"GET": 201, "LIST": 11, "PUT": 5}}
    parts = accounts.day_parts(run, alone, 200)
    assert parts == {"start": (1, 0.5 + 2.0 * 50, 1), "pieces": (200, 73.5, 3.0), "collect": (1, 26.5, 217),
                     "collect timer": (96, 0.7, 4)}


def test_oss_requests_are_told_apart_by_when_they_came():
    seen = [(1.0, "PUT", "m.json"), (5.0, "GET", "m.json"), (6.0, "GET", "?list"), (9.0, "PUT", "claim")]
    assert accounts.oss_by_part(seen, pieces_from=2.0, collect_from=9.0) == {
        "start": {"PUT": 1}, "pieces": {"GET": 1, "LIST": 1}, "collect": {"PUT": 1}}


def test_each_accounts_calls_are_counted_in_its_own_windows():
    calls = [Call("DescribeBackups", {"InstanceId": "r-a"}, account="2"),
             Call("DescribeRegions", {"RegionId": "cn-beijing"}, account="2"),
             Call("DescribeBackups", {"InstanceId": "r-a"}, "Throttling.User", "2"),  # not let into the window
             Call("DescribeBackups", {"InstanceId": "r-b"}, account="3")]

    class Fleets:
        def fleet(self, account):
            return Scenario({"r-a": "cn-hangzhou", "r-b": "cn-shanghai"})

    got = accounts.calls_by_window(calls, Fleets())
    assert got == {"2": {("cn-hangzhou", "DescribeBackups"): 1, ("cn-beijing", "DescribeRegions"): 1},
                   "3": {("cn-shanghai", "DescribeBackups"): 1}}


def test_an_invocation_is_told_by_its_event():
    assert accounts.kind_of(b'{"piece": {"run": "r1", "index": 0}}') == "piece"
    assert accounts.kind_of(b'{"collect": {"run": "r1"}}') == "collect"
    assert accounts.kind_of(accounts.timer_event("collect", "2026-12-03T00:00:00Z")) == "collect-timer"
    assert accounts.kind_of(accounts.timer_event("daily", fleet.ANCHOR)) == "start"


def sampled_run(members: int = 2) -> dict[str, bytes]:
    """A sampled run's manifest and piece results, as a piece writes them (the fields the collect reads)."""
    day, run = "runs/2026/12/03", "r20261203134000abcdef01"
    pieces = [{"index": n, "account": {"account_id": accounts.account_id(n), "name": f"team-{n:03d}" if n else
                                        "this function's account", "status": "CreateSuccess" if n else ""}}
              for n in range(members + 1)]
    manifest = {"run": run, "day": "2026-12-03", "trigger_name": "daily", "trigger_time": "2026-11-28T01:00:00+00:00",
                "payload": "{}", "created": "2026-12-03T13:40:00+00:00", "deadline": "2026-12-03T14:20:00+00:00",
                "function": "redis-backup-report", "qualifier": "LATEST", "pieces": pieces}
    out = {f"p/{day}/manifests/daily/{run}.json": json.dumps(manifest).encode()}
    for n in range(members + 1):
        owner = accounts.account_id(n)
        checked = [{"instance": {"instance_id": f"{accounts.prefix(n)}{k:05d}", "name": f"cache-{k:05d}",
                                 "region": "cn-hangzhou", "account_id": owner},
                    "verdict": {"kind": "ok", "detail": "fine"}} for k in range(3)]
        piece = {"run": run, "index": n, "account_id": owner, "coverage": [],
                 "findings": {"window": {"start": "2026-11-27T01:00:00+00:00", "end": "2026-11-28T01:00:00+00:00"},
                              "checked": checked}}
        out[f"p/{day}/pieces/daily/{run}/{n}.json"] = json.dumps(piece).encode()
    return out


def test_synthesized_pieces_are_each_an_account_of_their_own_that_the_collect_accepts():
    from backup_report.fanout import manifest as mf

    bucket, event = accounts.synthesized(sampled_run(), 7)
    run = event["collect"]["run"]
    assert mf.RUN_ID.fullmatch(run) and run != "r20261203134000abcdef01"
    assert event["collect"]["day"] == "2026-12-03" and event["collect"]["trigger"] == "daily"
    m = mf.load_manifest(bucket[f"p/runs/2026/12/03/manifests/daily/{run}.json"].body, run)
    assert [p.account.account_id for p in m.pieces] == [accounts.account_id(i) for i in range(7)]
    assert len(bucket) == 8
    ids = set()
    for i in range(7):
        piece = mf.load_piece(bucket[f"p/runs/2026/12/03/pieces/daily/{run}/{i}.json"].body, m, i)
        got = [c.instance.instance_id for c in piece.findings.checked]
        assert got == [f"{accounts.prefix(i)}{k:05d}" for k in range(3)]
        ids.update(got)
    assert len(ids) == 21  # every instance once across the accounts
