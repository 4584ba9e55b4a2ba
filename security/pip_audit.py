"""Audit the image's Python dependencies with pip-audit, where its vulnerability database answers.

    .tools-venv/bin/python security/pip_audit.py requirements-app.txt

Exit 0 when no dependency has a known vulnerability, and also when no vulnerability database can
be reached from here: then one ``pip-audit: SKIPPED: ...`` line names each database tried and what
it answered. Exit 1 on a known vulnerability (each printed: package, version, id, aliases, fix
versions) or on a dependency pip-audit could not audit while the database did answer. Exit 2
when pip-audit itself is missing or fails. Runs in the scanner venv (``make security`` installs
pip-audit there from requirements-security.txt); it imports nothing from the project.

The databases, in order (``PIP_AUDIT_SERVICES``, default ``pypi,osv``):

* ``pypi``: pip-audit's default, PyPI's JSON API, ``https://pypi.org/pypi/<name>/<version>/json``
  (its ``vulnerabilities``, from the Python advisory database);
* ``osv``: the OSV API, ``https://api.osv.dev/v1/query`` (``PIP_AUDIT_OSV_URL`` for a mirror).

Each is probed first with the lock's first pin, a release that exists: pip-audit reports a
dependency its service does not answer for as "not found on PyPI", skips it and still says "No
known vulnerabilities found" with exit 0. Behind a package-index proxy that serves ``/simple/``
but not the per-release JSON API, every dependency is skipped that way; the probe turns that into
a visible SKIPPED instead of a silent pass. The audit uses the pins as locked (``--no-deps
--disable-pip``: nothing is installed or resolved) and the first database that answers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PYPI_JSON = "https://pypi.org/pypi/{name}/{version}/json"
OSV_URL = "https://api.osv.dev/v1/query"
SERVICES = ("pypi", "osv")
TIMEOUT_SECONDS = 15.0
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")

#: (url, JSON body or None) -> (HTTP status, body text); raises OSError/URLError when nothing answers.
Fetch = Callable[[str, "dict[str, Any] | None"], "tuple[int, str]"]


def fetch(url: str, body: dict[str, Any] | None, timeout: float = TIMEOUT_SECONDS) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {},
                                     method="POST" if data else "GET")  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode(errors="replace")


def first_pin(requirements: Path) -> tuple[str, str]:
    for line in requirements.read_text().splitlines():
        found = _PIN.match(line.strip())
        if found:
            return found.group(1), found.group(2)
    raise ValueError("%s pins no package (name==version)" % requirements)


def probe(service: str, name: str, version: str, osv_url: str, get: Fetch) -> str | None:
    """None when ``service`` answers for ``name==version``, else what it answered (the skip reason)."""
    if service == "pypi":
        url, body = PYPI_JSON.format(name=name, version=version), None
    else:
        url, body = osv_url, {"package": {"name": name, "ecosystem": "PyPI"}, "version": version}
    try:
        status, text = get(url, body)
    except (urllib.error.URLError, OSError) as exc:
        return "%s: %s" % (url, getattr(exc, "reason", exc))
    if status != 200:
        return "%s answered HTTP %d" % (url, status)
    try:
        answer = json.loads(text)
    except ValueError:
        return "%s answered with something that is not JSON" % url
    if not isinstance(answer, dict) or (service == "pypi" and "vulnerabilities" not in answer):
        return "%s answered without a vulnerabilities list" % url
    return None


@dataclass(frozen=True)
class Outcome:
    code: int  # 0 passed or skipped, 1 findings, 2 the audit could not run
    lines: list[str]


def outcome(report: Mapping[str, Any], *, service: str, requirements: str) -> Outcome:
    """Pure: pip-audit's JSON report -> the exit code and the lines to print."""
    dependencies = list(report.get("dependencies") or [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    found = [(d, v) for d in dependencies for v in d.get("vulns") or []]
    lines: list[str] = []
    for dep, vuln in found:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "none yet"
        aliases = ", ".join(vuln.get("aliases") or [])
        lines.append("  %s %s  %s%s  fix: %s" % (dep.get("name"), dep.get("version"), vuln.get("id"),
                                                 " (%s)" % aliases if aliases else "", fixes))  # fmt: skip
    lines += ["  %s: not audited: %s" % (d.get("name"), d.get("skip_reason")) for d in skipped]
    audited = len(dependencies) - len(skipped)
    if found or skipped:
        what = "; ".join(filter(None, ("%d known vulnerabilit%s" % (len(found), "y" if len(found) == 1 else "ies") if found else "",
                                       "%d dependencies not audited" % len(skipped) if skipped else "")))  # fmt: skip
        return Outcome(1, ["pip-audit: FAILED: %s: %s (database: %s)" % (requirements, what, service), *lines])
    return Outcome(0, ["pip-audit: %s: %d dependencies audited against %s: no known vulnerabilities"
                       % (requirements, audited, service)])  # fmt: skip


def pip_audit_command(requirements: Path, service: str, osv_url: str, timeout: float) -> list[str]:
    command = [str(Path(sys.executable).with_name("pip-audit")), "-r", str(requirements), "--no-deps", "--disable-pip",
               "--format", "json", "--progress-spinner", "off", "--timeout", "%d" % timeout,
               "--vulnerability-service", service]  # fmt: skip
    if service == "osv":
        command += ["--osv-url", osv_url]
    return command


def run(requirements: Path, *, services: Sequence[str], osv_url: str, timeout: float, get: Fetch) -> Outcome:
    name, version = first_pin(requirements)
    unreachable: list[str] = []
    for service in services:
        why = probe(service, name, version, osv_url, get)
        if why:
            unreachable.append("%s: %s" % (service, why))
            continue
        command = pip_audit_command(requirements, service, osv_url, timeout)
        if not Path(command[0]).is_file():
            return Outcome(2, ["pip-audit: ERROR: %s is not installed (make security installs requirements-security.txt)"
                               % command[0]])  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        try:
            report = json.loads(result.stdout)
        except ValueError:
            return Outcome(2, ["pip-audit: ERROR: pip-audit exited %d without a report: %s"
                               % (result.returncode, result.stderr.strip()[-1500:])])  # fmt: skip
        return outcome(report, service=service, requirements=str(requirements))
    return Outcome(0, ["pip-audit: SKIPPED: %s was not audited: no vulnerability database can be reached from here (%s)"
                       % (requirements, "; ".join(unreachable))])  # fmt: skip


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("requirements", type=Path, help="a hashed lock, e.g. requirements-app.txt")
    args = parser.parse_args(argv)
    services = [s.strip() for s in environ.get("PIP_AUDIT_SERVICES", ",".join(SERVICES)).split(",") if s.strip()]
    bad = [s for s in services if s not in SERVICES]
    if bad or not services:
        print("pip-audit: ERROR: PIP_AUDIT_SERVICES=%r; allowed: a comma-separated list of %s"
              % (environ.get("PIP_AUDIT_SERVICES"), ", ".join(SERVICES)), file=sys.stderr)  # fmt: skip
        return 2
    timeout = float(environ.get("PIP_AUDIT_TIMEOUT") or TIMEOUT_SECONDS)
    osv_url = environ.get("PIP_AUDIT_OSV_URL") or OSV_URL
    result = run(args.requirements, services=services, osv_url=osv_url, timeout=timeout,
                 get=lambda url, body: fetch(url, body, timeout))  # fmt: skip
    print("\n".join(result.lines), file=sys.stderr if result.code == 2 else sys.stdout)
    return result.code


if __name__ == "__main__":
    sys.exit(main())
