"""A many-account run split into pieces, one account each, run as Function Compute asynchronous invocations of
the function itself, and collected into one digest (docs/accounts.md, "Pieces").

- The run that fires (the timer's) resolves the accounts, writes the run's manifest to the archive's bucket
  (`manifest.py`: the pieces that must exist, before the first one starts) and starts one async task a piece
  (`tasks.py`: InvokeFunction, `x-fc-async-task-id` from the run and the piece, so FC refuses a duplicate);
  it posts nothing.
- A piece reads its one account and writes its typed result beside the manifest (`store.py`), never posting;
  FC's async retries retry it. The last piece to finish collects.
- Collecting claims the run (an object OSS writes once), reads every piece's result as untrusted data, names
  each piece missing, failed or late (with its async task's status) as an account not checked, and posts the
  one digest. A second timer trigger named `collect` collects any run past its deadline whose last piece
  never came.
"""
from __future__ import annotations

import re

from ..settings.table import BY_NAME

# The timer trigger that collects the runs whose last piece never came (s.yaml's second trigger).
COLLECT_TRIGGER = "collect"


# What one run lists of its pieces' results: archive/oss.MAX_LIST_PAGES pages of 1,000 keys.
MAX_PIECES = 3000
RUN_ID = re.compile(r"r[0-9]{14}[0-9a-f]{8}")  # r<YYYYMMDDHHMMSS><8 hex of the request ID> (manifest.run_id)


def fans_out(settings, listed: int) -> bool:
    """Whether a run of `listed` accounts is split into pieces: more than ACCOUNTS_PER_INVOCATION, at most
    MAX_PIECES, with the archive's bucket to keep the manifest and the pieces' results in, and no secret set by
    the payload (the manifest keeps the payload in the bucket: a webhook a payload set is not written there).
    Else the run reads every account itself. (This module imports nothing heavy: the OSS and FC SDKs come with
    fanout.flow, imported when a run fans out.)"""
    return bool(settings.archive_oss_bucket) and settings.accounts_per_invocation < listed <= MAX_PIECES and \
        not any(BY_NAME[name].secret for name in settings.from_payload)
