"""ResourceManager 2020-03-31 emulator: `ListAccounts`, as the official SDK sends it
(alibabacloud_resourcemanager20200331: RPC, POST, parameters in the query, ACS3-HMAC-SHA256), over `rpc.Gateway`.

The rules, with their sources (ListAccounts' reference: https://help.aliyun.com/document_detail/160016.html,
https://www.alibabacloud.com/help/en/resource-management/developer-reference/api-resourcemanager-2020-03-31-listaccounts):
- Only "the management account of a resource directory or a delegated administrator account" may call it.
  The home account without a directory (`resource_directory: false`): 404 `EntityNotExists.ResourceDirectory`
  "The resource directory for the account is not enabled. ..." The ListAccounts page found lists no error
  codes; this one is what ResourceManager 2020-03-31 documents for the same state on its other operations
  (e.g. ResendPromoteResourceAccountEmail, CreateFolder) and what the Terraform provider expects of its
  2020-03-31 calls (aliyun/terraform-provider-alicloud, resource_alicloud_resource_manager_*.go).
  Credentials STS issued for a member: 409 `NoPermission.ResourceDirectory.MemberAccount` "ResourceDirectory
  Member Account is not authorized to perform this operation.", the code Resource Management documents for a
  member calling a management-account operation (Resource Center's DisableMultiAccountResourceCenter); not
  documented for ListAccounts itself.
- `PageNumber` from 1 (default 1), `PageSize` 1 to 100 (default 10) (models/_list_accounts_request.py); out of
  range or not a whole number: the gateway's generic `Invalid{Name}` (apierror.invalid), as the R-KVStore
  emulator answers its own paging (no ListAccounts code is documented for it). A page past the end is empty.
- The answer (models/_list_accounts_response_body.py): {PageNumber, PageSize, TotalCount, Accounts: {Account:
  [{AccountId, DisplayName, Status, Type, JoinMethod, JoinTime, FolderId, ResourceDirectoryId,
  ResourceDirectoryPath, ModifyTime}]}}; JoinMethod `created` for a resource account, `invited` for a cloud
  account; times `yyyy-MM-ddTHH:mm:ss.SSSZ` and the path `rd-…/r-…/fd-…/<account>` as the reference's example.
  The members with `listed: true`, in scenario order on every page; the home account is not among them.
- `directory_faults` act as the R-KVStore's faults do (kvstore_faults.py), after the signature check; a
  `total_count` fault answers TotalCount + `offset` on the calls it matches.
"""
from __future__ import annotations

import hashlib
import re
import time
from datetime import timedelta

from .apierror import ApiError, invalid
from .fleet import Account, Scenario
from .keyring import Keyring, Principal
from .kvstore_faults import Faults
from .rpc import Gateway, unknown_action

PAGE_SIZES = range(1, 101)
DEFAULT_PAGE_SIZE = 10


def _whole(params: dict, name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    if not re.fullmatch(r"-?[0-9]{1,9}", value):
        raise invalid(name, "It must be an integer.")
    return int(value)


def _code(seed: str, length: int) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    number = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return "".join(alphabet[(number >> (6 * k)) % len(alphabet)] for k in range(length))


class ResourceManager(Gateway):
    def __init__(self, scenario: Scenario, keyring: Keyring, clock=time.time, monotonic=time.monotonic,
                 sleep=time.sleep):
        super().__init__(keyring, clock)
        self.scenario = scenario
        faults = scenario.directory_faults
        self._faults = Faults(tuple(f for f in faults if f.kind != "total_count"), clock=monotonic, sleep=sleep)
        self._offsets = Faults(tuple(f for f in faults if f.kind == "total_count"), clock=monotonic, sleep=sleep)
        home = scenario.account
        self.directory_id = f"rd-{_code(home + ':rd', 6)}"
        self.root_folder = f"r-{_code(home + ':root', 6)}"
        self.folder = f"fd-{_code(home + ':folder', 10)}"

    def answer(self, action: str, params: dict, principal: Principal) -> tuple[dict, float]:
        if action not in ("ListAccounts", "GetResourceDirectory"):
            raise unknown_action(action)
        drip = self._faults.apply(action, None, None)
        if action == "GetResourceDirectory":
            return self.get_resource_directory(principal), drip
        return self.list_accounts(params, principal), drip

    def get_resource_directory(self, caller: Principal) -> dict:
        """GetResourceDirectory (models/_get_resource_directory_response_body.py): the directory, its management
        account the home one (the scenario's directory is the home account's)."""
        self._refuse(caller)
        return {"ResourceDirectory": {"ResourceDirectoryId": self.directory_id, "RootFolderId": self.root_folder,
                                      "MasterAccountId": self.scenario.management_account,
                                      "MasterAccountName": "management",
                                      "CreateTime": f"{self.scenario.anchor - timedelta(days=800):%Y-%m-%dT%H:%M:%SZ}",
                                      "ControlPolicyStatus": "Disabled", "MemberDeletionStatus": "Disabled"}}

    def _refuse(self, caller: Principal) -> None:
        """A member's credentials, or an account without a directory: refused as ListAccounts is."""
        if caller.account != self.scenario.account:
            raise ApiError(409, "NoPermission.ResourceDirectory.MemberAccount",
                           "ResourceDirectory Member Account is not authorized to perform this operation.")
        if not self.scenario.resource_directory:
            raise ApiError(404, "EntityNotExists.ResourceDirectory",
                           "The resource directory for the account is not enabled. We recommend that you first "
                           "enable the resource directory for the account.")

    def list_accounts(self, params: dict, caller: Principal) -> dict:
        self._refuse(caller)
        size, number = _whole(params, "PageSize", DEFAULT_PAGE_SIZE), _whole(params, "PageNumber", 1)
        if size not in PAGE_SIZES:
            raise invalid("PageSize", "Valid values: 1..100.")
        if number < 1:
            raise invalid("PageNumber", "It must be larger than 0.")
        members = [a for a in self.scenario.accounts if a.listed]
        page = members[(number - 1) * size:number * size]
        offset = sum(f.offset for f in self._offsets.firing(action="ListAccounts"))
        return {"PageNumber": number, "PageSize": size, "TotalCount": len(members) + offset,
                "Accounts": {"Account": [self._account(a, n + (number - 1) * size) for n, a in enumerate(page)]}}

    def _account(self, a: Account, n: int) -> dict:
        joined = self.scenario.anchor - timedelta(days=700) + timedelta(hours=n, seconds=n * 7 % 60)
        modified = joined + timedelta(minutes=3, milliseconds=146)
        return {
            "AccountId": a.id, "DisplayName": a.name, "Status": a.status, "Type": a.type,
            "JoinMethod": "invited" if a.type == "CloudAccount" else "created",
            "JoinTime": f"{joined:%Y-%m-%dT%H:%M:%S}.{joined.microsecond // 1000:03d}Z",
            "ModifyTime": f"{modified:%Y-%m-%dT%H:%M:%S}.{modified.microsecond // 1000:03d}Z",
            "FolderId": self.folder, "ResourceDirectoryId": self.directory_id,
            "ResourceDirectoryPath": f"{self.directory_id}/{self.root_folder}/{self.folder}/{a.id}",
        }
