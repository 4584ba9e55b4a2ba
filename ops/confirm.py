"""The production gate: a ``production = true`` environment changes only when its name is given.

Example::

    from ops.confirm import confirm_production
    confirm_production(prod, "prod", action="destroy")    # CONFIRM=prod: passes
    confirm_production(prod, None, action="apply", summary=text)   # terminal: shows text, asks

Non-production environments pass without a question. For a production one, ``given``
(``CONFIRM=<env>``) must be exactly its name; without it the name must be typed at a terminal
(after ``summary``, when given, is shown). Anything else raises :class:`ConfirmationError`
before any change.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from ops.context import OpsError

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig

PAST_TENSE = {"apply": "applied", "destroy": "destroyed"}


class ConfirmationError(OpsError):
    """The production environment was not confirmed; the message says how to confirm it."""


def confirm_production(
    env: EnvironmentConfig,
    given: str | None,
    *,
    action: str,
    summary: str | None = None,
    stdin: TextIO = sys.stdin,
    log: TextIO = sys.stdout,
) -> None:
    """Raise ConfirmationError unless a production environment's name was typed or given."""
    if not env.production:
        return
    if given is not None:
        if given != env.name:
            raise ConfirmationError(
                "CONFIRM=%r does not match the environment; allowed: CONFIRM=%s to %s %s" % (given, env.name, action, env.name)
            )
        return
    if not stdin.isatty():
        raise ConfirmationError(
            "ENV=%s is a production environment: type its name at the prompt (needs a terminal) or pass"
            " CONFIRM=%s" % (env.name, env.name)
        )
    if summary is not None:
        print(summary, file=log)
    print("ENV=%s is PRODUCTION. Type the environment name to %s it: " % (env.name, action), end="", file=log, flush=True)
    typed = stdin.readline().strip()
    if typed != env.name:
        raise ConfirmationError("typed %r, not %r; nothing was %s" % (typed, env.name, PAST_TENSE[action]))
