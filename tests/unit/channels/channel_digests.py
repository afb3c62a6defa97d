"""Digests built by hand for the channels' unit tests: no run, no sandbox, no socket."""
from __future__ import annotations

import json

from backup_report import digest as d
from backup_report.channels.http import Answer
from backup_report.model import Checked, Instance, Kind, RegionFailure, Verdict

WINDOW = "Backups from Fri 27 Nov 09:00 to Sat 28 Nov 09:00 (Asia/Shanghai)"
SCOPE = "tags backup-report=daily in cn-hangzhou"


def checked(i: int, kind: Kind = Kind.FAILED, detail: str = "the last backup failed at 18:10",
            name: str | None = None) -> Checked:
    instance = Instance(f"r-inst{i:05d}", name if name is not None else f"cache-{i:05d}", "cn-hangzhou")
    return Checked(instance, Verdict(kind, detail), console_url=d.console_url(instance, "cn"))


def digest(n: int = 3, status: str = "alert", kind: Kind = Kind.FAILED, detail: str = "the last backup failed at 18:10",
           notes: tuple[str, ...] = (), unchecked: tuple[RegionFailure, ...] = (), link: str = "",
           headline: str | None = None) -> d.Digest:
    """A digest listing `n` instances of `kind` (none for an "ok" one)."""
    items = tuple(checked(i, kind, detail) for i in range(n))
    return d.Digest(
        status=status,
        headline=headline if headline is not None else f"{d.EMOJI[status]} Redis backups: {n} need attention · 2 fine",
        groups=(d.Group(kind, items),) if items else (),
        unchecked_regions=unchecked,
        fine_line="✅ 2 ok",
        window_line=WINDOW,
        scope_line=SCOPE,
        request_id="req-0001",
        notes=notes,
        link=link,
        link_valid="up to 36 hours" if link else "",
    )


def answer(status: int, body: bytes | dict | list | str = b"", headers: dict | None = None) -> Answer:
    """An Answer as the transport hands it to a channel; a dict or list body is JSON."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body, ensure_ascii=False)
    if isinstance(body, str):
        body = body.encode("utf-8")
    return Answer(status, headers or {}, body)


def shown_ids(text: str) -> list[str]:
    """The instance IDs a text lists, in order (each once: a linked name's URL names it too)."""
    import re

    return list(dict.fromkeys(re.findall(r"r-inst\d{5}", text)))


def hidden(text: str) -> int:
    """N of "…and N more" in a text, 0 when the list was not cut."""
    import re

    found = re.findall(r"…and (\d+) more \(all are in the run's result and log\)", text)
    return int(found[0]) if found else 0
