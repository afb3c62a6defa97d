"""The accounts' edge: STS 2015-04-01 (whose account a set of credentials is, a member account's credentials
through AssumeRole) and ResourceManager 2020-03-31 (the Resource Directory's members, ListAccounts), through
the official SDKs and sdk.Edge's calls. What leaves is model data (`Account`, `Credentials`) or an ApiFailure.

The SDKs are imported when a run reads other accounts (ACCOUNTS), not before: a run of one account never
pays their import.
"""
from __future__ import annotations

import re

from . import retry, sdk
from .. import bounded
from ..invocation import Credentials
from ..model import Account, ApiError

# ListAccounts' PageSize: "1 to 100. Default value: 10" (models/_list_accounts_request.py;
# https://help.aliyun.com/document_detail/160016.htm): the largest page, the fewest calls.
MEMBERS_PAGE = 100
MAX_MEMBER_PAGES = 100  # 10,000 members: far past a Resource Directory's default quota of members
# A member's ID as ListAccounts gives it must be what ACCOUNTS accepts: digits (settings/parsers.ACCOUNT_ID).
ACCOUNT_ID = re.compile(r"[0-9]{10,20}")


class Sts(sdk.Edge):
    """STS with the function's own credentials. STS answers from a regional endpoint
    (`sts.<region>.aliyuncs.com`: the SDK's 'regional' endpoint rule, alibabacloud_sts20150401/client.py),
    asked through the function's region."""

    def __init__(self, credentials: Credentials, region: str, **options):
        from alibabacloud_sts20150401.client import Client

        self.CLIENT = Client
        super().__init__(credentials, **options)
        self._region = region

    def caller_account(self) -> str:
        """The account ID the credentials belong to (GetCallerIdentity's `AccountId`,
        models/_get_caller_identity_response_body.py). Raises ApiFailure; UnexpectedAnswer when it is not
        digits."""
        self._in_time("GetCallerIdentity")
        body = self._call(self._region, "GetCallerIdentity", lambda c, o: c.get_caller_identity_with_options(o))
        account = str(body.account_id or "")
        if not ACCOUNT_ID.fullmatch(account):
            raise retry.ApiFailure(ApiError("UnexpectedAnswer", "GetCallerIdentity gave no account ID",
                                            "GetCallerIdentity"))
        return account

    def assume(self, account_id: str, role_name: str, session_name: str, seconds: int) -> Credentials:
        """Credentials of `acs:ram::<account_id>:role/<role_name>` for `seconds` (AssumeRole; RoleArn's form
        and DurationSeconds' bounds: models/_assume_role_request.py). Raises ApiFailure (the role missing:
        EntityNotExist.Role; not trusting the caller: NoPermission; an answer without all three parts:
        UnexpectedAnswer)."""
        from alibabacloud_sts20150401 import models

        self._in_time("AssumeRole")
        request = models.AssumeRoleRequest(role_arn=f"acs:ram::{account_id}:role/{role_name}",
                                           role_session_name=session_name, duration_seconds=seconds)
        body = self._call(self._region, "AssumeRole", lambda c, o: c.assume_role_with_options(request, o))
        creds = body.credentials
        parts = [getattr(creds, name, None) for name in ("access_key_id", "access_key_secret", "security_token")]
        if not all(isinstance(part, str) and part for part in parts):
            raise retry.ApiFailure(ApiError("UnexpectedAnswer", "AssumeRole gave no whole credentials",
                                            "AssumeRole"))
        return Credentials(*parts)


class Directory(sdk.Edge):
    """The Resource Directory of the function's account, through ResourceManager (its one central endpoint,
    resourcemanager.aliyuncs.com: the SDK's 'central' rule). ListAccounts answers only to the directory's
    management account or a delegated administrator (https://help.aliyun.com/document_detail/160016.htm)."""

    def __init__(self, credentials: Credentials, **options):
        from alibabacloud_resourcemanager20200331.client import Client

        self.CLIENT = Client
        super().__init__(credentials, **options)

    def members(self) -> list[Account]:
        """Every member, every page (PageNumber from 1, MEMBERS_PAGE a page, until a short page), each once,
        in the order listed. Raises ApiFailure; InconsistentAnswer when TotalCount disagrees with what the pages
        listed, a member is listed twice or a page repeats (a directory read in part must not look whole);
        UnexpectedAnswer for a member without an ID of digits."""
        from alibabacloud_resourcemanager20200331 import models

        found: dict[str, Account] = {}
        listed, total = 0, None
        for page in range(1, MAX_MEMBER_PAGES + 1):
            self._in_time("ListAccounts")
            request = models.ListAccountsRequest(page_number=page, page_size=MEMBERS_PAGE)
            body = self._call("central", "ListAccounts", lambda c, o: c.list_accounts_with_options(request, o))
            items = [_member(item) for item in ((body.accounts.account if body.accounts else None) or [])]
            listed, total = listed + len(items), body.total_count
            fresh = {a.account_id: a for a in items if a.account_id not in found}
            found.update(fresh)
            if len(items) < MEMBERS_PAGE or not fresh:
                break
        else:  # every page was full: the directory goes on past what one run reads
            raise retry.ApiFailure(ApiError("OverLimit", f"more than {MAX_MEMBER_PAGES * MEMBERS_PAGE:,} members: "
                                            "not read whole (name the accounts in ACCOUNTS instead)", "ListAccounts"))
        if listed != len(found) or not isinstance(total, int) or isinstance(total, bool) or total != listed:
            raise retry.ApiFailure(ApiError("InconsistentAnswer", f"ListAccounts listed {listed} members "
                                            f"({len(found)} different) but its TotalCount says {total}", "ListAccounts"))
        return list(found.values())


    def management(self) -> Account:
        """The directory's management account (GetResourceDirectory's `MasterAccountId` and `MasterAccountName`,
        models/_get_resource_directory_response_body.py). Raises ApiFailure; UnexpectedAnswer without an ID."""
        self._in_time("GetResourceDirectory")
        body = self._call("central", "GetResourceDirectory", lambda c, o: c.get_resource_directory_with_options(o))
        directory = body.resource_directory
        account_id = str(getattr(directory, "master_account_id", "") or "")
        if not ACCOUNT_ID.fullmatch(account_id):
            raise retry.ApiFailure(ApiError("UnexpectedAnswer", "GetResourceDirectory gave no management account",
                                            "GetResourceDirectory"))
        return Account(account_id, bounded.text(getattr(directory, "master_account_name", "") or "", bounded.NAME))


def _member(item) -> Account:
    """One ListAccounts entry as an Account (its ID, DisplayName, Status). Status is kept as said: every
    documented one (CreateSuccess, InviteSuccess, PromoteVerifying/Failed/Expired/Cancelled/Success, the
    reference's list) is a member's, so none is skipped."""
    account_id = str(item.account_id or "")
    if not ACCOUNT_ID.fullmatch(account_id):
        raise retry.ApiFailure(ApiError("UnexpectedAnswer", "ListAccounts listed a member without an account ID",
                                        "ListAccounts"))
    return Account(account_id, bounded.text(item.display_name or "", bounded.NAME),
                   bounded.text(item.status or "", bounded.WORD))
