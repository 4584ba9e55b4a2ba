"""Find the pinned ``hashicorp/aws`` provider on a machine that cannot reach the Terraform registry.

Example::

    from ops import provider_mirror

    found = provider_mirror.resolve()
    print(found.message)   # terraform provider: hashicorp/aws 5.100.0 from the local mirror /opt/...
    env = {**os.environ, **found.env}          # TF_CLI_CONFIG_FILE when a CLI config was written

    python -m ops.provider_mirror               # prints that line; exit 0 (also when nothing is found)

Terraform installs providers from the public registry unless its CLI configuration says
otherwise. Offline machines often carry the provider as a *filesystem mirror* (directories laid
out as ``registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/``, or the packed ``.zip``
form). Every project command that runs Terraform calls :func:`resolve`, which decides once:

1. **The user's own configuration wins.** When ``TF_CLI_CONFIG_FILE`` names a file that exists,
   or ``~/.terraformrc`` exists, nothing is changed: Terraform reads that file.
2. **Terraform's implied mirror directories** (``terraform.d/plugins`` in the working directory,
   ``~/.terraform.d/plugins``, ``$XDG_DATA_HOME/terraform/plugins``, each
   ``$XDG_DATA_DIRS/terraform/plugins``) are searched first. Terraform already uses a provider
   found there without any configuration, so again nothing is changed; the line says where it is.
3. **A bounded set of common locations** (``$TF_PLUGIN_CACHE_DIR``, then ``/opt``, ``/srv``,
   ``/usr/local/share``, ``/usr/share``, ``/usr/local/lib``, ``/usr/lib``, ``/var/lib``,
   ``/var/cache`` and the home directory, at most two directory levels below each) is searched
   for the pinned version for this platform. When found, a CLI config with a
   ``provider_installation { filesystem_mirror { ... } direct { exclude = [...] } }`` block
   for ``hashicorp/aws`` only is written to ``.state/terraform-cli.tfrc`` (git-ignored; the
   machine path never lands in a committed file) and ``TF_CLI_CONFIG_FILE`` points at it.
4. **Nothing found:** nothing is changed, and Terraform uses the registry as it does on any
   machine with internet access.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ops.context import REPO_ROOT, STATE_DIR

#: The provider the synthesized stacks require (the cdktf-cdktf-provider-aws 20.1.0 binding is
#: generated for exactly this version; tests/ops/test_provider_mirror.py checks the stacks agree).
PROVIDER_HOST = "registry.terraform.io"
PROVIDER_NAMESPACE = "hashicorp"
PROVIDER_TYPE = "aws"
PROVIDER_VERSION = "5.100.0"
PROVIDER_ADDRESS = "%s/%s/%s" % (PROVIDER_HOST, PROVIDER_NAMESPACE, PROVIDER_TYPE)

#: Where the CLI config pointing at a found mirror is written.
GENERATED_CONFIG = STATE_DIR / "terraform-cli.tfrc"

#: Common places an image or an administrator puts a provider mirror (searched after Terraform's
#: implied directories, at most ``SEARCH_DEPTH`` directory levels below each).
COMMON_ROOTS: tuple[str, ...] = (
    "/opt", "/srv", "/usr/local/share", "/usr/share", "/usr/local/lib", "/usr/lib", "/var/lib", "/var/cache",
)  # fmt: skip
SEARCH_DEPTH = 2
#: Directories never worth descending into while searching (large, or never a mirror).
SKIP_DIRS = frozenset({"proc", "sys", "dev", "node_modules", ".git", "__pycache__", "site-packages", ".cache"})


@dataclass(frozen=True)
class Resolution:
    """What Terraform will install the provider from, and the variables that make it so."""

    source: str
    """``user-config``, ``implied-mirror``, ``mirror`` or ``registry``."""
    message: str
    """One progress line for the user."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Variables to add to Terraform's environment (``TF_CLI_CONFIG_FILE`` for ``mirror``)."""
    mirror: Path | None = None
    """The mirror directory (the one holding ``registry.terraform.io/``), when one was found."""


def target_platform() -> str:
    """Terraform's ``<os>_<arch>`` name of this machine, e.g. ``linux_amd64``."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i386": "386",
            "i686": "386", "armv7l": "arm"}.get(machine, machine)  # fmt: skip
    system = {"win32": "windows", "cygwin": "windows"}.get(sys.platform, sys.platform)
    return "%s_%s" % ("linux" if system.startswith("linux") else system, arch)


def holds_provider(mirror: Path, version: str = PROVIDER_VERSION, target: str | None = None) -> bool:
    """True when ``mirror`` has the provider ``version`` for ``target`` (unpacked or packed layout)."""
    target = target or target_platform()
    base = mirror / PROVIDER_HOST / PROVIDER_NAMESPACE / PROVIDER_TYPE
    unpacked = base / version / target
    if unpacked.is_dir() and any(p.name.startswith("terraform-provider-%s" % PROVIDER_TYPE) for p in unpacked.iterdir()):
        return True
    return (base / ("terraform-provider-%s_%s_%s.zip" % (PROVIDER_TYPE, version, target))).is_file()


def implied_directories(environ: Mapping[str, str], home: Path, cwd: Path) -> list[Path]:
    """Terraform's implied local mirror directories on this OS, in Terraform's search order."""
    dirs = [cwd / "terraform.d" / "plugins", home / ".terraform.d" / "plugins"]
    if sys.platform == "darwin":
        dirs.append(home / "Library" / "Application Support" / "io.terraform" / "plugins")
    data_home = environ.get("XDG_DATA_HOME") or str(home / ".local" / "share")
    dirs.append(Path(data_home) / "terraform" / "plugins")
    data_dirs = environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    dirs += [Path(d) / "terraform" / "plugins" for d in data_dirs.split(":") if d]
    if sys.platform == "darwin":
        dirs.append(Path("/Library/Application Support/io.terraform/plugins"))
    return dirs


def _walk(root: Path, depth: int) -> Iterator[Path]:
    """``root`` and its subdirectories down to ``depth`` levels (no symlinked dirs, no SKIP_DIRS)."""
    yield root
    if depth == 0:
        return
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False) and entry.name not in SKIP_DIRS:
                yield from _walk(Path(entry.path), depth - 1)
        except OSError:
            continue


def search(roots: Iterable[Path], *, depth: int = SEARCH_DEPTH, version: str = PROVIDER_VERSION) -> Path | None:
    """The first directory at most ``depth`` levels below a root that holds the provider."""
    for root in roots:
        if not root.is_dir():
            continue
        for candidate in _walk(root, depth):
            if (candidate / PROVIDER_HOST).is_dir() and holds_provider(candidate, version):
                return candidate
    return None


def cli_config(mirror: Path) -> str:
    """The CLI config text: ``hashicorp/aws`` from ``mirror``, every other provider as usual."""
    quoted = str(mirror).replace("\\", "\\\\").replace('"', '\\"')
    return (
        "# Written by ops/provider_mirror.py: the pinned %s provider from a local filesystem mirror\n"
        "# (this machine cannot use the registry for it). Rewritten by every project command that runs\n"
        "# Terraform; set TF_CLI_CONFIG_FILE to a file of your own, or write ~/.terraformrc, to override.\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        '    path    = "%s"\n'
        '    include = ["%s"]\n'
        "  }\n"
        "  direct {\n"
        '    exclude = ["%s"]\n'
        "  }\n"
        "}\n"
    ) % (PROVIDER_ADDRESS, quoted, PROVIDER_ADDRESS, PROVIDER_ADDRESS)


def _write_if_changed(path: Path, text: str) -> None:
    if path.is_file() and path.read_text() == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("%s.tmp-%d" % (path.name, os.getpid()))
    tmp.write_text(text)
    os.replace(tmp, path)


def user_config(environ: Mapping[str, str], home: Path, generated: Path = GENERATED_CONFIG) -> Path | None:
    """The user's own CLI config file, if any (never the file this module writes)."""
    named = environ.get("TF_CLI_CONFIG_FILE")
    if named and Path(named).is_file() and Path(named).resolve() != generated.resolve():
        return Path(named)
    rc = home / (".terraformrc" if os.name != "nt" else "terraform.rc")
    return rc if rc.is_file() else None


def resolve(
    environ: Mapping[str, str] | None = None,
    *,
    home: Path | None = None,
    cwd: Path | None = None,
    roots: Iterable[Path] | None = None,
    generated: Path = GENERATED_CONFIG,
) -> Resolution:
    """Decide where Terraform gets the pinned provider from (see the module docstring)."""
    environ = os.environ if environ is None else environ
    home = home or Path(environ.get("HOME") or Path.home())
    cwd = cwd or Path.cwd()
    label = "terraform provider: hashicorp/%s %s" % (PROVIDER_TYPE, PROVIDER_VERSION)

    own = user_config(environ, home, generated)
    if own is not None:
        return Resolution("user-config", "%s as your CLI config %s says" % (label, own))

    implied = search(implied_directories(environ, home, cwd), depth=0)
    if implied is not None:
        return Resolution("implied-mirror", "%s from Terraform's implied mirror %s" % (label, implied), mirror=implied)

    if roots is None:
        cache = environ.get("TF_PLUGIN_CACHE_DIR")
        roots = [*([Path(cache)] if cache else []), *(Path(r) for r in COMMON_ROOTS), home]
    found = search(roots)
    if found is None:
        return Resolution("registry", "%s from the Terraform registry (no local mirror found)" % label)
    _write_if_changed(generated, cli_config(found))
    return Resolution(
        "mirror",
        "%s from the local mirror %s (CLI config %s)" % (label, found, _shown(generated)),
        env={"TF_CLI_CONFIG_FILE": str(generated)},
        mirror=found,
    )


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def terraform_env(
    base: Mapping[str, str] | None = None,
    *,
    roots: Iterable[Path] | None = None,
    generated: Path = GENERATED_CONFIG,
) -> tuple[dict[str, str], Resolution]:
    """``base`` (default: this process's environment) plus what :func:`resolve` decided."""
    env = dict(os.environ if base is None else base)
    found = resolve(env, roots=roots, generated=generated)
    if found.source == "registry" and env.get("TF_CLI_CONFIG_FILE") == str(generated):
        env.pop("TF_CLI_CONFIG_FILE")  # a stale pointer to a config this module wrote earlier
    env.update(found.env)
    return env, found


def main() -> int:
    print(resolve().message)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
