"""`check`: the settings without their secrets, and per region the instances the tags select."""
from __future__ import annotations

import argparse
import time

from .. import app, redact, regions
from ..invocation import Credentials
from ..model import RegionFailure
from ..settings import Settings, load_settings, misspellings
from .credentials import credentials
from .output import describe
from .progress import Progress
from .shared import FAILED, OK, environment, home_region, parse_payload, tags_text


def cmd_check(args: argparse.Namespace, sb) -> int:
    """Prints the settings (describe), where the credentials came from, then per region the instances the
    tags select: `ID  name  kind[, N shards]  status`, then the warnings (`warnings`). Reads no backup, posts
    nothing. 0 every region listed and no warning; 1 a region could not be listed or is not one DescribeRegions
    lists (with ACCOUNTS: or an account, or the directory, could not be read), or a warning; 2 (raised) bad
    settings, no credentials.
    With --deploy: cli/preflight.cmd_preflight instead."""
    if getattr(args, "deploy", False):
        from .preflight import cmd_preflight  # s.yaml, offline: needs the dev venv's PyYAML and jsonschema
        return cmd_preflight(args, sb)
    env = environment(args, sb)
    payload = parse_payload(args.payload)
    settings = load_settings(env, payload, default_region=home_region(args, sb))
    print("Settings (environment, then --payload, then --set):")
    rows = describe(settings)
    width = max(len(name) for name, _ in rows)
    for name, shown in rows:
        print(f"  {name:<{width}} {shown}")
    creds, source = credentials(sb)
    print(f"Credentials: {source}")
    with redact.Redaction([*settings.secrets(), creds.access_key_id, creds.access_key_secret,
                           creds.security_token]) as redaction:
        redact.quiet_sdk_debug()
        if settings.accounts:
            status, selected = _list_accounts(settings, creds, home_region(args, sb), redaction)
        else:
            status, selected = _list_instances(settings, creds, home=home_region(args, sb))
    found = warnings(settings, env, selected if status == OK else None)
    if found:
        print("\nWarnings (check exits 1):\n" + "\n".join(f"  - {w}" for w in found))
    return FAILED if found else status


def warnings(settings: Settings, env: dict[str, str], selected: int | None) -> list[str]:
    """What check warns of, though the settings are valid: a tag written as the console shows it (`key:value`,
    read as a key with a colon in it), an environment variable spelt like a setting but not one (settings.misspellings),
    and tags that select no instance where every region was listed (`selected`: how many, None when a region
    was not)."""
    found = tag_warnings(settings.instance_tags)
    # A shell holds many variables: only those nearly a setting's name (INSTANCE_TAG, SLACK_WEBHOOK_URL).
    found += [f"the environment has {variable}, which is not a setting: did you mean {name}?"
              for variable, name in misspellings(env, cutoff=0.8)]
    if selected == 0:
        found.append(f"the tags select no instance in {', '.join(settings.regions)}: the run would check nothing. "
                     "INSTANCE_TAGS is key=value[,key=value…], and an instance must carry every pair")
    return found


def tag_warnings(tags: tuple[tuple[str, str | None], ...]) -> list[str]:
    """A warning for each tag of INSTANCE_TAGS (parsed: (key, value or None)) written as the console shows a
    tag, `key:value`, which INSTANCE_TAGS reads as a key with a colon in it, matching any value."""
    found = []
    for key, value in tags:
        name, colon, tag_value = key.partition(":")
        if value is None and colon and name and tag_value:
            found.append(f"INSTANCE_TAGS has {key!r}: a tag key with a colon in it, matching any value. The console "
                         f"shows a tag as key:value, but INSTANCE_TAGS is key=value: did you mean {name}={tag_value}?")
    return found


def _list_accounts(settings: Settings, creds: Credentials, home: str,
                   redaction: redact.Redaction) -> tuple[int, int]:
    """ACCOUNTS resolved as a run resolves them (scan/accounts.scope), then each account's paragraph of regions
    as `_list_instances` prints them, read through its role. (FAILED when an account, the directory or a
    region could not be read, else OK; the instances selected in all.)"""
    from ..cloud.accounts import Directory, Sts
    from ..cloud.retry import ApiFailure
    from ..scan import accounts

    deadline = time.monotonic() + 120
    edge = dict(protocol=settings.kvstore_protocol, pacer=app.pacer_for(settings),
                remaining=lambda: deadline - time.monotonic())
    sts = Sts(creds, home or settings.regions[0], endpoint=settings.sts_endpoint, **edge)
    found = accounts.scope(settings.accounts, sts,
                           lambda: Directory(creds, endpoint=settings.resourcemanager_endpoint, **edge))
    status, selected = FAILED if found.failures else OK, 0
    for failure in found.failures:
        print(redact.scrub(f"\n{failure.account.name} not listed: {failure.error.action} failed: {failure.error}"))
    own = f"its own ({found.own_id}) with these credentials, " if found.own_id in {a.account_id for a in found.listed} \
        else ""
    print(f"\n{len(found.listed)} account{'s' * (len(found.listed) != 1)} to read: {own}each other as "
          f"{settings.account_role_name} through AssumeRole (a member role trusts the function's role alone: run "
          "check as that role: docs/accounts.md)")
    for account in found.listed:
        try:
            account_creds = accounts.credentials_for(account, found.own_id, creds, sts, settings.account_role_name,
                                                     accounts.session_name("check"), accounts.MIN_SESSION)
        except ApiFailure as failure:
            print(redact.scrub(f"\n== account {account.label}: not checked: {failure.error.action} failed: "
                               f"{failure.error}"))
            status = FAILED
            continue
        redaction.add([account_creds.access_key_id, account_creds.access_key_secret, account_creds.security_token])
        print(f"\n== account {account.label}")
        listed, count = _list_instances(settings, account_creds, home)
        status, selected = max(status, listed), selected + count
    return status, selected


def _list_instances(settings: Settings, creds: Credentials, home: str) -> tuple[int, int]:
    """DescribeRegions once, then each region's tagged instances, printed. (FAILED when a region could
    not be listed or is not one DescribeRegions lists (regions.reconcile), else OK; the instances listed.)"""
    from ..cloud.kvstore import KVStore

    deadline = time.monotonic() + 120
    cloud = KVStore(creds, endpoint=settings.kvstore_endpoint, protocol=settings.kvstore_protocol,
                    pacer=app.pacer_for(settings), remaining=lambda: deadline - time.monotonic())
    tags = tags_text(settings.instance_tags)
    offered = app.offered_regions(cloud, home or settings.regions[0])
    listed, failures = _listings(cloud, settings)
    failures = regions.reconcile(settings.regions, offered, {r: len(f) for r, f in listed.items()}, failures)
    failed = {f.region: f.error for f in failures}
    for region in settings.regions:
        _print_region(region, listed.get(region, []), failed.get(region), tags)
    good = [r for r in settings.regions if r not in failed]
    total = sum(len(listed[r]) for r in good)
    print(f"\n{total} instance{'s' * (total != 1)} in {len(good)} region"
          f"{'s' * (len(good) != 1)} would be checked. Backups were not read: "
          "`run --dry-run` reads them and shows the messages.")
    return FAILED if failed else OK, total


def _listings(cloud, settings: Settings) -> tuple[dict[str, list], list[RegionFailure]]:
    """Each region's tagged instances ({region: [Instance]}), and the regions the API refused."""
    from ..cloud.retry import ApiFailure

    listed: dict[str, list] = {}
    failures: list[RegionFailure] = []
    for region in settings.regions:
        try:
            with Progress(f"listing the tagged instances in {region}", unit="listed") as progress:
                listed[region] = cloud.instances(region, settings.instance_tags,
                                                 on_page=lambda page: progress.add(len(page)))
        except ApiFailure as failure:
            failures.append(RegionFailure(region, failure.error))
    return listed, failures


def _print_region(region: str, found: list, error, tags: str) -> None:
    """A region's paragraph: why it was not checked (`error`, a model.ApiError), else its instances
    (model.Instance) by name."""
    if error is not None:
        # An API refusal's message is the service's text: it may repeat what the request carried.
        what = "listed, but the answer is odd" if error.code == "InconsistentAnswer" else "not checked"
        print(redact.scrub(f"\n{region}: {what}: {error}"))
        return
    print(f"\n{region}: {len(found)} instance{'s' * (len(found) != 1)} carry {tags}")
    rows = [(i.instance_id, i.name, i.kind + (f", {i.shard_count} shards" if i.shard_count > 1 else ""), i.status)
            for i in sorted(found, key=lambda i: (i.name, i.instance_id))]
    # Each column as wide as its widest cell (at least the former fixed widths): a long kind never runs into
    # the status.
    widths = [max([least, *(len(row[n]) for row in rows)]) for n, least in enumerate((24, 22, 20))]
    for instance_id, name, shape, status in rows:
        print(f"  {instance_id:<{widths[0]}} {name:<{widths[1]}} {shape:<{widths[2]}} {status}")
