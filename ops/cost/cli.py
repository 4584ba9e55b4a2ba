"""``python -m ops.cost``: the monthly estimate of every environment (see :mod:`ops.cost`)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import ops.cost
from ops.context import DEFAULT_OUT, OpsError
from ops.cost.estimate import estimate
from ops.cost.footprint import footprint
from ops.cost.prices import ASSUMPTION_KEYS, PRICES_FILE, assumption, load_prices
from ops.cost.render import render, to_json


def _option(key: str) -> str:
    return "--" + key.replace("_", "-")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.cost", description=(ops.cost.__doc__ or "").split("\n")[0])
    parser.add_argument("--env", action="append", help="only this environment (repeatable); all when omitted")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="synth output directory (cdktf.out)")
    parser.add_argument("--prices", type=Path, default=PRICES_FILE, help="price table (TOML)")
    parser.add_argument("--config", type=Path, default=None, help="environments file (default: envconfig's)")
    for key in ASSUMPTION_KEYS:
        parser.add_argument(_option(key), type=float, default=None, help="override the price table's assumption")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)

    from envconfig import DEFAULT_FILE, ConfigError, load_environments

    try:
        prices = load_prices(args.prices)
        configs = load_environments(args.config or DEFAULT_FILE, only=args.env)
        overrides = {}
        for key in ASSUMPTION_KEYS:
            value = getattr(args, key)
            if value is not None:
                overrides[key] = assumption(key, value, _option(key))
        prices = replace(prices, assumptions={**prices.assumptions, **overrides})
        estimates = [estimate(footprint(cfg, args.out), prices) for cfg in configs.values()]
    except (OpsError, ConfigError) as exc:
        print("cost: error: %s" % exc, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(to_json(estimates, prices), indent=2))
    else:
        print(render(estimates, prices))
    return 0

