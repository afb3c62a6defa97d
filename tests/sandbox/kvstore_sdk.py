"""The official R-KVStore SDK pointed at a sandbox, as the function uses it (for tests)."""
from __future__ import annotations

import pytest
from alibabacloud_r_kvstore20150101 import models
from alibabacloud_r_kvstore20150101.client import Client
from alibabacloud_tea_openapi.models import Config
from darabonba.runtime import RuntimeOptions


class Api:
    """`Api(sb).describe_backups(instance_id=..., ...)` returns the answer's body model."""

    def __init__(self, sb, read_timeout_ms: int = 3000, **credentials):
        given = {**vars(sb.credentials), **credentials}
        self.client = Client(Config(access_key_id=given["access_key_id"], access_key_secret=given["access_key_secret"],
                                    security_token=given["security_token"], endpoint=sb.kvstore_endpoint,
                                    protocol="http", region_id="cn-hangzhou"))
        self.runtime = RuntimeOptions(read_timeout=read_timeout_ms, connect_timeout=1000)

    def _call(self, action: str, request):
        return getattr(self.client, f"{action}_with_options")(request, self.runtime).body

    def describe_regions(self, **fields):
        return self._call("describe_regions", models.DescribeRegionsRequest(**fields))

    def describe_instances(self, tags: dict | None = None, **fields):
        tag = [models.DescribeInstancesRequestTag(key=k, value=v) for k, v in (tags or {}).items()] or None
        return self._call("describe_instances", models.DescribeInstancesRequest(tag=tag, **fields))

    def describe_backup_policy(self, **fields):
        return self._call("describe_backup_policy", models.DescribeBackupPolicyRequest(**fields))

    def describe_backups(self, **fields):
        return self._call("describe_backups", models.DescribeBackupsRequest(**fields))

    def describe_logic_instance_topology(self, **fields):
        return self._call("describe_logic_instance_topology", models.DescribeLogicInstanceTopologyRequest(**fields))

    def describe_cluster_backup_list(self, **fields):
        return self._call("describe_cluster_backup_list", models.DescribeClusterBackupListRequest(**fields))

    def describe_backup_tasks(self, **fields):
        return self._call("describe_backup_tasks", models.DescribeBackupTasksRequest(**fields))


@pytest.fixture
def api(sandbox) -> Api:
    return Api(sandbox)
