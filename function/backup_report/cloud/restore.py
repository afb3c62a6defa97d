"""The cloud edge of a restore test (RESTORE_TEST, docs/restore-testing.md): R-KVStore's calls that price, create,
watch and release a clone of a backup, through the same SDK edge as every read (sdk.Edge: paced, within a deadline
as a whole, retried when errors.py says so). What leaves is plain data or an `ApiFailure`.

Never `RestoreInstance`: it restores a backup set into the source instance itself, overwriting it in place (its
SDK request model, for the source instance's InstanceId); a test must never touch what it tests.
tests/e2e/test_restore_test.py reads the package's source for the SDK's method and request names.

Sources, each SDK model file under alibabacloud_r_kvstore20150101/models/:
- DescribeInstanceAttribute: the source's class, zone, VPC and vSwitch (the clone is placed beside it), and the
  clone's InstanceStatus (_describe_instance_attribute_response_body.py: Instances.DBInstanceAttribute[]).
- DescribePrice: OrderType BUY, ChargeType PostPaid (pay-as-you-go), InstanceClass, ShardCount for a cluster
  (_describe_price_request.py); the answer's Order.TradeAmount and Order.Currency ("CNY … for the China site and
  USD … for the international site", _describe_price_response_body.py).
- CreateInstance / CreateTairInstance: SrcDBInstanceId with BackupId, or ClusterBackupId for a cloud-native
  cluster; DryRun "checks the request parameters, request format, service limits, and available resources … If
  the request passes the dry run, the system returns the DryRunOperation error code"; Token / ClientToken make a
  retried request create one instance ("used to ensure the idempotence of the request", up to 64 ASCII
  characters); CreateTairInstance's InstanceType is the storage medium tair_rdb / tair_scm / tair_essd and needs
  VpcId, VSwitchId and ZoneId (_create_instance_request.py, _create_tair_instance_request.py).
- DescribeHistoryMonitorValues: without MonitorKeys it answers "the UsedMemory and quotaMemory metrics", as a JSON
  text keyed by time (_describe_history_monitor_values_request.py / _response_body.py). The full metric list
  (its MonitorKeys note) was not confirmed to hold a key count, so none is asked for: the keys stay unproven. A
  guessed name would be worse: "only non-zero monitoring data is returned … a default value of 0" (the response
  model), so a wrong one reads as an empty clone (docs/restore-testing.md).
- DeleteInstance: "Releases a pay-as-you-go instance" (https://www.alibabacloud.com/help/en/redis/user-guide/
  release-pay-as-you-go-instances, Related API operations).
No per-API quota for these operations could be read on R-KVStore's "流控信息" page (cloud/pacing.py): each gets
the assumed 200/60 s, and a restore test makes a handful of calls a run.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from alibabacloud_r_kvstore20150101 import models

from . import retry
from .. import bounded
from ..model import ApiError
from ..restore.state import CURRENCY, ID  # an ID the state can keep: one it cannot is never acted on
from .kvstore import KVStore

TAG_KEY = "backup-report:restore-test"  # every clone carries it; its value is the test's run
DRY_RUN_PASSED = "DryRunOperation"
MAX_TAGGED = 50  # clones listed a region: more than a few is a leak the digest names, not a listing to page
# A test's run, the clone's tag value: "<UTC yyyymmddTHHMM>-<source InstanceId>", at most 64 characters.
RUN = re.compile(r"\d{8}T\d{4}-[A-Za-z0-9][A-Za-z0-9_.-]{0,50}")
TAIR_MEDIA = {"rdb": "tair_rdb", "scm": "tair_scm", "essd": "tair_essd"}  # tair.<medium>.<size> -> InstanceType


@dataclass(frozen=True)
class Placement:
    """What DescribeInstanceAttribute says of an instance: where it runs and of what class; its status."""

    instance_id: str
    region: str
    status: str
    instance_class: str = ""
    zone: str = ""
    vpc: str = ""
    vswitch: str = ""
    engine_version: str = ""
    shard_count: int = 0
    instance_type: str = ""  # Redis / Tair (InstanceType)


@dataclass(frozen=True)
class Price:
    """DescribePrice's Order: TradeAmount (what is paid) in Currency."""

    amount: float
    currency: str


@dataclass(frozen=True)
class Tagged:
    """An instance DescribeInstances lists with TAG_KEY: its InstanceId, tag value (`run`), InstanceStatus,
    InstanceName and ChargeType."""

    instance_id: str
    run: str
    status: str
    name: str
    charge_type: str

    @property
    def ours(self) -> bool:
        """Whether a test made it, as far as its answer shows: pay-as-you-go, its tag a run, its name the one
        `create` gives that run. Anyone may tag an instance; only a clone is ever released by the sweep."""
        return self.charge_type == "PostPaid" and RUN.fullmatch(self.run) is not None and \
            self.name == instance_name(self.run)


def instance_name(run: str) -> str:
    """The clone's InstanceName (2-80 characters, no `@/:=”<>{[]}` nor spaces: _create_instance_request.py)."""
    return f"restore-test-{run}"[:80]


class Restores(KVStore):
    """R-KVStore's calls of a restore test, with one account's credentials (sdk.Edge)."""

    def placement(self, region: str, instance_id: str) -> Placement:
        """DescribeInstanceAttribute of `instance_id`. Raises ApiFailure (InvalidInstanceId.NotFound when gone)."""
        self._in_time("DescribeInstanceAttribute")
        request = models.DescribeInstanceAttributeRequest(instance_id=instance_id)
        body = self._call(region, "DescribeInstanceAttribute",
                          lambda c, o: c.describe_instance_attribute_with_options(request, o))
        found = (body.instances.dbinstance_attribute if body.instances else None) or []
        if not found:
            raise retry.ApiFailure(ApiError("InvalidInstanceId.NotFound", "no attributes answered",
                                            "DescribeInstanceAttribute"))
        a = found[0]
        word = lambda v: bounded.text(v or "", bounded.WORD)  # noqa: E731
        return Placement(instance_id, region, word(a.instance_status) or "Unknown", word(a.instance_class),
                         word(a.zone_id), word(a.vpc_id), word(a.v_switch_id), word(a.engine_version),
                         a.shard_count if isinstance(a.shard_count, int) and a.shard_count > 0 else 0,
                         word(a.instance_type))

    def price(self, source: Placement) -> Price:
        """DescribePrice of one pay-as-you-go instance of the source's class in its zone. Raises ApiFailure,
        `UnreadablePrice` when the answer has no number or no currency."""
        self._in_time("DescribePrice")
        request = models.DescribePriceRequest(
            region_id=source.region, zone_id=source.zone or None, instance_class=source.instance_class,
            order_type="BUY", charge_type="PostPaid", quantity=1, shard_count=source.shard_count or None,
            engine_version=source.engine_version or None)
        body = self._call(source.region, "DescribePrice", lambda c, o: c.describe_price_with_options(request, o))
        order = body.order
        try:
            amount = float(str(order.trade_amount))
            currency = str(order.currency or "").strip().upper()
        except (AttributeError, TypeError, ValueError):
            amount, currency = -1.0, ""
        # "CNY … for the China site and USD … for the international site": a code of capital letters, else no price.
        if not (0 <= amount < 1e9) or not (currency.isascii() and CURRENCY.fullmatch(currency)):
            raise retry.ApiFailure(ApiError("UnreadablePrice", "DescribePrice gave no price and currency",
                                            "DescribePrice"))
        return Price(amount, currency)

    def create(self, source: Placement, backup: str, cluster_set: bool, run: str, dry_run: bool) -> str:
        """The clone of `backup` (a BackupId, or a ClusterBackupId when `cluster_set`) as a pay-as-you-go instance of
        the source's class beside it, tagged TAG_KEY=`run`; `dry_run`: only checked (returns ""). Returns the new
        InstanceId. Raises ApiFailure: the dry run's refusal or the creation's."""
        tair = source.instance_type.lower() == "tair" or source.instance_class.startswith("tair.")
        action = "CreateTairInstance" if tair else "CreateInstance"
        self._in_time(action)
        common = _common(source, backup, cluster_set, run, dry_run)
        send = _tair(common, source, run, dry_run) if tair else _redis(common, source, run, dry_run)
        try:
            body = self._call(source.region, action, send)
        except retry.ApiFailure as failure:
            if dry_run and failure.error.code == DRY_RUN_PASSED:
                return ""
            raise
        if dry_run:  # an answer without the dry run's code: the request was not checked as one
            raise retry.ApiFailure(ApiError("DryRunUnanswered", "the dry run did not answer DryRunOperation", action))
        clone = body.instance_id if isinstance(body.instance_id, str) else ""
        if not ID.fullmatch(clone):  # made or not, the tag sweep finds it
            raise retry.ApiFailure(ApiError("UnreadableAnswer", "no InstanceId in the answer", action))
        return clone

    def used_memory(self, region: str, clone: str, start: str, end: str) -> int | None:
        """The clone's largest UsedMemory (bytes) in [start, end] (yyyy-MM-ddTHH:mm:ssZ, UTC) as
        DescribeHistoryMonitorValues answers it; None when it answers no such value. Raises ApiFailure."""
        self._in_time("DescribeHistoryMonitorValues")
        request = models.DescribeHistoryMonitorValuesRequest(instance_id=clone, start_time=start, end_time=end,
                                                             interval_for_history="01m")
        body = self._call(region, "DescribeHistoryMonitorValues",
                          lambda c, o: c.describe_history_monitor_values_with_options(request, o))
        return _largest_used_memory(body.monitor_history)

    def release(self, region: str, clone: str) -> None:
        """DeleteInstance of a clone. Raises ApiFailure."""
        self._in_time("DeleteInstance")
        request = models.DeleteInstanceRequest(instance_id=clone)
        self._call(region, "DeleteInstance", lambda c, o: c.delete_instance_with_options(request, o))

    def clones(self, region: str) -> list[Tagged]:
        """The region's instances tagged TAG_KEY (DescribeInstances' Tag filter, one page of MAX_TAGGED), whose
        InstanceId is one (`ID`); clones or not (`Tagged.ours`). Raises ApiFailure."""
        self._in_time("DescribeInstances")
        request = models.DescribeInstancesRequest(region_id=region, page_size=MAX_TAGGED, page_number=1,
                                                  tag=[models.DescribeInstancesRequestTag(key=TAG_KEY)])
        body = self._call(region, "DescribeInstances", lambda c, o: c.describe_instances_with_options(request, o))
        found = []
        for item in ((body.instances.kvstore_instance if body.instances else None) or [])[:MAX_TAGGED]:
            tags = {t.key: t.value for t in ((item.tags.tag if item.tags else None) or []) if t.key}
            if TAG_KEY in tags and isinstance(item.instance_id, str) and ID.fullmatch(item.instance_id):
                found.append(Tagged(item.instance_id, bounded.text(tags[TAG_KEY] or "", bounded.ID),
                                    bounded.text(item.instance_status or "", bounded.WORD),
                                    bounded.text(item.instance_name or "", bounded.NAME),
                                    bounded.text(item.charge_type or "", bounded.WORD)))
        return found


def _common(source: Placement, backup: str, cluster_set: bool, run: str, dry_run: bool) -> dict:
    """Both creations' parameters: the source and its backup, pay-as-you-go, beside the source (zone, VPC, vSwitch)."""
    return dict(region_id=source.region, src_dbinstance_id=source.instance_id, instance_class=source.instance_class,
                charge_type="PostPaid", zone_id=source.zone or None, vpc_id=source.vpc or None,
                v_switch_id=source.vswitch or None, shard_count=source.shard_count or None,
                instance_name=instance_name(run), dry_run=dry_run,
                backup_id=None if cluster_set else backup, cluster_backup_id=backup if cluster_set else None)


def _token(run: str, dry_run: bool) -> str:
    return f"{run}-{'dry' if dry_run else 'create'}"[:64]


def _tair(common: dict, source: Placement, run: str, dry_run: bool):
    """CreateTairInstance's call: InstanceType the class's medium (tair.<medium>.…), paid at once (AutoPay)."""
    medium = source.instance_class.split(".")[1] if source.instance_class.count(".") >= 2 else ""
    request = models.CreateTairInstanceRequest(
        **common, instance_type=TAIR_MEDIA.get(medium, "tair_rdb"), auto_pay=True, client_token=_token(run, dry_run),
        tag=[models.CreateTairInstanceRequestTag(key=TAG_KEY, value=run)])
    return lambda c, o: c.create_tair_instance_with_options(request, o)


def _redis(common: dict, source: Placement, run: str, dry_run: bool):
    """CreateInstance's call (InstanceType Redis, the source's EngineVersion)."""
    request = models.CreateInstanceRequest(
        **common, instance_type="Redis", token=_token(run, dry_run), engine_version=source.engine_version or None,
        tag=[models.CreateInstanceRequestTag(key=TAG_KEY, value=run)])
    return lambda c, o: c.create_instance_with_options(request, o)


def _largest_used_memory(history) -> int | None:
    """UsedMemory's largest value in MonitorHistory's JSON ({time: {"UsedMemory": "bytes", …}}); None without one."""
    try:
        points = json.loads(history) if isinstance(history, str) and len(history) < 1_000_000 else {}
    except ValueError:
        return None
    values = []
    for point in (points.values() if isinstance(points, dict) else []):
        raw = point.get("UsedMemory") if isinstance(point, dict) else None
        try:
            value = int(float(str(raw)))
        except ValueError:
            continue
        if 0 <= value < 1 << 50:
            values.append(value)
    return max(values) if values else None
