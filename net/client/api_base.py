"""What the Messenger's command mixins share: the state they read and the ``storing`` decorator.

The Messenger's commands are thin delegations, kept in mixins by subject
(``contacts_api.py``, ``requests_api.py``, ``history_api.py``, ``archive_api.py``,
``groups_api.py``) so that :mod:`net.client.messenger` holds only the facade's own
work: profiles, the server, the account and the loop. :class:`ApiBase` names what
the mixins may use of the Messenger, which sets it in its ``__init__``.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from crypto_core.sealing import KdfParams
from net.client.context import Context
from net.client.duties import Duties
from net.client.link import Link
from net.client.membership import Membership
from storage.profile.directory import ProfileDirectory

P = ParamSpec("P")
R = TypeVar("R")


class ApiBase(ABC):
    """The Messenger's state as its mixins see it; the Messenger sets each in ``__init__``, and gives
    the two methods below (abstract here, so a class that forgets one cannot be made)."""

    _ctx: Context | None
    _link: Link
    _membership: Membership
    _profiles: ProfileDirectory
    _kdf_params: KdfParams

    @abstractmethod
    def _require(self) -> Context:
        """The unlocked profile's context, or EngineError("locked")."""

    @abstractmethod
    def _unlocked(self) -> tuple[Context, Duties]:
        """The context and the duties of the unlocked profile, or EngineError("locked")."""


S = TypeVar("S", bound=ApiBase)


def storing(part: str) -> Callable[[Callable[Concatenate[S, P], R]], Callable[Concatenate[S, P], R]]:
    """Run a command through :meth:`Context.storing`: a full disk or a damaged file is an EngineError.

    With no profile open the command runs bare, and its ``_require`` says "locked".
    """

    def wrap(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
        @functools.wraps(method)
        def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            ctx = self._ctx
            if ctx is None:
                return method(self, *args, **kwargs)
            with ctx.storing(part):
                return method(self, *args, **kwargs)

        return run

    return wrap
