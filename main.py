"""Compose every environment's stacks and synthesize them to Terraform JSON.

    python main.py [--out cdktf.out] [--env dev --env prod]

``make synth`` (``python -m ops.synth``) is the usual entry: it validates first, writes to a
temporary directory and swaps it in, and skips the work when no input changed. This file
only composes; resources live in ``modules/``, providers/backends/outputs in ``stacks/``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Synth runs many times a day: keep the compiled project modules even where
# PYTHONDONTWRITEBYTECODE is set (container images and CI machines often set it); compiling
# modules/, stacks/ and envconfig/ from source on every run costs about 0.2 s.
sys.dont_write_bytecode = False

# The synth accelerator (fastsynth/README.md): load only the provider submodules that are used,
# on both sides of jsii. Must run before anything imports cdktf or the provider package.
import fastsynth  # noqa: E402

_HERE = Path(__file__).resolve().parent
fastsynth.install(
    enabled=os.environ.get("CDKTF_FAST_IMPORT", "1") != "0",
    # The bindings' argument type checks are debug-only (skipped under ``python -O``); the
    # test suite keeps them on, synth runs without them unless CDKTF_TYPE_CHECKS=1.
    type_checks=os.environ.get("CDKTF_TYPE_CHECKS", "0") == "1",
    # The kernel loads the JS of the provider resources the stacks use while Python imports.
    prewarm=fastsynth.provider_submodules_in([_HERE / "modules", _HERE / "stacks"]),
    # The kernel keeps V8's compiled code of the JS it loads (~10 MB) for the next run, in the
    # user's cache directory (XDG convention).
    code_cache_dir=fastsynth.code_cache_dir(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")),
    # Node 22 from tools/kernel-node (`make kernel-node`) when installed: it starts faster.
    kernel_node=fastsynth.bundled_node(_HERE / "tools" / "kernel-node"),
)

from envconfig import DEFAULT_FILE, ConfigError, load_environments  # noqa: E402
from envconfig.contracts import check_app_contract  # noqa: E402


def build(outdir: str | None, only: list[str] | None = None, config: Path = DEFAULT_FILE) -> list[str]:
    """Build every stack into an App and synthesize it; returns the stack names."""
    configs = load_environments(config, only=only)
    problems = check_app_contract(configs, _HERE)
    if problems:
        raise ConfigError(problems)
    from cdktf import App

    from rules.stacks import stack_names
    from stacks import RegistryStack, ServiceStack

    app = App(outdir=outdir) if outdir else App()
    names: list[str] = []
    for env in configs.values():
        try:
            registry = RegistryStack(app, env)
            ServiceStack(app, env, registry=registry)
        except ValueError as exc:
            # A construct rejected a value the config model let through: report it the way config
            # problems are reported (environment first, no traceback) and write nothing.
            raise ConfigError(["%s: %s" % (env.name, exc)]) from None
        names += stack_names(env.name)
    app.synth()
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="output directory (default: $CDKTF_OUTDIR or cdktf.out)")
    parser.add_argument("--env", action="append", help="only this environment (repeatable)")
    parser.add_argument("--config", type=Path, default=DEFAULT_FILE, help="environments file (TOML)")
    args = parser.parse_args(argv)
    try:
        names = build(args.out, args.env, args.config)
    except ConfigError as exc:
        sys.stderr.write("error: %s\n" % exc)
        return 2
    print("synthesized %d stacks: %s" % (len(names), ", ".join(names)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
