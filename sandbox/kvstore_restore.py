"""The R-KVStore calls of a restore test (function/backup_report/cloud/restore.py), answered from `Clones`: the
clones made so far (kept by the caller across runs, as the OSS emulator's objects are) and how the service
behaves (`behaviour`). A clone's InstanceStatus follows scenario time, the anchor of the run that asks:
`Creating` until `ready_minutes` after the anchor it was created at, then `Normal` (never, `never_normal`).

Sources (SDK models, alibabacloud_r_kvstore20150101/models/): CreateInstance / CreateTairInstance take
SrcDBInstanceId with BackupId or ClusterBackupId, and a DryRun that passes "returns the DryRunOperation error
code" (_create_instance_request.py); DescribePrice answers Order.TradeAmount and Order.Currency
(_describe_price_response_body.py); DescribeInstanceAttribute answers Instances.DBInstanceAttribute[];
DescribeHistoryMonitorValues answers MonitorHistory, a JSON text of {time: {"UsedMemory": …, "quotaMemory": …}}
without MonitorKeys (_describe_history_monitor_values_request.py).

Error codes: R-KVStore's own error lists for these operations could not be read (the reference pages' tables are
not in any stored source), so each code below says where it comes from, and the function relies on none of the
refusals: any refusal is said by its code (restore/step.py). It relies on two kinds only:
- `DryRunOperation`: the SDK models say a dry run that passes "returns the DryRunOperation error code"
  (_create_instance_request.py); its HTTP status is not stated. The sandbox answers 400, as ECS does; the function
  reads the code under any status, and a 2xx answer without it fails closed (cloud/restore.py: DryRunUnanswered).
- the not-found codes of an instance no longer there, which differ by operation in the Terraform provider
  (alicloud/service_alicloud_r_kvstore.go: InvalidInstanceId.NotFound, InvalidDBInstance.NotFound,
  InvalidDbInstanceId.NotFound): `Clones.gone_code` stages each (restore/step.py: GONE).
The refusals staged (`dry_run_error`, `create_error`, a failed DeleteInstance):
- `Zone.NotOnSale`, HTTP 403, "The specified zone is not available for purchase." (no stock): ECS's error lists
  (e.g. CreateCapacityReservation's, which also has OperationDenied.NoStock); not confirmed for R-KVStore.
- `QuotaExceed.Instance`, HTTP 403, and `InvalidBackupId.NotFound`: no source found; the sandbox's names (RDS's
  lists have InvalidBackupIdOrRestoreTime.NotFound for a backup the restore cannot use).
- `IncorrectDBInstanceState`: a release of a clone not yet Running ("You can only release … instances that are in
  the Running state", https://www.alibabacloud.com/help/en/redis/product-overview/refunds); the code is one the
  Terraform provider waits out for other database services (alicloud/errors.go OperationDeniedDBStatus).
- `Forbidden.RAM`, HTTP 403: Alibaba Cloud's common error code for an action the role is not allowed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .apierror import ApiError, missing

TAG_KEY = "backup-report:restore-test"


@dataclass
class Clone:
    instance_id: str
    region: str
    source: str
    backup: str
    created: datetime
    tags: dict
    instance_class: str
    name: str = ""  # InstanceName as created
    charge_type: str = "PostPaid"


@dataclass
class Clones:
    """The clones (by ID) and the behaviour: `ready_minutes`, `never_normal`, `price`, `currency`, `used_memory`
    (bytes; None: no monitoring value), `dry_run_error` / `create_error` (an error code the call answers),
    `delete_failures` (how many DeleteInstance calls fail before one succeeds), `attribute_error` (the code
    DescribeInstanceAttribute answers for a clone), `gone_code` (what it answers for a clone no longer there: the
    service's not-found codes vary, see `GONE`). `calls`: (action, params)."""

    ready_minutes: int = 31
    never_normal: bool = False
    price: str = "0.35"
    currency: str = "CNY"
    used_memory: int | None = 3 * 1024 ** 3
    dry_run_error: str = ""
    create_error: str = ""
    delete_failures: int = 0
    attribute_error: str = ""
    gone_code: str = "InvalidInstanceId.NotFound"
    made: dict = field(default_factory=dict)
    released: list = field(default_factory=list)
    calls: list = field(default_factory=list)


MESSAGES = {"InvalidBackupId.NotFound": "The specified backup set does not exist.",
            "Zone.NotOnSale": "The specified zone is not available for purchase.",
            "QuotaExceed.Instance": "The number of instances exceeds the quota.",
            "IncorrectDBInstanceState": "Current DB instance state does not support this operation.",
            "Forbidden.RAM": "User not authorized to operate on the specified resource."}


STATUS = {"Zone.NotOnSale": 403, "QuotaExceed.Instance": 403, "Forbidden.RAM": 403}  # else 400


def _refuse(code: str) -> ApiError:
    return ApiError(STATUS.get(code, 400), code, MESSAGES.get(code, code))


class RestoreActions:
    def __init__(self, clones: Clones, instance_of, anchor: datetime):
        self.clones, self.instance_of, self.anchor = clones, instance_of, anchor
        self.table = {"DescribeInstanceAttribute": self.describe_instance_attribute,
                      "DescribePrice": self.describe_price, "CreateInstance": self.create_instance,
                      "CreateTairInstance": self.create_instance,
                      "DescribeHistoryMonitorValues": self.describe_history_monitor_values,
                      "DeleteInstance": self.delete_instance}

    def status(self, clone: Clone) -> str:
        ready = clone.created + timedelta(minutes=self.clones.ready_minutes)
        return "Normal" if self.anchor >= ready and not self.clones.never_normal else "Creating"

    def describe_instance_attribute(self, params: dict) -> dict:
        wanted = params.get("InstanceId") or ""
        clone = self.clones.made.get(wanted)
        if clone is not None and self.clones.attribute_error:
            raise _refuse(self.clones.attribute_error)
        if clone is None and wanted in self.clones.released:
            raise ApiError(404, self.clones.gone_code, "The specified instance is not found.")
        if clone is not None:
            attrs = {"InstanceId": clone.instance_id, "RegionId": clone.region, "InstanceStatus": self.status(clone),
                     "InstanceClass": clone.instance_class, "ZoneId": f"{clone.region}-h", "InstanceType": "Redis"}
        else:
            source = self.instance_of(params)  # 404 InvalidInstanceId.NotFound when unknown
            attrs = {"InstanceId": source.id, "RegionId": source.region, "InstanceStatus": source.status,
                     "InstanceClass": instance_class(source), "ZoneId": f"{source.region}-h",
                     "VpcId": "vpc-sandbox01", "VSwitchId": "vsw-sandbox01", "EngineVersion": source.engine,
                     "InstanceType": source.type, "ShardCount": source.shards if source.architecture == "cluster" else 1}
        return {"Instances": {"DBInstanceAttribute": [attrs]}}

    def describe_price(self, params: dict) -> dict:
        for name in ("RegionId", "OrderType", "InstanceClass"):
            if not params.get(name):
                raise missing(name)
        return {"Order": {"TradeAmount": self.clones.price, "OriginalAmount": self.clones.price,
                          "Currency": self.clones.currency, "DiscountAmount": "0"}}

    def create_instance(self, params: dict) -> dict:
        if not params.get("SrcDBInstanceId") or not (params.get("BackupId") or params.get("ClusterBackupId")):
            raise missing("BackupId")
        if params.get("ChargeType") != "PostPaid":
            raise ApiError(400, "InvalidChargeType", "The sandbox creates pay-as-you-go clones only.")
        if str(params.get("DryRun", "")).lower() == "true":  # the SDK sends a bool as Python writes it
            if self.clones.dry_run_error:
                raise _refuse(self.clones.dry_run_error)
            raise ApiError(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")
        if self.clones.create_error:
            raise _refuse(self.clones.create_error)
        return self._made(params)

    def _made(self, params: dict) -> dict:
        """A new clone, Creating; the one a Token (ClientToken) already made, when it is sent again (idempotence)."""
        token = params.get("Token") or params.get("ClientToken") or ""
        for clone in self.clones.made.values():
            if token and clone.tags.get("token") == token:
                return {"InstanceId": clone.instance_id, "OrderId": "1"}
        number = len(self.clones.made) + len(self.clones.released) + 1
        clone_id = f"r-clone{number:05d}"
        tags = {params[k]: params.get(k[:-3] + "Value", "") for k in params if k.startswith("Tag.") and k.endswith(".Key")}
        self.clones.made[clone_id] = Clone(clone_id, params.get("RegionId", ""), params["SrcDBInstanceId"],
                                           params.get("BackupId") or params["ClusterBackupId"], self.anchor,
                                           {**tags, "token": token}, params.get("InstanceClass", ""),
                                           params.get("InstanceName", ""), params["ChargeType"])
        return {"InstanceId": clone_id, "OrderId": "1", "InstanceStatus": "Creating"}

    def describe_history_monitor_values(self, params: dict) -> dict:
        clone = self.clones.made.get(params.get("InstanceId") or "")
        if clone is None or self.clones.used_memory is None:
            return {"MonitorHistory": "{}"}
        at = self.anchor.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"MonitorHistory": json.dumps({at: {"UsedMemory": str(self.clones.used_memory),
                                                   "quotaMemory": str(1024 ** 3)}})}

    def delete_instance(self, params: dict) -> dict:
        clone = self.clones.made.get(params.get("InstanceId") or "")
        if clone is None:
            raise ApiError(404, "InvalidInstanceId.NotFound", "The specified instance is not found.")
        if self.clones.delete_failures > 0:
            self.clones.delete_failures -= 1
            raise _refuse("IncorrectDBInstanceState")
        self.clones.released.append(self.clones.made.pop(clone.instance_id).instance_id)
        return {}

    def tagged(self, region: str) -> list[dict]:
        """The clones as DescribeInstances lists them for its Tag filter on TAG_KEY."""
        return [{"InstanceId": c.instance_id, "InstanceName": c.name, "RegionId": c.region,
                 "InstanceStatus": self.status(c), "InstanceClass": c.instance_class, "ChargeType": c.charge_type,
                 "Tags": {"Tag": [{"Key": k, "Value": v} for k, v in c.tags.items() if k != "token"]}}
                for c in self.clones.made.values() if c.region == region]


def instance_class(source) -> str:
    """The sandbox's InstanceClass of a fleet instance: redis.master.small.default, the class CreateInstance's
    reference names as "a 1 GB Community Edition … standard architecture" (_create_instance_request.py); a Tair
    instance tair.rdb.1g (tair.<medium>.<size>, the form cloud/restore.py reads its medium from)."""
    return "tair.rdb.1g" if source.type == "Tair" else "redis.master.small.default"
