"""Scope, one level up: which accounts a run reads (ACCOUNTS), as whom, and one Findings from them all.

Each account is read as ACCOUNT_ROLE_NAME in it, with credentials STS's AssumeRole gives the function's own
role (the function's own account, when listed, with its own credentials); the same tags, regions and
settings in every account, each under its own quotas (they are per account). An account whose role cannot be
assumed, or a directory that cannot be listed, is an AccountFailure: named at the top of the digest, never
left out, never counted fine. Pure but for the callables it is handed (the cloud edge's calls).
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Protocol

from ..cloud.retry import ApiFailure
from ..invocation import Credentials
from ..model import Account, AccountFailure, Checked, Coverage, Findings, Window
from ..settings.parsers import RESOURCE_DIRECTORY

log = logging.getLogger("backup_report")
OWN_NAME = "this function's account"
# Stand-ins named where an account is not known by its ID: the function's own when GetCallerIdentity failed,
# the directory's management account when GetResourceDirectory did.
OWN = Account("own", "this function's own account")
MANAGEMENT = Account("management", "the Resource Directory's management account")
DIRECTORY = Account(RESOURCE_DIRECTORY, "the Resource Directory's members")
# RoleSessionName: "2 to 64 characters … letters, digits, and . @ - _" (alibabacloud_sts20150401
# models/_assume_role_request.py); an older STS error page says 2-32 characters
# (https://www.alibabacloud.com/help/doc-detail/42775.htm). Both are met: at most 32.
SESSION_CHARS = 32
SESSION_FORBIDDEN = re.compile(r"[^A-Za-z0-9.@_-]")
# DurationSeconds: from 900 to the role's MaxSessionDuration, default 3600 (models/_assume_role_request.py;
# "900 to 3600 seconds", https://www.alibabacloud.com/help/doc-detail/139021.htm). 3600 at most, which any
# role allows; a run of one account longer than that is split by accounts (docs/accounts.md).
MIN_SESSION, MAX_SESSION = 900, 3600


def session_name(request_id: str) -> str:
    """The RoleSessionName naming the run in the member's ActionTrail: `backup-report-<request ID>`, at most
    SESSION_CHARS of STS's characters."""
    return ("backup-report-" + SESSION_FORBIDDEN.sub("-", request_id))[:SESSION_CHARS]


def session_seconds(seconds_left: float) -> int:
    """DurationSeconds for credentials that must outlast the rest of the run (`seconds_left`), in STS's bounds."""
    return max(MIN_SESSION, min(MAX_SESSION, math.ceil(seconds_left) + 60))


def targets(accounts: tuple[str, ...], members: list[Account] | None, own_id: str | None = None) -> list[Account]:
    """The accounts to read: ACCOUNTS' IDs in their order, with `members` (ListAccounts') where it names
    `resource-directory`, each once, with its DisplayName when the directory gave one. With the directory,
    the function's own account (`own_id`) is read too, first, when ListAccounts does not list it: the
    management account is not documented as one of its members, and its instances must not drop out unsaid."""
    named = {m.account_id: m for m in members or []}
    out: dict[str, Account] = {}
    if RESOURCE_DIRECTORY in accounts and own_id and own_id not in named:
        out[own_id] = Account(own_id, OWN_NAME)
    for entry in accounts:
        listed = (members or []) if entry == RESOURCE_DIRECTORY else [named.get(entry, Account(entry))]
        out.update((a.account_id, a) for a in listed if a.account_id not in out)
    return list(out.values())


@dataclass
class Scope:
    """Which accounts a run reads: `own_id` the function's own account (None when GetCallerIdentity failed:
    then every account, its own too, is read through the role), `listed` the accounts to read in order, and
    `failures` what could not be listed (the Resource Directory)."""

    own_id: str | None
    listed: list[Account]
    failures: list[AccountFailure] = field(default_factory=list)


class Identity(Protocol):
    def caller_account(self) -> str: ...
    def assume(self, account_id: str, role_name: str, session_name: str, seconds: int) -> Credentials: ...


class Members(Protocol):
    def members(self) -> list[Account]: ...
    def management(self) -> Account: ...


def scope(wanted: tuple[str, ...], sts: Identity, directory: Callable[[], Members]) -> Scope:
    """ACCOUNTS (`wanted`) resolved: the function's own account asked of STS, and when `wanted` names the
    directory, its members listed and its management account asked (`directory()` makes its edge). Never
    raises: what could not be asked is in `failures`, named in the digest: with the directory, the function's
    own account when GetCallerIdentity failed (it may be the management account, which ListAccounts is not
    documented to list), and the management account when GetResourceDirectory did."""
    failures: list[AccountFailure] = []
    try:
        own_id: str | None = sts.caller_account()
    except ApiFailure as failure:
        log.warning("GetCallerIdentity failed: %s", failure.error)
        own_id = None
        if RESOURCE_DIRECTORY in wanted:
            failures.append(AccountFailure(OWN, failure.error))
    members = None
    if RESOURCE_DIRECTORY in wanted:
        edge = directory()
        try:
            members = edge.members()
        except ApiFailure as failure:
            failures.append(AccountFailure(DIRECTORY, failure.error))
        else:
            members += _management(edge, members, own_id, failures)
    return Scope(own_id, targets(wanted, members, own_id), failures)


def _management(edge: Members, members: list[Account], own_id: str | None, failures: list) -> list[Account]:
    """The management account, when it is neither the function's own nor listed among the members (a delegated
    administrator's function): read like a member, so its instances are never left out unsaid."""
    try:
        manager = edge.management()
    except ApiFailure as failure:
        failures.append(AccountFailure(MANAGEMENT, failure.error))
        return []
    return [] if manager.account_id == own_id or manager.account_id in {m.account_id for m in members} else [manager]


def credentials_for(account: Account, own_id: str | None, own: Credentials, sts: Identity, role_name: str,
                    session: str, seconds: int) -> Credentials:
    """The credentials to read `account` with: the function's own in its own account, else AssumeRole's of
    `role_name` in it, for `seconds`. Raises ApiFailure."""
    if account.account_id == own_id:
        return own
    return sts.assume(account.account_id, role_name, session, seconds)


def stamped(findings: Findings, covered: list[Coverage], account_id: str) -> tuple[Findings, list[Coverage]]:
    """One account's Findings and coverage with its ID on every instance, region failure and coverage line."""
    def mark(c: Checked) -> Checked:
        return replace(c, instance=replace(c.instance, account_id=account_id))

    findings = replace(findings, checked=[mark(c) for c in findings.checked],
                       region_failures=[replace(f, account_id=account_id) for f in findings.region_failures])
    return findings, [replace(c, account_id=account_id,
                              unwatched=tuple(replace(i, account_id=account_id) for i in c.unwatched))
                      for c in covered]


def merged(window: Window, parts: list[tuple[Findings, list[Coverage]]], accounts: list[Account],
           failures: list[AccountFailure]) -> tuple[Findings, list[Coverage]]:
    """Every account's Findings as one: instances and region failures over all accounts, the accounts read
    and those that could not be; the coverage of every account's regions."""
    findings = Findings(window=window, accounts=list(accounts), account_failures=list(failures))
    covered: list[Coverage] = []
    for part, cover in parts:
        findings.checked += part.checked
        findings.region_failures += part.region_failures
        covered += cover
    findings.checked.sort(key=lambda c: (c.verdict.kind.rank, c.instance.account_id, c.instance.region,
                                         c.instance.name))
    return findings, covered


def seen(findings: Findings) -> frozenset[str] | None:
    """With the directory not listed, the accounts this run read: an earlier run's instance of any other was
    not looked at, so it is not gone. None otherwise (every account not read is in `region_failures`)."""
    if not any(f.account == DIRECTORY for f in findings.account_failures):
        return None
    failed = {f.account.account_id for f in findings.account_failures}
    return frozenset(a.account_id for a in findings.accounts if a.account_id not in failed)


def region_failures(findings: Findings) -> set[tuple[str, str]]:
    """(account ID, region) of every region not checked, and (account ID, "") of every account not checked:
    what the archive's "gone since the last run" must not count as gone."""
    return {(f.account_id, f.region) for f in findings.region_failures} | \
        {(f.account.account_id, "") for f in findings.account_failures}

