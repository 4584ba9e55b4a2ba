"""Synthesize every environment atomically, and only when an input changed.

    python -m ops.synth [--out cdktf.out] [--force]

1. Validate every environment's config (a bad value stops here, before any synth).
2. Hash the inputs (sources, config, pins); if ``<out>/.inputs.sha256`` matches, stop:
   nothing to do.
3. Run ``main.py --out <tmp>`` next to ``<out>``; on success carry each stack's
   ``.terraform/`` and lock file over from the previous output (so no re-init), then swap
   ``<tmp>`` into place. On failure ``<out>`` is left exactly as it was.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

from ops.context import DEFAULT_OUT, REPO_ROOT

ROOT = REPO_ROOT
STAMP = ".inputs.sha256"
# What the synthesized output depends on. Anything else (tests, docs, app/) does not change it.
INPUT_GLOBS = (
    "main.py",
    "cdktf.json",
    "requirements.txt",
    "modules/**/*.py",
    "fastsynth/**/*.py",
    "fastsynth/**/*.cjs",
    "stacks/**/*.py",
    "envconfig/**/*.py",
    "envconfig/**/*.toml",
    "rules/**/*.py",
)
CARRY_OVER = (".terraform", ".terraform.lock.hcl")


def input_files(root: Path = ROOT) -> list[Path]:
    files: set[Path] = set()
    for pattern in INPUT_GLOBS:
        files.update(p for p in root.glob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    return sorted(files)


def fingerprint(config: Path, root: Path = ROOT) -> str:
    """SHA-256 over the relative path and bytes of every input, plus the interpreter version.

    Paths inside ``root`` count relative to it, so two checkouts of one commit (the plan job and
    the apply job of a pipeline) agree.
    """
    digest = hashlib.sha256(sys.version.encode())
    root = root.resolve()
    for path in [*input_files(root), config.resolve()]:
        name = path.relative_to(root) if path.is_relative_to(root) else path
        digest.update(str(name).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def up_to_date(out: Path, digest: str) -> bool:
    """True when ``out`` was synthesized from these inputs and holds nothing a teardown left behind."""
    from ops.teardown import has_override

    stamp = out / STAMP
    return stamp.is_file() and stamp.read_text().strip() == digest and not has_override(out)


def _carry_over(old: Path, new: Path) -> None:
    old_stacks = old / "stacks"
    if not old_stacks.is_dir():
        return
    for stack in old_stacks.iterdir():
        target = new / "stacks" / stack.name
        if not target.is_dir():
            continue
        for name in CARRY_OVER:
            src = stack / name
            if src.exists() and not (target / name).exists():
                os.rename(src, target / name)


def synthesize(out: Path, *, config: Path | None = None, force: bool = False, python: str = sys.executable) -> bool:
    """Synthesize into ``out``; returns False when it was already up to date."""
    from envconfig import DEFAULT_FILE, ConfigError, load_environments
    from envconfig.contracts import check_app_contract

    config = config or DEFAULT_FILE
    configs = load_environments(config)  # raises ConfigError before anything is written
    problems = check_app_contract(configs, ROOT)  # the config against the app image
    if problems:
        raise ConfigError(problems)
    digest = fingerprint(config)
    if not force and up_to_date(out, digest):
        return False
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name("%s.tmp-%d" % (out.name, os.getpid()))
    old = out.with_name("%s.old-%d" % (out.name, os.getpid()))
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        subprocess.run([python, str(ROOT / "main.py"), "--out", str(tmp), "--config", str(config.resolve())],
                       cwd=ROOT, check=True)  # fmt: skip
        (tmp / STAMP).write_text(digest + "\n")
        if out.exists():
            _carry_over(out, tmp)
            os.rename(out, old)
        os.rename(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return True


def run(out: Path = DEFAULT_OUT, log: TextIO = sys.stdout, config: Path | None = None) -> None:
    """``python -m ops.synth --out <out> [--config <file>]`` in a subprocess, its lines indented on ``log``.

    A subprocess keeps the jsii kernel and its memory out of the command that asked; a failure
    raises :class:`ops.tf.TerraformError` (the synth step of a Terraform workflow).
    """
    from ops.tf import TerraformError

    argv = [sys.executable, "-m", "ops.synth", "--out", str(out)]
    if config is not None:
        argv += ["--config", str(config)]
    result = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    for line in (result.stdout + result.stderr).splitlines():
        if line.strip():
            print("   " + line, file=log, flush=True)
    if result.returncode != 0:
        raise TerraformError("synth failed (exit %d): %s" % (result.returncode, " ".join(argv)), result.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Synthesize all environments (atomic, incremental).")
    parser.add_argument("--out", default="cdktf.out", type=Path)
    parser.add_argument("--force", action="store_true", help="synthesize even if no input changed")
    parser.add_argument("--config", type=Path, default=None, help="environments file (default: envconfig/environments.toml)")
    args = parser.parse_args(argv)
    from envconfig import ConfigError

    started = time.monotonic()
    try:
        changed = synthesize(args.out, config=args.config, force=args.force)
    except ConfigError as exc:
        sys.stderr.write("error: %s\nerror: nothing was synthesized; %s is unchanged\n" % (exc, args.out))
        return 2
    except subprocess.CalledProcessError as exc:
        if exc.returncode == 2:  # main.py reported a configuration problem (already printed)
            sys.stderr.write("error: nothing was synthesized; %s is unchanged\n" % args.out)
            return 2
        sys.stderr.write("error: synth failed (exit %d); %s is unchanged\n" % (exc.returncode, args.out))
        return 1
    if changed:
        print("==> synthesized into %s in %.1f s" % (args.out, time.monotonic() - started))
    else:
        print("==> %s is up to date (no input changed); use --force to synthesize anyway" % args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
