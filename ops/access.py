"""Reach an environment before Terraform runs: the emulator, credentials, prerequisites, provider.

Example::

    from ops import access, tf
    terraform_env = access.prepare(load_environment("local"))
    tf.Stack(context.stack_dir("local"), env=terraform_env).plan(None)

:func:`prepare` prints one progress line per step and returns the subprocess environment for
Terraform; every Terraform workflow (deploy, plan, apply, destroy, migrate-state) starts with it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ops.context import DEFAULT_OUT, stack_names

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig


def prepare(env: EnvironmentConfig, out: Path = DEFAULT_OUT, log: TextIO = sys.stdout) -> dict[str, str]:
    """Make ``env`` reachable and return the subprocess environment for Terraform.

    Emulator environments: start the emulator if it is not running; when it was started now
    (an empty account), move the stale local state files of every emulator environment aside
    (S3 state lives in the emulator and went with it).
    Every environment: credentials for ``env.account_id`` (its role assumed; another account, or
    none, stops here with ``aws.CredentialsError``), then the account prerequisites
    (``ops.bootstrap``: the state bucket must exist, and in the emulator it and the public zone
    are created), then the pinned provider where the Terraform registry cannot be reached
    (``ops.provider_mirror``); one progress line each.
    """
    from ops import aws, emulator, provider_mirror
    from ops.bootstrap import ensure_prerequisites

    if env.emulator:
        started = emulator.start()
        print(
            "   emulator %s at %s" % ("started" if started else "already running", emulator.endpoint_url()),
            file=log,
            flush=True,
        )
        if started:
            from envconfig import load_environments

            emulated = [e.name for e in load_environments().values() if e.emulator]
            emulator.archive_state([s for name in emulated for s in stack_names(name)], out, log)
    print("   AWS credentials: %s" % aws.require_credentials(env), file=log, flush=True)
    ensure_prerequisites(env, aws.session(env), log=log)
    terraform_env, found = provider_mirror.terraform_env(aws.subprocess_env(env))
    print("   " + found.message, file=log, flush=True)
    return terraform_env
