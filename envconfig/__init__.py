"""Load and validate the environments defined in ``envconfig/environments.toml``.

Example::

    from envconfig import load_environment
    prod = load_environment("prod")
    prod.container.cpu, prod.scaling.max_capacity

``[defaults]`` is deep-merged under each ``[environments.<name>]`` table, then the result is
validated by :class:`envconfig.model.EnvironmentConfig`. Any invalid value raises
:class:`ConfigError`, whose message names the environment, the field, the value and what is
allowed, before anything is synthesized.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from envconfig.model import EnvironmentConfig

DEFAULT_FILE = Path(__file__).with_name("environments.toml")

__all__ = ["DEFAULT_FILE", "ConfigError", "EnvironmentConfig", "environment_names", "load_environment", "load_environments"]


class ConfigError(ValueError):
    """One or more invalid settings; ``problems`` holds one line per setting."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join("  - " + p for p in problems))


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(["%s: not valid TOML: %s" % (path, exc)]) from None
    except OSError as exc:
        raise ConfigError(["%s: cannot read: %s" % (path, exc.strerror)]) from None


def _allowed_hint(error: Mapping[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "literal_error":
        return "; allowed: %s" % ctx.get("expected")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        key = next(iter(ctx))
        return "; allowed: %s %s" % (op, ctx[key])
    type_names = {
        "bool_type": "true or false", "bool_parsing": "true or false",
        "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
        "float_type": "a number", "float_parsing": "a number",
        "string_type": "a string", "tuple_type": "an array", "list_type": "an array",
        "dict_type": "a table", "model_type": "a table", "model_attributes_type": "a table",
    }  # fmt: skip
    if kind in type_names:
        return "; allowed: %s" % type_names[kind]
    if kind == "extra_forbidden":
        return "; allowed: the fields documented in envconfig/model.py"
    if kind == "string_pattern_mismatch":
        return "; allowed: values matching %s" % ctx.get("pattern")
    return ""


def format_validation_error(env: str, exc: ValidationError) -> list[str]:
    """One line per problem: ``<env>: <field>=<value>: <message>; allowed: ...``."""
    lines = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing":
            lines.append("%s: %s is missing: a required field" % (env, loc))
            continue
        if error["type"] == "extra_forbidden":
            lines.append("%s: %s=%r is not a known field%s" % (env, loc, error.get("input"), _allowed_hint(error)))
            continue
        where = ("%s.%s" % (env, loc)) if loc else env
        if error["type"] == "value_error":
            # Our validators already name the field, value and allowed values.
            lines.append("%s: %s" % (where, message))
        elif error["type"] == "literal_error":
            lines.append("%s=%r is not an allowed value%s" % (where, error.get("input"), _allowed_hint(error)))
        else:
            lines.append("%s=%r: %s%s" % (where, error.get("input"), message, _allowed_hint(error)))
    return lines


def environment_names(path: Path = DEFAULT_FILE) -> list[str]:
    return list(_read(path).get("environments", {}))


def _build(name: str, raw: Mapping[str, Any], defaults: Mapping[str, Any]) -> EnvironmentConfig:
    data = _merge(defaults, raw)
    data["name"] = name
    try:
        # Strict JSON-mode validation: TOML arrays become tuples, but "yes" is not a bool and
        # "3" is not an int.
        return EnvironmentConfig.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(name, exc)) from None


def load_environments(path: Path = DEFAULT_FILE, only: list[str] | None = None) -> dict[str, EnvironmentConfig]:
    """Validate every environment (or those in ``only``); all problems are reported together."""
    document = _read(path)
    unknown_top = set(document) - {"defaults", "environments"}
    if unknown_top:
        raise ConfigError(["%s: unknown top-level table(s) %s; allowed: defaults, environments" % (path, sorted(unknown_top))])
    environments = document.get("environments", {})
    if not isinstance(environments, Mapping) or not environments:
        raise ConfigError(
            ["%s: defines no environment; allowed: at least one [environments.<name>] table (e.g. [environments.dev])"
             % path]
        )  # fmt: skip
    wanted = only if only is not None else list(environments)
    problems: list[str] = []
    for name in wanted:
        if name not in environments:
            problems.append(
                "environment %r is not defined; allowed: %s" % (name, ", ".join(environments) or "(none)")
            )
    if problems:
        raise ConfigError(problems)
    configs: dict[str, EnvironmentConfig] = {}
    for name in wanted:
        try:
            configs[name] = _build(name, environments[name], document.get("defaults", {}))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return configs


def load_environment(name: str, path: Path = DEFAULT_FILE) -> EnvironmentConfig:
    return load_environments(path, only=[name])[name]
