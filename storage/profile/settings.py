"""The profile's own settings: small JSON values by name in the ``records`` table.

What the person chose for this profile (read receipts, typing notices,
notifications) travels with the profile, inside its encrypted database, rather
than in the computer's preferences: a profile opened on another computer, or
restored from a backup, keeps its choices. The values are plain JSON; what
they mean is the engine's business (storage does not import the engine).
"""

from __future__ import annotations

from typing import Any

from storage.profile.account import get_record, put_record
from storage.profile.vault import Vault

#: Records of this store are named ``setting:<name>``, apart from the account's own records.
_PREFIX = "setting:"


class SettingsStore:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def get(self, name: str) -> Any | None:
        """The stored value, or None when it was never set; :class:`DamagedValue` when it does not parse."""
        text = get_record(self._vault, _PREFIX + name)
        if text is None:
            return None
        return self._vault.load_json(text, what=f"the setting {name!r}")

    def put(self, name: str, value: Any) -> None:
        put_record(self._vault, _PREFIX + name, self._vault.dump_json(value))
