"""Restore testing (RESTORE_TEST, docs/restore-testing.md): now and then, the newest good backup of a watched
instance is restored into a new pay-as-you-go instance (a clone), watched until Normal across runs, judged by what
the API can prove, and released, always.

One step per run, never a wait (step.py): the state between runs is one object in the archive (store.py,
state.py: read back as untrusted), the decisions are pure (plan.py), the calls go through the cloud edge
(cloud/restore.py). Every clone carries the tag cloud/restore.TAG_KEY, so one a lost run left is found and
released by the next.
"""
