"""What a run says, before it is dressed for a channel: the outcome, counts, who needs what.

Pure: built from the Findings and the settings. The renderers (`channels.dingtalk`,
`channels.slack`) only lay it out within their channel's limits.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import tzinfo
from typing import Callable

from . import humanize
from .model import AccountFailure, Checked, Coverage, Findings, Kind, RegionFailure, Severity

EMOJI = {"alert": "🔴", "warning": "🟠", "ok": "🟢"}
KIND_EMOJI = {
    Kind.ERROR: "⛔", Kind.FAILED: "❌", Kind.MISSING: "🕳️", Kind.INCOMPLETE: "🧩",
    Kind.RUNNING: "⏳", Kind.INACTIVE: "⏸️", Kind.SHRUNK: "📉", Kind.RECOVERED: "♻️", Kind.POLICY: "📋",
    Kind.AT_RISK: "🔭",
}
KIND_TITLE = {
    Kind.ERROR: "Could not be checked", Kind.FAILED: "Backup failed", Kind.MISSING: "Backup missing",
    Kind.INCOMPLETE: "Shards not backed up", Kind.RUNNING: "Backup still running", Kind.INACTIVE: "Not in service", Kind.SHRUNK: "Backup shrank",
    Kind.RECOVERED: "Failed, then recovered", Kind.POLICY: "Backup policy below the controls",
    Kind.AT_RISK: "Risks ahead",
}
FINE_EMOJI = "✅"
FINE_WORDS = {Kind.OK: "ok", Kind.NOT_DUE: "not due", Kind.NEW: "new"}  # the fine line's words


def title(kind: Kind) -> str:
    """A verdict as the messages name it: its group's heading ("❌ Backup failed") or, for a fine one, its
    word in the fine line ("✅ not due")."""
    if kind in FINE_WORDS:
        return f"{FINE_EMOJI} {FINE_WORDS[kind]}"
    return f"{KIND_EMOJI[kind]} {KIND_TITLE[kind]}"


@dataclass(frozen=True)
class Group:
    kind: Kind
    items: tuple[Checked, ...]

    @property
    def heading(self) -> str:
        return f"{KIND_EMOJI[self.kind]} {KIND_TITLE[self.kind]} ({len(self.items)})"


@dataclass(frozen=True)
class Digest:
    status: str  # "ok" | "warning" | "alert"
    headline: str
    groups: tuple[Group, ...]  # alerts first, then warnings; worst first
    unchecked_regions: tuple[RegionFailure, ...]
    fine_line: str
    window_line: str
    scope_line: str
    request_id: str
    notes: tuple[str, ...] = ()  # outside text, one line each, under the headline (a settings alert's problems)
    link: str = ""  # the report page's pre-signed URL (ARCHIVE_OSS_BUCKET), shown as LINK_TEXT under the fine line
    link_valid: str = ""  # how long the link is valid, as said: "up to 36 hours" (archive.oss.link_validity)
    unchecked_accounts: tuple[AccountFailure, ...] = ()  # ACCOUNTS: each account (or the directory) not read
    footer_notes: tuple[str, ...] = ()  # our own words on the run itself, after the footer (a wrong HEARTBEAT_URL)

    @property
    def link_text(self) -> str:
        return f"📄 Report page: every instance, 30 days (link valid {self.link_valid})"

    @property
    def needs_post(self) -> bool:
        # Notes (what changed since the last run: an instance gone, retention cut) are worth a post
        # under NOTIFY_ON=failure too: they are how protection is lost quietly.
        return self.status != "ok" or bool(self.notes)


def page_not_archived(why: str, written: bool = False) -> str:
    """The note a digest carries instead of the page's link: the page was not written before the post (`why`:
    OSS's reason, one line), or it was but its link could not be signed."""
    return f"report page {'not linked' if written else 'not archived'}: {why}"


def previous_not_read(why: str) -> str:
    """The note of a run whose previous archived run was not read from OSS (`why`): nothing is compared."""
    return f"what changed since the last run is not reported: {why}"


def run_status(findings: Findings) -> str:
    severities = {c.verdict.severity for c in findings.checked}
    if findings.region_failures or findings.account_failures or Severity.ALERT in severities:
        return "alert"
    if not findings.checked:
        return "warning"  # nothing matched the tags: most likely a setting, and nothing is watched
    return "warning" if Severity.WARNING in severities else "ok"


def counts(findings: Findings) -> dict[str, int]:
    tally = {kind.value: 0 for kind in Kind}
    for c in findings.checked:
        tally[c.verdict.kind.value] += 1
    return tally


def build(findings: Findings, tz: tzinfo, tz_name: str, scope: str, request_id: str,
          coverage: tuple[Coverage, ...] = (), console: str = "cn", owner_tag: str = "") -> Digest:
    """`coverage`: the scanned regions' unwatched instances (COVERAGE); `console`: CONSOLE, which
    console the instance names link to; `owner_tag`: OWNER_TAG, whose value each line shows. With
    ACCOUNTS (`findings.accounts`), each line names its account and the accounts not read come first."""
    status = run_status(findings)
    groups = _groups(findings, console, owner_tag)
    fine = [c for c in findings.checked if c.verdict.severity is Severity.FINE]
    window = findings.window
    return Digest(
        status=status,
        headline=f"{EMOJI[status]} Redis backups: " + " · ".join(_headline_parts(findings, groups, fine, scope)),
        groups=groups,
        unchecked_regions=tuple(findings.region_failures),
        fine_line=_fine_line(fine),
        window_line=(f"Backups from {humanize.at(window.start, tz)} to {humanize.at(window.end, tz)} "
                     f"({tz_name})"),
        scope_line="; ".join([scope] + coverage_lines(coverage, bool(findings.accounts))),
        request_id=request_id,
        unchecked_accounts=tuple(findings.account_failures),
    )


def _groups(findings: Findings, console: str, owner_tag: str) -> tuple[Group, ...]:
    """The verdict groups that need a look, worst first, each line with its owner, console link and account."""
    labels = {a.account_id: a.label for a in findings.accounts}
    by_kind: dict[Kind, list[Checked]] = {}
    for c in findings.checked:
        owner = c.instance.tag(owner_tag) if owner_tag else ""
        c = replace(c, owner=f"{owner_tag}: {owner}" if owner else "", console_url=console_url(c.instance, console),
                    account=labels.get(c.instance.account_id, c.instance.account_id))
        by_kind.setdefault(c.verdict.kind, []).append(c)
    return tuple(
        Group(kind, tuple(sorted(by_kind[kind], key=lambda c: (c.instance.account_id, c.instance.region,
                                                               c.instance.name))))
        for kind in Kind if kind in by_kind and kind.severity is not Severity.FINE)


def _headline_parts(findings: Findings, groups: tuple[Group, ...], fine: list[Checked], scope: str) -> list[str]:
    """"2 need attention", "1 warning", "5 fine"; or that nothing was found in the scope."""
    if not findings.checked and not findings.region_failures and not findings.account_failures:
        return [f"no instance found ({scope})"]
    alerts = sum(len(g.items) for g in groups if g.kind.severity is Severity.ALERT) + \
        len(findings.region_failures) + len(findings.account_failures)
    warnings = sum(len(g.items) for g in groups if g.kind.severity is Severity.WARNING)
    parts = []
    if alerts:
        parts.append(f"{alerts} need{'s' if alerts == 1 else ''} attention")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    parts.append(f"{len(fine)} fine")
    return parts


MAX_ACCOUNT_LINES = 20  # accounts not checked named in a message; the result and the log have every one
MAX_COVERAGE_ERRORS = 5  # accounts' regions whose coverage is unknown, named one by one; the rest counted


def coverage_lines(coverage: tuple[Coverage, ...], many_accounts: bool) -> list[str]:
    """The coverage clauses of the scope line: one per region, or with ACCOUNTS one for every account's
    regions together (the result has each), and those whose listing failed, by account and region."""
    if not many_accounts:
        return [coverage_line(c) for c in coverage]
    known = [c for c in coverage if c.error is None]
    failed = [c for c in coverage if c.error is not None]
    n = sum(len(c.unwatched) for c in known)
    pairs = f"{len(known)} account region{'s' if len(known) != 1 else ''}"
    lines = [f"every instance of the {pairs} read is in this report" if n == 0 else
             f"{n} other instance{'s' if n != 1 else ''} of the {pairs} read {'are' if n != 1 else 'is'} not in "
             "this report (the result lists them)"] if known else []
    lines += [f"instances outside the report in {c.region} of account {c.account_id} not counted: "
              f"DescribeInstances failed: {c.error}" for c in failed[:MAX_COVERAGE_ERRORS]]
    if len(failed) > MAX_COVERAGE_ERRORS:
        lines.append(f"…and {len(failed) - MAX_COVERAGE_ERRORS} more account regions whose coverage is not known")
    return lines


def coverage_line(c: Coverage) -> str:
    """"5 other instances in cn-hangzhou are not in this report", or why that is not known."""
    if c.error is not None:
        return f"instances outside the report in {c.region} not counted: DescribeInstances failed: {c.error}"
    n = len(c.unwatched)
    if n == 0:
        return f"every instance in {c.region} is in this report"
    return f"{n} other instance{'s' if n != 1 else ''} in {c.region} {'are' if n != 1 else 'is'} not in this report"


# The console's instance list is documented per region, https://kvstore.console.aliyun.com/Redis/instance/cn-hangzhou
# (China site) and https://kvstore.console.alibabacloud.com/Redis/instance/cn-hangzhou (international site:
# the "Instances" links of the Alibaba Cloud Redis user guide); the instance's own page is that path plus
# the instance ID, as public console-link helpers build it (e.g. an ARN link helper's
# `https://kvstore.console.aliyun.com/Redis/instance/${region}/${resource}`). No page documents that last
# step: a link that misses lands on the region's instance list.
CONSOLES = {"cn": "https://kvstore.console.aliyun.com", "intl": "https://kvstore.console.alibabacloud.com"}
# Instance IDs as DescribeInstances returns them: a short prefix and lower-case letters and digits
# (r-bp1zxszhcgatnx****, the reference's example); region IDs as settings.REGION_ID reads them. An ID of
# any other form is outside text that could change the URL: it gets no link.
INSTANCE_ID = re.compile(r"^[a-z]{1,3}-[a-z0-9]{4,40}$")
REGION_ID = re.compile(r"^[a-z]{2,}(-[a-z0-9]+){1,3}$")


def console_url(instance, console: str) -> str:
    """The instance's page in the CONSOLE (`cn` / `intl`), or "" when its ID or region is not of the
    documented form."""
    return instance_url(instance.instance_id, instance.region, console)


def instance_url(instance_id: str, region: str, console: str) -> str:
    """`console_url` from an instance's ID and region (as the archive keeps them)."""
    if not INSTANCE_ID.fullmatch(instance_id) or not REGION_ID.fullmatch(region):
        return ""
    return f"{CONSOLES[console]}/Redis/instance/{region}/{instance_id}"


MAX_NOTES = 12  # problems a settings alert lists; all of them are in the result and the log


def settings_alert(problems: list[str], request_id: str) -> Digest:
    """A run stopped by its settings (or its payload, or missing credentials), for any channel to
    render: the headline says so, each problem (naming the setting and the accepted form) is a line."""
    shown = [*problems[:MAX_NOTES]]
    if len(problems) > MAX_NOTES:
        shown.append(f"…and {len(problems) - MAX_NOTES} more (all are in the run's result and log)")
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    return Digest(
        status="alert",
        headline=f"{EMOJI['alert']} Redis backup report did not run: its settings have {count}",
        groups=(), unchecked_regions=(),
        fine_line="⛔ No backup was checked. Fix the function's environment (s.yaml) or the trigger's "
                  "payload; the next run reports as usual.",
        window_line="No window: the run stopped at its settings",
        scope_line="no R-KVStore API call was made",
        request_id=request_id,
        notes=tuple(shown),
    )


def _fine_line(fine: list[Checked]) -> str:
    tally = {kind: 0 for kind in FINE_WORDS}
    for c in fine:
        tally[c.verdict.kind] += 1
    shown = [f"{n} {FINE_WORDS[k]}" for k, n in tally.items() if n]
    return f"{FINE_EMOJI} " + (" · ".join(shown) if shown else "none fine")


def flat(groups: tuple[Group, ...]) -> list[tuple[Group, Checked]]:
    """The items in the order they are shown, so a cut list keeps the most urgent."""
    return [(g, c) for g in groups for c in g.items]


# How much of an outside text a list line shows. Instance names are 2-80 characters in the console
# (DescribeInstances `InstanceName`), but the API returns whatever was set.
NAME_CHARS = 80
DETAIL_CHARS = 600


def _as_is(text: str, max_chars: int) -> str:
    return text


def item_line(c: Checked, show: Callable[[str, int], str] = _as_is,
              link: Callable[[str, str], str] | None = None) -> str:
    """One instance that needs a look: name (linked to its console page when the channel can `link`),
    ID, region, owner, the one fact behind the verdict, and its history strip and streak.

    `show(text, max_chars)` is how a channel shows an outside text (one line, capped, escaped);
    `link(url, shown_name)` how it links an already shown text to a URL built by `console_url`."""
    i = c.instance
    name = show(i.name, NAME_CHARS)
    if link is not None and c.console_url:
        name = link(c.console_url, name)
    where = [show(i.instance_id, NAME_CHARS), show(i.region, NAME_CHARS)]
    if c.account:
        where.append("account " + show(c.account, NAME_CHARS * 2))
    if c.owner:
        where.append(show(c.owner, NAME_CHARS * 2))
    return f"{name} ({', '.join(where)}): {show(c.verdict.detail, DETAIL_CHARS)}{history_text(c)}"


def history_text(c: Checked) -> str:
    """" — last 7 days ✓✓✓✓✓✓✗ (failing since Nov 28)" for an instance with a history strip, else ""."""
    h = c.verdict.history
    if h is None:
        return ""
    return f" — last {len(h.days)} days {h.strip}" + (f" ({h.streak})" if h.streak else "")


MAX_REGION_LINES = 10  # lines of regions not checked in a message; the result and the log have every one
MAX_GROUP_ACCOUNTS = 3  # accounts a grouped line names; the rest are counted


def region_lines(failures: tuple[RegionFailure, ...], show: Callable[[str, int], str] = _as_is) -> list[str]:
    """The lines of the regions not checked, at most MAX_REGION_LINES and "…and N more". With ACCOUNTS, the
    regions that failed alike (the same error) are one line, naming their regions and a few of their accounts:
    60 members refused alike must not crowd the message past what a channel takes."""
    if not any(f.account_id for f in failures):
        lines = [region_line(f, show) for f in failures]
    else:
        alike: dict[str, list[RegionFailure]] = {}
        for f in failures:
            alike.setdefault(str(f.error), []).append(f)
        lines = [region_line(group[0], show) if len(group) == 1 else _alike_line(group, show) for group in alike.values()]
    if len(lines) > MAX_REGION_LINES:
        lines = lines[:MAX_REGION_LINES] + [f"…and {len(lines) - MAX_REGION_LINES} more (all are in the run's result "
                                            "and log)"]
    return lines


def _alike_line(group: list[RegionFailure], show: Callable[[str, int], str]) -> str:
    """"12 regions not checked (cn-hangzhou, cn-shanghai of accounts A, B, C and 3 more): <error>"."""
    regions = ", ".join(dict.fromkeys(f.region for f in group))
    named = list(dict.fromkeys(f.account_id for f in group))
    more = f" and {len(named) - MAX_GROUP_ACCOUNTS} more" if len(named) > MAX_GROUP_ACCOUNTS else ""
    of = f"account{'s' if len(named) != 1 else ''} {', '.join(named[:MAX_GROUP_ACCOUNTS])}{more}"
    return (f"{len(group)} regions not checked ({show(regions, NAME_CHARS * 2)} of {show(of, NAME_CHARS * 2)}): "
            f"{show(str(group[0].error), DETAIL_CHARS)}")


def region_line(failure: RegionFailure, show: Callable[[str, int], str] = _as_is) -> str:
    of = f" of account {show(failure.account_id, NAME_CHARS)}" if failure.account_id else ""
    return f"region {show(failure.region, NAME_CHARS)}{of} not checked: {show(str(failure.error), DETAIL_CHARS)}"


def account_line(failure: AccountFailure, show: Callable[[str, int], str] = _as_is) -> str:
    """"account 1234567890123456 (legacy) not checked: AssumeRole failed: EntityNotExist.Role: …"."""
    account = failure.account
    # The directory and the stand-ins for an account not known by its ID are named, not numbered.
    what = "account " + account.label if account.account_id.isdigit() else account.name
    if account.status and account.status not in MEMBER_STATUSES:
        what += f", {account.status} in the Resource Directory"
    action = f"{failure.error.action} failed: " if failure.error.action else ""
    return f"{show(what, NAME_CHARS * 2)} not checked: {show(action + str(failure.error), DETAIL_CHARS)}"


# ListAccounts' statuses of a member that has joined (https://help.aliyun.com/document_detail/160016.htm); any
# other (a promotion under way or failed, or CreateFailed and the like, which CreateCloudAccount's model
# documents) is said beside an account that could not be read, as a likely reason.
MEMBER_STATUSES = ("CreateSuccess", "InviteSuccess", "PromoteSuccess")
