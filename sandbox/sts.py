"""STS 2015-04-01 emulator: `AssumeRole` and `GetCallerIdentity` as the official SDK sends them
(alibabacloud_sts20150401: RPC, POST, parameters in the query, ACS3-HMAC-SHA256), over `rpc.Gateway`.

Only the scenario's own credentials (the home account's) and credentials this STS issued are accepted
(any other key: `InvalidAccessKeyId.NotFound`, as the R-KVStore answers it). The rules, with their sources:

- `RoleArn` is `acs:ram::<account ID>:role/<role name>` (models/_assume_role_request.py), else 400
  `InvalidParameter.RoleArn` "The parameter RoleArn is wrongly formed." (AssumeRole's error codes:
  github.com/AlibabaCloudDocs/ram, intl.zh-CN/API参考/API 参考（STS）/操作接口/AssumeRole.md).
- `RoleSessionName` is 2 to 64 letters, digits and `. @ - _` (models/_assume_role_request.py); the older
  reference says 2 to 32 (AssumeRole.md above; https://www.alibabacloud.com/help/doc-detail/42775.htm).
  Outside 2-64 or with other characters: 400 `InvalidParameter.RoleSessionName` "The parameter
  RoleSessionName is wrongly formed." (both pages). The name is kept (`calls`, `issued`), so a test can
  hold a caller to the stricter 32.
- `DurationSeconds` is 900 up to the role's MaxSessionDuration, default 3600 (models/_assume_role_request.py);
  the sandbox's roles keep RAM's default MaxSessionDuration, 3600, so outside 900-3600 (or not a whole
  number): 400 `InvalidParameter.DurationSeconds` "The Min/Max value of DurationSeconds is 15min/1hr."
  (AssumeRole.md, 42775.htm).
- A role that does not exist (a member's `role: missing`, another role name than its `role_name`, an
  account the scenario does not have): 404 `EntityNotExist.Role` "The specified Role not exists."
  (AssumeRole.md; aliyun/openapi-sdk-php, tests/Feature/StsTest.php, gets it for a made-up account).
- A role whose trust policy does not name the caller (a member's `role: untrusted`; and every role to a
  caller holding credentials STS issued, since the member roles trust the reporter's own role only): 403
  `NoPermission` "You are not authorized to do this action. You should be authorized by RAM." (AssumeRole.md).
- `RoleArn` or `RoleSessionName` absent: the gateway's generic `Missing{Name}` (apierror.missing).

The home account has the role too (`redis-backup-reader`, trusting its own caller): a run that names its
own account in ACCOUNTS may read it through the role like any other.

Answers: models/_assume_role_response_body.py (`Credentials` {AccessKeyId, AccessKeySecret, SecurityToken,
Expiration}, `AssumedRoleUser` {Arn, AssumedRoleId}) in the reference's forms: Arn
`acs:ram::<account>:role/<role>/<session>`, AssumedRoleId `<role ID>:<session>`, Expiration
`yyyy-MM-ddTHH:mm:ssZ` (UTC, now + DurationSeconds, by the real clock like the signature's).
GetCallerIdentity (https://help.aliyun.com/document_detail/43767.html; models/_get_caller_identity_response_body.py):
IdentityType `Account` | `RAMUser` | `AssumedRoleUser`, `UserId` only for an account or a RAM user, `RoleId`
only for a role; an assumed role's Arn is `acs:ram::<account>:assumed-role/<role>/<session>` and its
PrincipalId `<role ID>:<session>` (as `aliyun sts GetCallerIdentity` prints them in Alibaba Cloud's CLI
guides). The home credentials with an STS token are the function's own role on FC (`FUNCTION_ROLE`);
without one, a RAM user (`FUNCTION_USER`).
"""
from __future__ import annotations

import hashlib
import re
import time

from .apierror import ApiError, missing
from .fleet import ROLE_NAME, Scenario
from .keyring import Keyring, Principal
from .kvstore_faults import Faults
from .rpc import Gateway, unknown_action

ROLE_ARN = re.compile(r"acs:ram::([0-9]+):role/([^/:]+)")
SESSION_NAME = re.compile(r"[A-Za-z0-9.@_-]{2,64}")
DURATION = range(900, 3601)  # 900 .. MaxSessionDuration (RAM's default, 3600)
DEFAULT_DURATION = 3600
FUNCTION_ROLE = ("redis-backup-report", "fc-redis-backup-report")  # (role, session) of the home token
FUNCTION_USER = "redis-backup-report"


def role_id(account: str, role: str) -> str:
    """A role's ID: 17 digits, fixed for the account and role (like `34458433936495****` in the reference)."""
    return str(10**16 + int(hashlib.sha256(f"{account}:{role}".encode()).hexdigest(), 16) % (9 * 10**16))


class STS(Gateway):
    def __init__(self, scenario: Scenario, keyring: Keyring, clock=time.time, monotonic=time.monotonic,
                 sleep=time.sleep):
        super().__init__(keyring, clock)
        self.scenario = scenario
        self._faults = Faults(scenario.sts_faults, clock=monotonic, sleep=sleep)  # as the R-KVStore's act

    @property
    def issued(self) -> dict[str, list[Principal]]:
        """Account -> the credentials issued for it (`.credentials`, `.role`, `.session`, `.expiration`)."""
        return self.keyring.issued()

    def answer(self, action: str, params: dict, principal: Principal) -> tuple[dict, float]:
        if action not in ("AssumeRole", "GetCallerIdentity"):
            raise unknown_action(action)
        drip = self._faults.apply(action, None, None)
        if action == "AssumeRole":
            return self.assume_role(params, principal), drip
        return self.get_caller_identity(principal), drip

    def assume_role(self, params: dict, caller: Principal) -> dict:
        arn, session = params.get("RoleArn"), params.get("RoleSessionName")
        if not arn:
            raise missing("RoleArn")
        if not session:
            raise missing("RoleSessionName")
        match = ROLE_ARN.fullmatch(arn)
        if not match:
            raise ApiError(400, "InvalidParameter.RoleArn", "The parameter RoleArn is wrongly formed.")
        if not SESSION_NAME.fullmatch(session):
            raise ApiError(400, "InvalidParameter.RoleSessionName",
                           "The parameter RoleSessionName is wrongly formed.")
        duration = params.get("DurationSeconds") or str(DEFAULT_DURATION)
        if not re.fullmatch(r"[0-9]{1,9}", duration) or int(duration) not in DURATION:
            raise ApiError(400, "InvalidParameter.DurationSeconds",
                           "The Min/Max value of DurationSeconds is 15min/1hr.")
        account, role = match.groups()
        state = self._role(account, role)
        if state is None:
            raise ApiError(404, "EntityNotExist.Role", "The specified Role not exists.")
        if state != "ok" or caller.issued:
            raise ApiError(403, "NoPermission",
                           "You are not authorized to do this action. You should be authorized by RAM.")
        issued = self.keyring.issue(account, role, session, int(duration), self.now())
        return {
            "Credentials": {"AccessKeyId": issued.access_key_id, "AccessKeySecret": issued.access_key_secret,
                            "SecurityToken": issued.security_token,
                            "Expiration": f"{issued.expiration:%Y-%m-%dT%H:%M:%SZ}"},
            "AssumedRoleUser": {"Arn": f"acs:ram::{account}:role/{role}/{session}",
                                "AssumedRoleId": f"{role_id(account, role)}:{session}"},
        }

    def _role(self, account: str, role: str) -> str | None:
        """"ok" / "untrusted" for a role that exists, None for one that does not."""
        if account == self.scenario.account:
            return "ok" if role == ROLE_NAME else None
        member = self.scenario.member(account)
        if member is None or member.role == "missing" or role != member.role_name:
            return None
        return member.role

    def get_caller_identity(self, caller: Principal) -> dict:
        if caller.issued:
            role, session = caller.role, caller.session
        elif caller.security_token:
            role, session = FUNCTION_ROLE
        else:
            user_id = role_id(caller.account, f"user/{FUNCTION_USER}")
            return {"IdentityType": "RAMUser", "AccountId": caller.account, "UserId": user_id,
                    "PrincipalId": user_id, "Arn": f"acs:ram::{caller.account}:user/{FUNCTION_USER}"}
        rid = role_id(caller.account, role)
        return {"IdentityType": "AssumedRoleUser", "AccountId": caller.account, "RoleId": rid,
                "PrincipalId": f"{rid}:{session}", "Arn": f"acs:ram::{caller.account}:assumed-role/{role}/{session}"}
