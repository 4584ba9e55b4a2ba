"""``make migrate-state``: move an environment's local Terraform state into its S3 backend.

Example::

    make bootstrap ENV=dev          # once per account: the state bucket
    make migrate-state ENV=dev      # .state/dev-registry.tfstate, .state/dev.tfstate -> s3://tfstate-.../

For each stack of the environment that has a local state file (``.state/<stack>.tfstate``, where
``backend.type = "local"`` kept it), Terraform's own migration copies it: in a scratch copy of
the synthesized stack, ``terraform init`` with the old local backend, then ``terraform init
-migrate-state -force-copy`` with the stack's S3 backend. Before that, the S3 key must be empty:
a state already there is never overwritten (the command stops and names its serial and lineage).
Afterwards the resources listed in S3 must be exactly those of the local file, and the local
file is moved to ``.state/migrated/`` so it cannot be used by mistake. Stacks without a local
state file are reported and skipped; running the command again is safe.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ops import access, tf
from ops import synth as synth_step
from ops.context import DEFAULT_OUT, STATE_DIR, OpsError, stack_dir, stack_names

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig


class MigrateError(OpsError):
    """The state cannot be moved safely; the message says why and what to do."""


def _resources(state: dict[str, Any]) -> list[str]:
    """``type.name`` (with module path) of every managed resource in a state document."""
    out = []
    for resource in state.get("resources", []):
        if resource.get("mode") == "managed":
            prefix = resource["module"] + "." if resource.get("module") else ""
            out.append("%s%s.%s" % (prefix, resource["type"], resource["name"]))
    return sorted(out)


def migrate_stack(stack: tf.Stack, local_state: Path, *, log: TextIO = sys.stdout) -> list[str]:
    """Copy ``local_state`` into the remote backend of ``stack``; returns the migrated resource addresses."""
    old = json.loads(local_state.read_text())
    wanted = _resources(old)
    config = tf.stack_config(stack.directory)
    backend = config.get("terraform", {}).get("backend", {})
    if "s3" not in backend:
        raise MigrateError("%s has no S3 backend (backend.type must be \"s3\" to migrate to it)" % stack.name)
    stack.init()
    remote = stack.state_pull()
    if remote.get("resources") or int(remote.get("serial", 0)) > 0:
        raise MigrateError(
            "s3://%s/%s already holds state (serial %s, lineage %s, %d resources); refusing to overwrite it with"
            " %s (serial %s, lineage %s). Compare the two and keep one by hand."
            % (backend["s3"]["bucket"], backend["s3"]["key"], remote.get("serial"), remote.get("lineage"),
               len(_resources(remote)), local_state, old.get("serial"), old.get("lineage"))
        )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="migrate-%s-" % stack.name) as scratch:
        work = Path(scratch) / stack.name
        work.mkdir()
        local_config = dict(config, terraform={**config["terraform"], "backend": {"local": {"path": str(local_state)}}})
        (work / "cdk.tf.json").write_text(json.dumps(local_config))
        scratch_stack = tf.Stack(work, env=stack.env, log=log)
        scratch_stack.init()
        (work / "cdk.tf.json").write_text(json.dumps(config))
        scratch_stack.run(["init", "-input=false", "-no-color", "-migrate-state", "-force-copy"], label="init -migrate-state")
    migrated = _resources(stack.state_pull())
    if migrated != wanted:
        raise MigrateError(
            "after the migration s3 holds %d resources of %s, the local file %d; the local file is kept: %s"
            % (len(migrated), stack.name, len(wanted), local_state)
        )
    return migrated


def migrate(env: EnvironmentConfig, *, out: Path = DEFAULT_OUT, state_dir: Path = STATE_DIR, log: TextIO = sys.stdout) -> int:
    if env.backend.type != "s3":
        raise MigrateError(
            "ENV=%s has backend.type = %r; allowed: \"s3\" (set it in envconfig/environments.toml, run `make bootstrap"
            " ENV=%s`, then migrate)" % (env.name, env.backend.type, env.name)
        )
    print("==> [1/2] %s: check access, synth" % env.name, file=log, flush=True)
    subprocess_env = access.prepare(env, out, log)
    synth_step.run(out, log)
    print("==> [2/2] move local state into s3://%s" % env.state_bucket, file=log, flush=True)
    moved = 0
    for name in stack_names(env.name):
        local_state = state_dir / ("%s.tfstate" % name)
        if not local_state.is_file():
            print("   %s: no local state (%s); nothing to move" % (name, local_state), file=log)
            continue
        stack = tf.Stack(stack_dir(name, out), env=subprocess_env, log=log)
        resources = migrate_stack(stack, local_state, log=log)
        done = state_dir / "migrated"
        done.mkdir(parents=True, exist_ok=True)
        target = done / ("%s.%s" % (local_state.name, time.strftime("%Y%m%d-%H%M%S")))
        local_state.rename(target)
        backup = local_state.with_name(local_state.name + ".backup")
        if backup.is_file():
            backup.rename(done / ("%s.%s" % (backup.name, target.suffix.lstrip("."))))
        print("   %s: %d resources now in S3; the local file is kept as %s" % (name, len(resources), target), file=log)
        moved += 1
    print("migrate-state: %s: %d stack(s) moved to S3" % (env.name, moved), file=log)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.migrate_state", description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="local", help="environment name (default: local)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="synth output directory")
    args = parser.parse_args(argv)

    from envconfig import ConfigError, load_environment

    try:
        return migrate(load_environment(args.env), out=args.out)
    except (ConfigError, OpsError) as exc:
        print("migrate-state: FAILED: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
