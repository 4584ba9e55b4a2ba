"""Cross-checks between the environment configs and the app image they will run.

Example::

    from envconfig import load_environments
    from envconfig.contracts import check_app_contract

    problems = check_app_contract(load_environments(), ROOT)   # [] when everything agrees

The config model validates each environment on its own; this module checks what only the
app and its image know, so a config the container would reject fails at synth time instead
of as a crash-looping deployment:

* ``container.port`` equals the port the image exposes (``EXPOSE`` in the ``Dockerfile``) and
  the app's ``DEFAULT_PORT`` (``app/settings.py``);
* ``container.health_check_path`` is a path the app serves (``HEALTH_PATH`` / ``READY_PATH``);
* ``container.stop_timeout_seconds`` leaves gunicorn its ``GRACEFUL_TIMEOUT_SECONDS`` to drain;
* ``load_balancer.idle_timeout_seconds`` is below the app's ``KEEPALIVE_SECONDS`` (otherwise the
  app closes idle connections the ALB still uses: intermittent 502s);
* the variables the task passes (``APP_ENV`` = the environment name, ``APP_NAME``, ``PORT`` and
  ``container.environment``) pass the app's own start-up validation, ``load_settings``;
* each further workload: a ``python -m <module>`` command names a module the image holds (under
  ``app/``), a workload that runs the web server (no command: a ``web`` or ``backend``) uses the
  image's port and, for ``web``, a health path the app serves, and every workload's stop timeout
  leaves the app its graceful shutdown.

Each problem names the environment, the field, the value and what is allowed. ``root`` is
the repository root; the app module is loaded from ``root/app/settings.py`` by path (it
imports only the standard library), so no Flask import happens here.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

from envconfig.model import EnvironmentConfig

_EXPOSE = re.compile(r"^\s*EXPOSE\s+(.+)$", re.IGNORECASE | re.MULTILINE)
#: APP_VERSION is the image tag, known only at deploy time; any valid tag stands in for it.
_PLACEHOLDER_VERSION = "0000000"


def dockerfile_ports(dockerfile: Path) -> list[int]:
    """TCP ports named by ``EXPOSE`` lines of ``dockerfile`` (``3000`` or ``3000/tcp``)."""
    ports: list[int] = []
    for match in _EXPOSE.finditer(dockerfile.read_text()):
        for item in match.group(1).split():
            port, _, proto = item.partition("/")
            if port.isdigit() and proto in ("", "tcp"):
                ports.append(int(port))
    return ports


def load_app_settings(root: Path) -> ModuleType:
    """``root/app/settings.py`` as a module, loaded by path under a private name."""
    path = root / "app" / "settings.py"
    spec = importlib.util.spec_from_file_location("_app_settings_contract", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    # dataclasses resolves annotations through sys.modules while the module executes.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return module


def task_environment(env: EnvironmentConfig) -> dict[str, str]:
    """The variables the service construct gives the container (``modules/service.py``)."""
    return {
        **env.container.environment,
        "PORT": str(env.container.port),
        "APP_ENV": env.name,
        "APP_NAME": env.app_name,
        "APP_VERSION": _PLACEHOLDER_VERSION,
    }


def check_app_contract(configs: Mapping[str, EnvironmentConfig], root: Path) -> list[str]:
    """Problems (one line each) where a config disagrees with the app image; [] when none.

    Missing app files are problems too: the image cannot be built without them.
    """
    problems: list[str] = []
    dockerfile = root / "Dockerfile"
    settings_file = root / "app" / "settings.py"
    if not dockerfile.is_file():
        return ["%s is missing; allowed: the app image's Dockerfile with an EXPOSE line" % dockerfile]
    if not settings_file.is_file():
        return ["%s is missing; allowed: the app's settings module with DEFAULT_PORT" % settings_file]
    exposed = dockerfile_ports(dockerfile)
    settings = load_app_settings(root)
    default_port: int = settings.DEFAULT_PORT
    if exposed and default_port not in exposed:
        problems.append(
            "Dockerfile EXPOSE %s does not include app/settings.py DEFAULT_PORT=%d; allowed: the same port in both"
            % (" ".join(map(str, exposed)), default_port)
        )
    image_ports = sorted({default_port, *exposed})
    health_paths: tuple[str, ...] = (settings.HEALTH_PATH, settings.READY_PATH)
    graceful: int = settings.GRACEFUL_TIMEOUT_SECONDS
    keepalive: int = settings.KEEPALIVE_SECONDS

    for name, env in configs.items():
        c = env.container
        if c.port != default_port or (exposed and c.port not in exposed):
            problems.append(
                "%s.container.port=%d does not match the app image (Dockerfile EXPOSE %s, app/settings.py"
                " DEFAULT_PORT=%d); allowed: %s"
                % (name, c.port, " ".join(map(str, exposed)) or "(none)", default_port,
                   ", ".join(map(str, image_ports)))
            )  # fmt: skip
        if c.health_check_path not in health_paths:
            problems.append(
                "%s.container.health_check_path=%r is not a path the app serves; allowed: %s"
                % (name, c.health_check_path, ", ".join(repr(p) for p in health_paths))
            )
        if c.stop_timeout_seconds <= graceful:
            problems.append(
                "%s.container.stop_timeout_seconds=%d leaves gunicorn no time to drain (GRACEFUL_TIMEOUT_SECONDS=%d);"
                " allowed: %d..120" % (name, c.stop_timeout_seconds, graceful, graceful + 1)
            )
        if env.load_balancer.idle_timeout_seconds >= keepalive:
            problems.append(
                "%s.load_balancer.idle_timeout_seconds=%d is not below the app's keep-alive (KEEPALIVE_SECONDS=%d),"
                " so the app would close connections the ALB reuses (502s); allowed: 1..%d"
                % (name, env.load_balancer.idle_timeout_seconds, keepalive, keepalive - 1)
            )
        try:
            settings.load_settings(task_environment(env))
        except settings.SettingsError as exc:
            variable = str(exc).split("=", 1)[0]
            field = {
                "APP_ENV": "environment name (APP_ENV)",
                "APP_NAME": "app_name (APP_NAME)",
                "PORT": "container.port (PORT)",
            }.get(variable, "container.environment.%s" % variable)
            problems.append("%s: %s rejected by the app at start-up: %s" % (name, field, exc))
    for name, env in configs.items():
        problems += _workload_problems(name, env, root, image_ports, health_paths, graceful)
    return problems


def module_file(root: Path, module: str) -> Path | None:
    """Where ``python -m module`` finds its code in the repository (``app/x.py`` or ``app/x/__main__.py``)."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__main__.py"):
        if candidate.is_file():
            return candidate
    return None


def _workload_problems(
    name: str, env: EnvironmentConfig, root: Path, image_ports: list[int], health_paths: tuple[str, ...], graceful: int
) -> list[str]:
    problems: list[str] = []
    for workload_name, workload in env.workloads.items():
        where = "%s.workloads.%s.container" % (name, workload_name)
        c = workload.container
        command = list(c.command)
        if command[:2] == ["python", "-m"] and len(command) > 2:
            module = command[2]
            if not module.startswith("app.") or module_file(root, module) is None:
                problems.append(
                    "%s.command runs python -m %s, which the image does not hold; allowed: a module under app/"
                    " (the Dockerfile copies app/), e.g. app.worker or app.job" % (where, module)
                )
        if workload.serves_port and not command and c.port not in image_ports:
            problems.append(
                "%s.port=%d: the image's web server listens on %s; allowed: %s (or a command that serves another"
                " port)" % (where, c.port, ", ".join(map(str, image_ports)), ", ".join(map(str, image_ports)))
            )
        if workload.kind == "web" and c.health_check_path not in health_paths:
            problems.append(
                "%s.health_check_path=%r is not a path the app serves; allowed: %s"
                % (where, c.health_check_path, ", ".join(repr(p) for p in health_paths))
            )
        if c.stop_timeout_seconds <= graceful:
            problems.append(
                "%s.stop_timeout_seconds=%d leaves the app no time to finish (GRACEFUL_TIMEOUT_SECONDS=%d); allowed:"
                " %d..120" % (where, c.stop_timeout_seconds, graceful, graceful + 1)
            )
    return problems
