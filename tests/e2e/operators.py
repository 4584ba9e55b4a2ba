"""Helpers for the end-to-end tests: free ports, commands with their output shown, a second checkout."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Installed once per checkout and shared by a copy (the same pins): the venv and the npm packages.
SHARED_INSTALLS = (".venv", "node_modules", "tools/kernel-node/node_modules")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 1800) -> tuple[int, str]:
    """Run ``argv``; print it with its exit code, time and output (without Terraform's streamed lines)."""
    started = time.monotonic()
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    output = result.stdout + result.stderr
    shown = [line for line in output.splitlines() if not line.startswith("     | ")]
    print("\n$ (in %s) %s  (exit %d, %.0f s)\n%s" % (cwd, " ".join(argv)[:200], result.returncode,
                                                     time.monotonic() - started, "\n".join(shown)))  # fmt: skip
    return result.returncode, output


def copy_checkout(target: Path) -> Path:
    """A second operator's checkout: this working tree's tracked files, sharing the installed packages."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    for name in SHARED_INSTALLS:
        if (ROOT / name).exists():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(ROOT / name, target / name)
    return target
