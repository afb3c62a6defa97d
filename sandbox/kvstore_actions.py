"""The R-KVStore (2015-01-01) actions the function calls, answered from a scenario.

Each action takes the request's parameters (strings, as sent) and returns the answer's body
without `RequestId`, or raises `ApiError`. Validation follows the public API reference; the
DescribeBackups rules are those of its reference page,
https://help.aliyun.com/document_detail/473823.html (English:
https://www.alibabacloud.com/help/en/redis/developer-reference/api-r-kvstore-2015-01-01-describebackups-redis):
StartTime/EndTime as yyyy-MM-ddTHH:mmZ in UTC, EndTime later than StartTime, PageSize one of
30, 50, 100, 200, 300, PageNumber above 0.
"""
from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone

from .apierror import ApiError, invalid, missing
from .fleet import Backup, Instance, Scenario, Task
from .kvstore_restore import TAG_KEY, Clones, RestoreActions, instance_class

# LocalName and zones as DescribeRegions answers them; other regions get a plausible default.
REGIONS = {
    "cn-hangzhou": ("华东1（杭州）", "cn-hangzhou-h,cn-hangzhou-i,cn-hangzhou-j,cn-hangzhou-k"),
    "cn-shanghai": ("华东2（上海）", "cn-shanghai-e,cn-shanghai-f,cn-shanghai-g,cn-shanghai-l"),
    "cn-beijing": ("华北2（北京）", "cn-beijing-g,cn-beijing-h,cn-beijing-i,cn-beijing-k"),
    "cn-shenzhen": ("华南1（深圳）", "cn-shenzhen-c,cn-shenzhen-d,cn-shenzhen-e"),
}
# Region IDs of Alibaba Cloud's public regions, a stand-in for the account's DescribeRegions answer
# (which lists every region the account may use; "Regions and zones" in the Alibaba Cloud docs).
# Plus the regions of the scenario's fleet, so a test's instances are always in a listed region.
PUBLIC_REGIONS = (
    "cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu", "cn-hangzhou",
    "cn-shanghai", "cn-nanjing", "cn-fuzhou", "cn-shenzhen", "cn-heyuan", "cn-guangzhou", "cn-chengdu",
    "cn-hongkong", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-3",
    "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "us-east-1", "us-west-1", "eu-west-1",
    "eu-central-1", "me-east-1", "me-central-1",
)
MINUTE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z")
BACKUP_PAGE_SIZES = (30, 50, 100, 200, 300)
MAX_TAGS = 5
# DescribeClusterBackupList: the reference gives no PageSize range (30 is its example); this bound is
# the sandbox's own, so that a caller cannot ask for everything at once unnoticed.
CLUSTER_BACKUP_PAGE_SIZES = range(1, 101)
# DescribeBackupTasks' TaskAction: TempBackupTask = manual, NormalBackupTask = automatic
# (models/_describe_backup_tasks_response_body.py).
TASK_ACTIONS = {"Manual": "TempBackupTask", "Automated": "NormalBackupTask"}


def _utc(moment: datetime, seconds: bool = True) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ" if seconds else "%Y-%m-%dT%H:%MZ")


def _required(params: dict, name: str) -> str:
    if not params.get(name):
        raise missing(name)
    return params[name]


def _number(params: dict, name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    if not re.fullmatch(r"-?\d{1,9}", value):
        raise invalid(name, "It must be an integer.")
    return int(value)


def _page(params: dict, sizes, default_size: int) -> tuple[int, int]:
    size, number = _number(params, "PageSize", default_size), _number(params, "PageNumber", 1)
    if size not in sizes:
        raise invalid("PageSize", f"Valid values: {sizes[0]}..{sizes[-1]}." if isinstance(sizes, range)
                      else f"Valid values: {', '.join(map(str, sizes))}.")
    if number < 1:
        raise invalid("PageNumber", "It must be larger than 0.")
    return size, number


def _minute(params: dict, name: str) -> datetime:
    value = _required(params, name)
    try:
        if not MINUTE.fullmatch(value):
            raise ValueError(value)
        return datetime.strptime(value, "%Y-%m-%dT%H:%MZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise ApiError(400, f"Invalid{name}.Malformed", f"The Specified parameter {name} is not valid.") from None


def _set_state(instance, records: list, running: bool, finished: list) -> tuple[str, int]:
    """A cluster backup set's ClusterBackupStatus (RUNNING, ERROR when a finished shard's backup failed, else
    OK) and IsAvail (0 while running, when a shard failed or when a node has no backup in the set)."""
    failed = any(b.status != "Success" for b in finished) or len({b.node_id for b in records}) < len(instance.nodes)
    status = "RUNNING" if running else ("ERROR" if any(b.status != "Success" for b in finished) else "OK")
    return status, 0 if failed or running else 1


class Actions:
    def __init__(self, scenario: Scenario, download_signature: str, clones: Clones | None = None):
        self.scenario = scenario
        self.restores = RestoreActions(clones if clones is not None else Clones(), self.instance, scenario.anchor)
        self.download_signature = download_signature
        self._order = {i.id: self._shuffled(i) for i in scenario.instances}
        self.table = {
            "DescribeRegions": self.describe_regions,
            "DescribeInstances": self.describe_instances,
            "DescribeBackupPolicy": self.describe_backup_policy,
            "DescribeBackups": self.describe_backups,
            "DescribeLogicInstanceTopology": self.describe_logic_instance_topology,
            "DescribeClusterBackupList": self.describe_cluster_backup_list,
            "DescribeBackupTasks": self.describe_backup_tasks,
            **self.restores.table,  # a restore test's (kvstore_restore.py)
        }

    def _shuffled(self, instance: Instance) -> list[Backup]:
        # The API promises no order; a seeded shuffle (never newest-first) keeps callers honest.
        records = sorted(self.scenario.backups_of(instance.id), key=lambda b: b.backup_id)
        random.Random(f"{self.scenario.seed}:{instance.id}").shuffle(records)
        if len(records) > 1 and records == sorted(records, key=lambda b: b.start, reverse=True):
            records.reverse()
        return records

    def instance(self, params: dict) -> Instance:
        """The `InstanceId` parameter's instance, else 404."""
        found = self.scenario.instance(_required(params, "InstanceId"))
        if found is None:
            raise ApiError(404, "InvalidInstanceId.NotFound", "The specified instance is not found.")
        return found

    def describe_regions(self, params: dict) -> dict:
        regions = []
        # A member account's `regions` are its answer, when the scenario gives them.
        for region in self.scenario.listed_regions or dict.fromkeys((*PUBLIC_REGIONS, *self.scenario.fleet_regions)):
            name, zones = REGIONS.get(region, (region, f"{region}-a,{region}-b"))
            regions.append({"RegionId": region, "LocalName": name, "RegionEndpoint": "r-kvstore.aliyuncs.com",
                            "ZoneIds": zones, "ZoneIdList": {"ZoneId": zones.split(",")}})
        return {"RegionIds": {"KVStoreRegion": regions}}

    def describe_instances(self, params: dict) -> dict:
        region = _required(params, "RegionId")
        size, number = _page(params, range(1, 51), 30)
        if self._tags(params) == [(TAG_KEY, None)]:  # the restore test's clones, which no fleet holds
            clones = self.restores.tagged(region)
            return {"Instances": {"KVStoreInstance": clones[(number - 1) * size:number * size]},
                    "TotalCount": len(clones), "PageNumber": number, "PageSize": size}
        found = self._listed(region, params)
        odd = self.scenario.instance_list
        found = [j for i in found for j in ([i, i] if i.id in odd.twice else [i])]
        if odd.ignore_page_number:
            number = 1
        page = found[(number - 1) * size:number * size]
        answer = {"Instances": {"KVStoreInstance": [self._instance(i) for i in page]},
                  "TotalCount": len(found), "PageNumber": number, "PageSize": size}
        if odd.total_count is None:
            del answer["TotalCount"]
        elif odd.total_count != "honest":
            answer["TotalCount"] = odd.total_count
        return answer

    def _listed(self, region: str, params: dict) -> list[Instance]:
        """The region's instances the filters select: InstanceIds, InstanceStatus, the Tag.N pairs."""
        wanted_tags = self._tags(params)
        ids = {i.strip() for i in params.get("InstanceIds", "").split(",") if i.strip()}
        status = params.get("InstanceStatus")
        return [i for i in self.scenario.instances
                if i.region == region and (not ids or i.id in ids) and (not status or i.status == status)
                and all(key in i.tags and value in (None, i.tags[key]) for key, value in wanted_tags)]

    @staticmethod
    def _tags(params: dict) -> list[tuple[str, str | None]]:
        numbers = sorted({int(m[1]) for k in params if (m := re.fullmatch(r"Tag\.(\d+)\.(?:Key|Value)", k))})
        if numbers and (numbers[-1] > MAX_TAGS or numbers[0] < 1):
            raise invalid("Tag", f"At most {MAX_TAGS} tags, numbered Tag.1 to Tag.{MAX_TAGS}.")
        tags = []
        for n in numbers:
            key = params.get(f"Tag.{n}.Key")
            if not key:
                raise missing(f"Tag.{n}.Key")
            tags.append((key, params.get(f"Tag.{n}.Value")))  # no Value: any value of that key
        return tags

    @staticmethod
    def _instance(i: Instance) -> dict:
        zone = REGIONS.get(i.region, ("", f"{i.region}-a"))[1].split(",")[0]
        answer = {"InstanceId": i.id, "InstanceName": i.name, "RegionId": i.region, "ZoneId": zone,
                  "ArchitectureType": i.architecture, "NodeType": i.node_type, "InstanceStatus": i.status,
                  "CreateTime": _utc(i.created), "EngineVersion": i.engine, "InstanceType": i.type,
                  "EditionType": "Enterprise" if i.type == "Tair" else "Community",
                  "ChargeType": "PrePaid", "NetworkType": "VPC", "InstanceClass": instance_class(i),
                  "Tags": {"Tag": [{"Key": k, "Value": v} for k, v in i.tags.items()]}}
        # ShardCount "is returned only for cloud-native cluster instances and read/write splitting
        # instances" (DescribeInstances, https://help.aliyun.com/document_detail/473778.html): a
        # classic cluster and a standard instance answer without it.
        if i.architecture == "rwsplit" or (i.architecture == "cluster" and i.cloud_native):
            answer["ShardCount"] = i.shards
        # ReplicaCount (replica nodes in the primary zone) is "applicable only to cloud-native instances"
        # (models/_describe_instances_response_body.py): 1 for a dual-replica one here; a single-replica
        # instance's value is not documented, so it is left out.
        if i.cloud_native and i.node_type in ("double", "MASTER_SLAVE"):
            answer["ReplicaCount"] = 1
        answer.update(i.raw)
        return answer

    def describe_backup_policy(self, params: dict) -> dict:
        """Fields per models/_describe_backup_policy_response_body.py: PreferredNextBackupTime
        yyyy-MM-ddTHH:mmZ (UTC); BackupLogStartTime only with data flashback on, as DescribeInstanceAttribute's
        field of that name is "returned only when the data flashback feature is enabled", in its
        yyyy-MM-ddTHH:mm:ssZ (models/_describe_instance_attribute_response_body.py)."""
        policy = self.instance(params).policy
        anchor = self.scenario.anchor
        answer = {"PreferredBackupPeriod": ",".join(policy.period), "PreferredBackupTime": policy.time,
                  "PreferredNextBackupTime": _utc(policy.next_backup or policy.next_after(anchor), seconds=False),
                  "BackupRetentionPeriod": str(policy.retention), "EnableBackupLog": policy.backup_log}
        if policy.backup_log == 1:
            answer["BackupLogStartTime"] = _utc(policy.backup_log_start or anchor - timedelta(days=policy.retention))
        return answer

    def _storage(self, instance: Instance) -> dict:
        """FullStorageSize, the size of "all valid full backups for the instance", whatever the page lists;
        LogStorageSize and FreeSize as the scenario gives them, else left out (the models: both listings)."""
        full = sum(b.size for b in self.scenario.backups_of(instance.id) if b.status == "Success" and b.type == "FullBackup")
        answer = {"FullStorageSize": full}
        if instance.log_size is not None:
            answer["LogStorageSize"] = instance.log_size
        if instance.free_size is not None:
            answer["FreeSize"] = instance.free_size
        return answer

    def describe_backups(self, params: dict) -> dict:
        _required(params, "InstanceId")
        start, end = _minute(params, "StartTime"), _minute(params, "EndTime")
        if end <= start:
            raise invalid("EndTime", "The end time must be later than the start time.")
        size, number = _page(params, BACKUP_PAGE_SIZES, 30)
        backup_id = _number(params, "BackupId", 0) or None
        instance = self.instance(params)
        # DescribeBackups does not apply to cloud-native clusters, whose backups are cluster backup
        # sets (DescribeClusterBackupList "applies only to cloud-native instances",
        # https://help.aliyun.com/document_detail/2679168.html): it lists none of theirs.
        records = [] if instance.architecture == "cluster" and instance.cloud_native else self._order[instance.id]
        found = [b for b in records if start <= b.start <= end and backup_id in (None, b.backup_id)]
        page = found[(number - 1) * size:number * size]
        return {"TotalCount": len(found) + instance.total_count_offset, "PageNumber": number, "PageSize": size,
                "Backups": {"Backup": [self._backup(b, instance) for b in page]}, **self._storage(instance)}

    def _backup(self, b: Backup, instance: Instance) -> dict:
        # OSS-style presigned URLs: the Signature is this sandbox's secret, never to be repeated.
        name = f"{b.node_id.split('#')[0]}/hins{b.backup_id}_data_{b.start:%Y%m%d%H%M%S}.rdb"
        query = (f"Expires={int((self.scenario.anchor + timedelta(hours=1)).timestamp())}"
                 f"&OSSAccessKeyId=sandbox-oss&Signature={self.download_signature}")
        host = f"rdsbak-{instance.region}-v3.oss-{instance.region}"
        answer = {
            "BackupDBNames": "all", "BackupId": b.backup_id, "NodeInstanceId": b.node_id,
            "BackupDownloadURL": f"http://{host}.aliyuncs.com/{name}?{query}",
            "BackupIntranetDownloadURL": f"http://{host}-internal.aliyuncs.com/{name}?{query}",
            "BackupStartTime": _utc(b.start), "BackupEndTime": _utc(b.end), "BackupStatus": b.status,
            "BackupSize": b.size, "BackupType": b.type, "BackupMode": b.mode, "BackupMethod": b.method,
            "EngineVersion": instance.engine,
            # Kept BackupRetentionPeriod days from its start, in yyyy-MM-ddTHH:mmZ as DescribeClusterBackupList's
            # ExpectExpireTime ("the expiration time of the backup set"); DescribeBackups' model gives it no words.
            "ExpectExpireTime": _utc(b.start + timedelta(days=instance.policy.retention), seconds=False),
        }
        if b.status == "Running":
            # A backup still in progress has no end yet; the reference documents only Success and
            # Failed, so the scenario's word for it is answered as is.
            del answer["BackupEndTime"]
        answer.update(b.raw)
        return answer

    def describe_logic_instance_topology(self, params: dict) -> dict:
        """Shard nodes as the reference's example answers them (https://help.aliyun.com/document_detail/473786.html):
        RedisShardList.NodeInfo with NodeId `<id>-db-<i>#<number>`, NodeType `db`, SubInstanceType
        `master`; RedisProxyList.NodeInfo with NodeType `proxy`."""
        instance = self.instance(params)
        if instance.architecture == "standard":
            # "Supported only for cluster and read/write splitting instances": the error a standard
            # instance gets is not documented; this code is the sandbox's own.
            raise ApiError(400, "IncorrectInstanceType", "This operation is supported only for cluster and "
                                                         "read/write splitting instances.")
        number = random.Random(f"{self.scenario.seed}:{instance.id}:topology").randrange(1_000_000, 9_999_999)
        # A read/write splitting instance's one data node is `<id>-db-0` whatever its records say (node_form).
        nodes = ([f"{node}#{number + n}" for n, node in enumerate(instance.nodes)] if instance.architecture == "cluster"
                 else [f"{instance.id}-db-0#{instance.data_node_number}"])
        shards = [{"NodeId": node, "NodeType": "db", "SubInstanceType": "master",
                   "Capacity": "2048", "Connection": "10000", "Bandwidth": "96"} for node in nodes]
        proxies = [{"NodeId": f"{instance.id}-proxy-{n}#{number + 100 + n}", "NodeType": "proxy",
                    "Capacity": "5120", "Connection": "320000", "Bandwidth": "96"} for n in range(2)]
        return {"InstanceId": instance.id, "RedisShardList": {"NodeInfo": shards},
                "RedisProxyList": {"NodeInfo": proxies}}

    def describe_cluster_backup_list(self, params: dict) -> dict:
        """A cloud-native cluster's backup sets, one per backup run, fields and statuses per
        models/_describe_cluster_backup_list_response_body.py: ClusterBackupStatus OK / RUNNING / other
        = failed (ERROR here, the shards' own word), IsAvail 0 when a shard's backup failed or is absent;
        per shard BackupStatus OK / ERROR, IsAvail "1"/"0", sizes as strings as the SDK model types them."""
        _required(params, "RegionId")
        start, end = _minute(params, "StartTime"), _minute(params, "EndTime")
        if end <= start:
            raise invalid("EndTime", "The end time must be later than the start time.")
        size, number = _page(params, CLUSTER_BACKUP_PAGE_SIZES, 30)
        instance = self.instance(params)
        runs: dict[str, list[Backup]] = {}
        if instance.architecture == "cluster" and instance.cloud_native:
            for b in self.scenario.backups_of(instance.id):
                runs.setdefault(b.run, []).append(b)
        sets = sorted((self._cluster_set(instance, run, records) for run, records in runs.items()),
                      key=lambda s: s["ClusterBackupStartTime"], reverse=True)
        sets = [s for s in sets if _utc(start) <= s["ClusterBackupStartTime"] <= _utc(end)]
        page = sets[(number - 1) * size:number * size]
        return {"MaxResults": len(page), "PageNumber": number, "PageSize": size, **self._storage(instance),
                "ClusterBackups": page}

    def _cluster_set(self, instance: Instance, run: str, records: list[Backup]) -> dict:
        first = min(b.start for b in records)
        set_id = f"cb-{instance.id[2:10]}{first:%m%d%H%M}"
        running = any(b.status == "Running" for b in records)
        finished = [b for b in records if b.status != "Running"]
        status, available = _set_state(instance, records, running, finished)
        answer = {
            "ClusterBackupId": set_id, "ClusterBackupStatus": status, "IsAvail": available,
            "ClusterBackupStartTime": _utc(first), "ClusterBackupMode": records[0].mode,
            "ClusterBackupSize": str(sum(b.size for b in finished)), "ShardClassMemory": 2048,
            "ExpectExpireTime": _utc(first + timedelta(days=instance.policy.retention), seconds=False),
            "Backups": [self._shard_backup(b, instance) for b in finished],
        }
        if running:
            answer["Progress"] = "40"
        else:
            answer["ClusterBackupEndTime"] = _utc(max(b.end for b in records))
        for b in records:
            answer.update(b.raw.get("cluster", {}))
        return answer

    def _shard_backup(self, b: Backup, instance: Instance) -> dict:
        plain = self._backup(b, instance)
        ok = b.status == "Success"
        file_name = f"hins{b.backup_id}_data_{b.start:%Y%m%d%H%M%S}.rdb"
        answer = {"BackupId": str(b.backup_id), "BackupName": file_name,
                  "BackupStatus": "OK" if ok else "ERROR", "IsAvail": "1" if ok else "0",
                  "BackupSize": str(b.size), "BackupStartTime": _utc(b.start), "BackupEndTime": _utc(b.end),
                  "InstanceName": file_name if instance.shard_instance_name == "file" else b.node_id,
                  "Engine": "redis", "RecoverConfigMode": "",
                  "BackupDownloadURL": plain["BackupDownloadURL"],
                  "BackupIntranetDownloadURL": plain["BackupIntranetDownloadURL"],
                  "ExtraInfo": {"CustinsDbVersion": instance.engine}}
        answer.update(b.raw.get("shard", {}))
        return answer

    def describe_backup_tasks(self, params: dict) -> dict:
        """The instance's backup jobs (models/_describe_backup_tasks_response_body.py), `JobMode` filtering."""
        instance = self.instance(params)
        mode = params.get("JobMode")
        jobs = [self._task(t, instance) for t in instance.tasks if mode in (None, "", t.mode)]
        return {"InstanceId": instance.id, "BackupJobs": jobs}

    @staticmethod
    def _task(t: Task, instance: Instance) -> dict:
        return {"BackupJobID": t.job_id, "BackupProgressStatus": t.status, "JobMode": t.mode,
                "NodeId": t.node or instance.nodes[0], "StartTime": _utc(t.start), "Process": f"{t.progress}%",
                "Progress": str(t.progress), "TaskAction": TASK_ACTIONS.get(t.mode, "NormalBackupTask")}
