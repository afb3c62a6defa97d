"""R-KVStore OpenAPI emulator: RPC calls as the official SDK sends them, over `httpserver` (`rpc.Gateway`).

The gateway's order is kept: signature (`acs3.verify`, with the key of the claimed AccessKey ID from the
shared `Keyring`), then the action's existence, then the scenario's faults, then the action. Each account's
fleet is answered only to that account's credentials: the scenario's own (the home account's) see the
top-level `instances` and `faults`; credentials STS issued for a member see that member's `instances` and
`faults` and nothing else (an instance of another account is `InvalidInstanceId.NotFound` to them, as
it is to a real account); any other key is `InvalidAccessKeyId.NotFound`.
"""
from __future__ import annotations

import base64
import secrets
import time
from urllib.parse import quote

from .fleet import Scenario
from .keyring import Keyring, Principal
from .kvstore_actions import Actions
from .kvstore_faults import Faults
from .rpc import Call, Gateway, unknown_action

__all__ = ["Call", "KVStore"]


class KVStore(Gateway):
    def __init__(self, scenario: Scenario, keyring: Keyring | None = None, clock=time.time,
                 monotonic=time.monotonic, sleep=time.sleep, clones=None):
        super().__init__(keyring or Keyring(scenario.account, scenario.credentials), clock)
        self.scenario = scenario
        # URL-encoded base64, as an OSS presigned URL carries it; random for each sandbox.
        self.download_signature = quote(base64.b64encode(secrets.token_bytes(21)).decode(), safe="")
        self._fleets = {}
        for account in scenario.account_ids:
            fleet = scenario.fleet(account)
            # A restore test's clones are the home account's (kvstore_restore.Clones, kept across runs by the caller).
            self._fleets[account] = (fleet, Actions(fleet, self.download_signature,
                                                    clones if account == scenario.account else None),
                                     Faults(fleet.faults, clock=monotonic, sleep=sleep))
        # The home account's (bench/quota.py wraps `_faults.apply`).
        _, self._actions, self._faults = self._fleets[scenario.account]

    def answer(self, action: str, params: dict, principal: Principal) -> tuple[dict, float]:
        fleet, actions, faults = self._fleets[principal.account]  # STS issues keys for the scenario's accounts only
        answer = actions.table.get(action)
        if answer is None:
            raise unknown_action(action)
        drip = faults.apply(action, params.get("InstanceId"), self._region(fleet, params))
        return answer(params), drip

    @staticmethod
    def _region(fleet: Scenario, params: dict) -> str | None:
        """The call's region: its `RegionId`, else that of its instance (for region faults)."""
        if params.get("RegionId"):
            return params["RegionId"]
        instance = fleet.instance(params.get("InstanceId", ""))
        return instance.region if instance else None
