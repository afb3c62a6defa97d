"""What an SRE would write instead of the function: the same SDK, 16 threads, no pacing, no retries.

One DescribeInstances listing per region (pages of 50 until a short one), then per instance one
DescribeBackupPolicy and one DescribeBackups over the last day, and one line printed per instance:
its newest backup's status and time, or the error its calls met. Nothing else: no verdicts (a
cloud-native cluster, whose backups DescribeBackups does not list, reads "no backup"), no pacing,
no retries, no digest, no archive.

    REGIONS=cn-hangzhou,cn-shanghai INSTANCE_TAGS=backup-report=daily KVSTORE_ENDPOINT=… python bench/simple.py

bench/run.py runs it against the sandbox beside the function; with BENCH_FIGURES set it ends by writing
one JSON line of its own figures (wall from after its imports, CPU, peak RSS) to stderr.
"""
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from alibabacloud_r_kvstore20150101 import models
from alibabacloud_r_kvstore20150101.client import Client
from alibabacloud_tea_openapi import models as openapi
from darabonba.runtime import RuntimeOptions


def client(region):
    return Client(openapi.Config(
        access_key_id=os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        access_key_secret=os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        security_token=os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN") or None,
        region_id=region, endpoint=os.environ.get("KVSTORE_ENDPOINT") or None,
        protocol=os.environ.get("KVSTORE_PROTOCOL", "https")))


def list_instances(c, region, tag_key, tag_value):
    found, page = [], 1
    while True:
        request = models.DescribeInstancesRequest(
            region_id=region, page_size=50, page_number=page,
            tag=[models.DescribeInstancesRequestTag(key=tag_key, value=tag_value)])
        items = c.describe_instances_with_options(request, RUNTIME).body.instances.kvstore_instance or []
        found += [(region, i.instance_id, i.instance_name) for i in items]
        if len(items) < 50:
            return found
        page += 1


def check(clients, region, instance_id, name, start, end):
    c = clients[region]
    try:
        policy = c.describe_backup_policy_with_options(
            models.DescribeBackupPolicyRequest(instance_id=instance_id), RUNTIME).body
        body = c.describe_backups_with_options(models.DescribeBackupsRequest(
            instance_id=instance_id, start_time=start, end_time=end, page_size=100, page_number=1), RUNTIME).body
        backups = (body.backups.backup if body.backups else None) or []
        if not backups:
            return f"{region} {instance_id} {name}: no backup since {start} (policy {policy.preferred_backup_time})"
        newest = max(backups, key=lambda b: b.backup_start_time or "")
        return f"{region} {instance_id} {name}: {newest.backup_status} at {newest.backup_start_time}"
    except Exception as exc:  # an SRE's script: any failure is one line
        return f"{region} {instance_id} {name}: ERROR {getattr(exc, 'code', type(exc).__name__)}"


RUNTIME = RuntimeOptions(connect_timeout=5000, read_timeout=10000, max_idle_conns=16)


def main():
    started, cpu = time.perf_counter(), time.process_time()
    regions = os.environ["REGIONS"].split(",")
    tag_key, _, tag_value = os.environ["INSTANCE_TAGS"].partition("=")
    end = datetime.now(timezone.utc)
    if os.environ.get("BENCH_TRIGGER"):  # the sandbox's day
        end = datetime.fromisoformat(os.environ["BENCH_TRIGGER"].replace("Z", "+00:00"))
    start = (end - timedelta(days=1)).strftime("%Y-%m-%dT%H:%MZ")
    end_text = end.strftime("%Y-%m-%dT%H:%MZ")
    clients = {region: client(region) for region in regions}
    with ThreadPoolExecutor(16) as pool:
        listed = [i for found in pool.map(lambda r: list_instances(clients[r], r, tag_key, tag_value), regions)
                  for i in found]
        lines = list(pool.map(lambda i: check(clients, *i, start, end_text), listed))
    for line in lines:
        print(line)
    if os.environ.get("BENCH_FIGURES"):
        with open("/proc/self/status") as status:
            hwm = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024
        print(json.dumps({"wall_s": time.perf_counter() - started, "cpu_s": time.process_time() - cpu,
                          "peak_rss_mb": hwm, "instances": len(lines),
                          "errors": sum(": ERROR " in l for l in lines),
                          "no_backup": sum(": no backup since" in l for l in lines)}), file=sys.stderr)


if __name__ == "__main__":
    main()
