"""The fingerprint of a reviewed plan: what ``make plan`` saw, so ``make apply`` can refuse a stale one.

Example::

    from ops import fingerprint
    now = fingerprint.observe(out, folder, stacks, config=None)
    fingerprint.write(folder, fingerprint.Fingerprint(env="local", ..., observed=now))
    fingerprint.differences(fingerprint.read(folder).observed, now)   # [] while nothing moved

``plans/<env>/fingerprint.json`` holds, next to the binary plans:

* the synth inputs: the digest ``ops.synth`` stamps into ``cdktf.out/.inputs.sha256``, and the
  SHA-256 of each input file and of the environments file (so a refusal names what changed);
* per stack, the state's lineage and serial (``terraform state pull``, so local and S3 state
  alike) and the SHA-256 of its binary plan;
* the image tag the ``<env>`` plan uses, the warnings of ``summary.md``, the Terraform version,
  and when it was written.

A plan with errors writes no fingerprint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ops import synth, tf
from ops.context import REPO_ROOT
from ops.plan import Flag

FILE = "fingerprint.json"
FORMAT_VERSION = 1


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def display(path: Path) -> str:
    """``path`` relative to the repository when it is inside it, else absolute."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(REPO_ROOT))
    except ValueError:
        return str(resolved)


def plan_file(folder: Path, stack: str) -> Path:
    return folder / ("%s.tfplan" % stack)


@dataclass(frozen=True)
class Observed:
    """What a plan depends on; compared between ``make plan`` and ``make apply``."""

    terraform_version: str
    synth_digest: str
    python: str
    config: str  # the environments file, as display() shows it
    config_sha256: str
    inputs: dict[str, str]  # synth input file -> SHA-256
    states: dict[str, tf.StateVersion]  # stack -> state lineage and serial
    plan_sha256: dict[str, str]  # planned stack -> SHA-256 of its binary plan


@dataclass(frozen=True)
class Fingerprint:
    env: str
    image_tag: str | None  # the <env> stack's image_tag (None when it was not planned)
    changes: dict[str, bool]  # planned stack -> whether its plan changes anything
    skipped: dict[str, str]  # stack not planned -> why
    flags: list[Flag]
    observed: Observed
    created_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def observe(out: Path, folder: Path, stacks: Mapping[str, tf.Stack], *, planned: list[str], config: Path | None) -> Observed:
    """The current inputs, Terraform version, states of ``stacks`` and hashes of the ``planned`` plans."""
    from envconfig import DEFAULT_FILE

    config_path = (config or DEFAULT_FILE).resolve()
    stamp = out / synth.STAMP
    if not stamp.is_file():
        raise tf.TerraformError("%s does not exist; run the synth step first" % stamp)
    return Observed(
        terraform_version=tf.terraform_version(),
        synth_digest=stamp.read_text().strip(),
        python=sys.version,
        config=display(config_path),
        config_sha256=sha256_file(config_path),
        inputs={display(path): sha256_file(path) for path in synth.input_files()},
        states={name: stack.state_version() for name, stack in stacks.items()},
        plan_sha256={name: sha256_file(plan_file(folder, name)) for name in planned if plan_file(folder, name).is_file()},
    )


# --------------------------------------------------------------------------------------------
# The file.
# --------------------------------------------------------------------------------------------


def write(folder: Path, fingerprint: Fingerprint) -> Path:
    data = {"format_version": FORMAT_VERSION, **asdict(fingerprint)}
    path = folder / FILE
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return path


def read(folder: Path) -> Fingerprint | None:
    """The fingerprint in ``folder``; None when there is none (no plan, or a plan with errors)."""
    path = folder / FILE
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    observed = dict(data["observed"])
    observed["states"] = {name: tf.StateVersion(**state) for name, state in observed["states"].items()}
    return Fingerprint(
        env=data["env"],
        image_tag=data["image_tag"],
        changes=data["changes"],
        skipped=data["skipped"],
        flags=[Flag(**flag) for flag in data["flags"]],
        observed=Observed(**observed),
        created_at=data["created_at"],
    )


# --------------------------------------------------------------------------------------------
# Comparison (pure).
# --------------------------------------------------------------------------------------------


def _input_changes(planned: Observed, now: Observed) -> list[str]:
    parts = []
    changed = sorted(p for p in planned.inputs if p in now.inputs and planned.inputs[p] != now.inputs[p])
    new = sorted(set(now.inputs) - set(planned.inputs))
    gone = sorted(set(planned.inputs) - set(now.inputs))
    if planned.config != now.config:
        parts.append("environments file %s, planned with %s" % (now.config, planned.config))
    elif planned.config_sha256 != now.config_sha256 and now.config not in changed:
        changed.insert(0, now.config)
    for label, paths in (("changed", changed), ("new", new), ("gone", gone)):
        if paths:
            parts.append("%s: %s" % (label, ", ".join(paths)))
    if planned.python != now.python:
        parts.append("Python %s, planned with %s" % (now.python.split()[0], planned.python.split()[0]))
    return parts or ["the synth digest differs"]


def _state_change(stack: str, before: tf.StateVersion, after: tf.StateVersion) -> str:
    if before.lineage is not None and after.lineage is not None and before.lineage != after.lineage:
        return "%s: state replaced since the plan (lineage %s -> %s)" % (stack, before.lineage, after.lineage)
    if before.serial is not None and after.serial is not None:
        return "%s: state changed since the plan (serial %d -> %d)" % (stack, before.serial, after.serial)
    return "%s: state changed since the plan (%s -> %s)" % (stack, before.describe(), after.describe())


def differences(planned: Observed, now: Observed) -> list[str]:
    """Why a plan made under ``planned`` must not be applied ``now``; [] when nothing moved."""
    reasons = []
    if planned.terraform_version != now.terraform_version:
        reasons.append("terraform version changed since the plan (%s -> %s)" % (planned.terraform_version, now.terraform_version))
    if planned.synth_digest != now.synth_digest:
        reasons.append("inputs changed since the plan (%s)" % "; ".join(_input_changes(planned, now)))
    for stack, before in planned.states.items():
        after = now.states.get(stack, tf.StateVersion(None, None))
        if after != before:
            reasons.append(_state_change(stack, before, after))
    for stack, digest in planned.plan_sha256.items():
        current = now.plan_sha256.get(stack)
        if current is None:
            reasons.append("%s: the plan file %s.tfplan is missing" % (stack, stack))
        elif current != digest:
            reasons.append("%s: the plan file %s.tfplan changed since the plan (sha256 %s... -> %s...)" % (
                stack, stack, digest[:12], current[:12]))  # fmt: skip
    return reasons
