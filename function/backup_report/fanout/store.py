"""A fanned-out run's objects in the archive's bucket (manifest.py names them): written once each (OSS refuses
to replace one: x-oss-forbid-overwrite, 409 FileAlreadyExists), read back as untrusted data. Raises
oss.ArchiveError for what OSS refused or did not answer.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from ..archive.oss import ArchiveError
from . import manifest as mf
from .manifest import Manifest, PieceResult

MAX_CLAIMS = 5  # collect attempts of one run: a claimer that died is taken over, a few times at most


class RunStore:
    """The runs under `prefix` (ARCHIVE_OSS_PREFIX) in `bucket` (oss.Bucket)."""

    def __init__(self, bucket, prefix: str):
        self.bucket, self.prefix = bucket, prefix

    def write_manifest(self, m: Manifest) -> None:
        self.bucket.put(mf.manifest_key(self.prefix, m), mf.dumps(m), "application/json")

    def manifest(self, day: date, trigger_name: str, run: str) -> Manifest:
        """The manifest of `run`. Raises ArchiveError, ValueError (not a manifest of that run)."""
        return mf.load_manifest(self.bucket.get(mf.key(self.prefix, day, "manifests", trigger_name, run)), run)

    def write_piece(self, m: Manifest, result: PieceResult) -> bool:
        """Writes a piece's result; False when it was written already (the piece ran twice: FC delivers an
        async task at least once)."""
        return self._once(mf.piece_key(self.prefix, m, result.index), mf.dumps(result), "application/json")

    def finished(self, m: Manifest) -> set[int]:
        """The indexes of the pieces whose result is written."""
        base = mf.key(self.prefix, m.day, "pieces", m.trigger_name, m.run, "")
        names = [o.key[len(base):] for o in self.bucket.listed(base)]
        return {int(n[:-5]) for n in names if n.endswith(".json") and n[:-5].isdigit() and int(n[:-5]) < len(m.pieces)}

    def piece(self, m: Manifest, index: int) -> PieceResult:
        """A piece's result. Raises ArchiveError (absent, refused), ValueError (not that piece's)."""
        return mf.load_piece(self.bucket.get(mf.piece_key(self.prefix, m, index)), m, index)

    def claim(self, m: Manifest, request_id: str, now: datetime, timeout_seconds: float) -> bool:
        """Whether this invocation collects the run: it wrote the next claim, no earlier claimer can still be at
        work (a claim older than a whole timeout and a minute is of an invocation FC has ended), and the
        digest was not posted. Two claimers of one number: OSS lets one write it."""
        if self._posted(m):
            return False
        base = mf.key(self.prefix, m.day, "claims", m.trigger_name, m.run, "")
        listed = {o.key[len(base):]: o for o in self.bucket.listed(base)}
        claims = sorted(int(k[:-5]) for k in listed if k.endswith(".json") and k[:-5].isdigit())
        if claims:
            last = listed[f"{claims[-1]}.json"].last_modified
            if not last or datetime.fromisoformat(last) > now - timedelta(seconds=timeout_seconds + 60):
                return False  # its claimer may be posting now
        number = (claims[-1] + 1) if claims else 1
        return number <= MAX_CLAIMS and self._once(f"{base}{number}.json", request_id.encode("utf-8"), "text/plain")

    def posted(self, m: Manifest, request_id: str) -> None:
        """Marks the run's digest posted: no later collect posts it again."""
        self._once(mf.key(self.prefix, m.day, "posted", m.trigger_name, m.run), request_id.encode("utf-8"),
                   "text/plain")

    def _posted(self, m: Manifest) -> bool:
        return bool(self.bucket.listed(mf.key(self.prefix, m.day, "posted", m.trigger_name, m.run)))

    def open_runs(self, day: date) -> list[tuple[str, str]]:
        """(trigger, run) of `day`'s runs whose digest is not posted, oldest first."""
        def runs(kind: str) -> set[tuple[str, str]]:
            base = mf.day_prefix(self.prefix, day, kind)
            found = set()
            for listed in self.bucket.listed(base):
                trigger, _, name = listed.key[len(base):].partition("/")
                if name.endswith(".json") and mf.RUN_ID.fullmatch(name[:-5]):
                    found.add(("" if trigger == mf.MANUAL else trigger, name[:-5]))
            return found
        return sorted(runs("manifests") - runs("posted"), key=lambda tr: tr[1])

    def _once(self, key: str, body: bytes, content_type: str) -> bool:
        """Writes `key` unless it exists (False then). Raises ArchiveError."""
        try:
            self.bucket.put(key, body, content_type)
        except ArchiveError as error:
            if "FileAlreadyExists" in str(error):
                return False
            raise
        return True
