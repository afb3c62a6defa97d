"""The official STS and ResourceManager SDKs pointed at a sandbox, and the R-KVStore SDK as any account (for tests)."""
from __future__ import annotations

import pytest
from alibabacloud_resourcemanager20200331 import models as rm_models
from alibabacloud_resourcemanager20200331.client import Client as ResourceManagerClient
from alibabacloud_sts20150401 import models as sts_models
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_openapi.models import Config
from darabonba.runtime import RuntimeOptions

from kvstore_sdk import Api

RUNTIME = RuntimeOptions(read_timeout=3000, connect_timeout=1000)


def _config(endpoint: str, credentials) -> Config:
    return Config(access_key_id=credentials.access_key_id, access_key_secret=credentials.access_key_secret,
                  security_token=credentials.security_token, endpoint=endpoint, protocol="http",
                  region_id="cn-hangzhou")


def sts(sb, credentials=None) -> StsClient:
    return StsClient(_config(sb.sts_endpoint, credentials or sb.credentials))


def resourcemanager(sb, credentials=None) -> ResourceManagerClient:
    return ResourceManagerClient(_config(sb.resourcemanager_endpoint, credentials or sb.credentials))


def assume(sb, account: str, role: str = "redis-backup-reader", session: str = "backup-report-20261128",
           duration: int | None = None, credentials=None, arn: str | None = None):
    """AssumeRole of acs:ram::<account>:role/<role> with the home credentials (or `credentials`): the body."""
    request = sts_models.AssumeRoleRequest(role_arn=arn or f"acs:ram::{account}:role/{role}",
                                           role_session_name=session, duration_seconds=duration)
    return sts(sb, credentials).assume_role_with_options(request, RUNTIME).body


def caller_identity(sb, credentials=None):
    return sts(sb, credentials).get_caller_identity_with_options(RUNTIME).body


def list_accounts(sb, credentials=None, **fields):
    request = rm_models.ListAccountsRequest(**fields)
    return resourcemanager(sb, credentials).list_accounts_with_options(request, RUNTIME).body


def as_account(sb, body) -> Api:
    """The R-KVStore SDK with the credentials of an AssumeRole answer."""
    c = body.credentials
    return Api(sb, access_key_id=c.access_key_id, access_key_secret=c.access_key_secret,
               security_token=c.security_token)


def refusal(call) -> tuple[int, str]:
    with pytest.raises(AlibabaCloudException) as caught:
        call()
    return caught.value.status_code, caught.value.code


def refusal_message(call) -> str:
    with pytest.raises(AlibabaCloudException) as caught:
        call()
    return caught.value.message
