"""A restore test's state in the archive's bucket: one object, `<ARCHIVE_OSS_PREFIX>restore-test/state.json`,
replaced at each step (state.py reads it back as untrusted). Raises oss.ArchiveError for what OSS refused."""
from __future__ import annotations

from ..archive import oss
from . import state as st


class StateStore:
    def __init__(self, bucket, prefix: str):
        self.bucket, self.key = bucket, f"{prefix}restore-test/state.json"

    def read(self) -> st.State:
        """The kept state; a fresh one when there is none yet. Raises ArchiveError, state.Unreadable."""
        try:
            raw = self.bucket.get(self.key)
        except oss.ArchiveError as error:
            if "NoSuchKey" in str(error):
                return st.State()
            raise
        return st.loads(raw)

    def write(self, state: st.State) -> None:
        self.bucket.replace(self.key, st.dumps(state), "application/json")
