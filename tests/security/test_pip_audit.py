"""security/pip_audit.py: the image's Python dependencies audited where a vulnerability database answers.

The decisions run everywhere; the real pip-audit (from the scanner venv) runs under `make security`
against a local OSV server on 127.0.0.1 that reports one vulnerability, so the audit is proven
without the internet.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import threading
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.security.conftest import require_gate
from tests.security.scanners import ROOT, SECURITY, TOOLS_VENV, load_script

audit = load_script("pip_audit")


def test_the_first_pin_of_the_lock_is_the_probe(tmp_path: Path) -> None:
    lock = tmp_path / "r.txt"
    lock.write_text("# header\n\nblinker==1.9.0 \\\n    --hash=sha256:00\nflask==3.1.3 ; python_version >= '3.9'\n")
    assert audit.first_pin(lock) == ("blinker", "1.9.0")
    assert audit.first_pin(ROOT / "requirements-app.txt")[0]  # the shipped lock pins something


def _get(answers: dict[str, Any]) -> Any:
    def get(url: str, body: Any) -> tuple[int, str]:
        answer = answers[url]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return get


def test_probe_reachable_and_unreachable() -> None:
    pypi = audit.PYPI_JSON.format(name="flask", version="3.1.3")
    get = _get({pypi: (200, json.dumps({"info": {}, "vulnerabilities": []})), audit.OSV_URL: (200, "{}")})
    assert audit.probe("pypi", "flask", "3.1.3", audit.OSV_URL, get) is None
    assert audit.probe("osv", "flask", "3.1.3", audit.OSV_URL, get) is None
    get = _get({pypi: (404, "Not Found"), audit.OSV_URL: urllib.error.URLError("[Errno -2] Name or service not known")})
    assert audit.probe("pypi", "flask", "3.1.3", audit.OSV_URL, get) == "%s answered HTTP 404" % pypi
    assert audit.probe("osv", "flask", "3.1.3", audit.OSV_URL, get) == (
        "https://api.osv.dev/v1/query: [Errno -2] Name or service not known")
    get = _get({pypi: (200, json.dumps({"info": {}}))})  # a proxy's answer without the vulnerability data
    assert audit.probe("pypi", "flask", "3.1.3", audit.OSV_URL, get) == "%s answered without a vulnerabilities list" % pypi


def test_no_database_reachable_is_a_skip_naming_what_was_tried() -> None:
    pypi = audit.PYPI_JSON.format(name="blinker", version="1.9.0")
    get = _get({pypi: (404, ""), audit.OSV_URL: OSError("network is unreachable")})
    result = audit.run(ROOT / "requirements-app.txt", services=["pypi", "osv"], osv_url=audit.OSV_URL, timeout=5, get=get)
    assert result.code == 0
    assert result.lines == [
        "pip-audit: SKIPPED: %s was not audited: no vulnerability database can be reached from here (pypi: %s answered"
        " HTTP 404; osv: https://api.osv.dev/v1/query: network is unreachable)" % (ROOT / "requirements-app.txt", pypi)
    ]


def test_outcome_vulnerabilities_fail_and_are_listed() -> None:
    report = {"dependencies": [
        {"name": "jinja2", "version": "3.1.6", "vulns": [{"id": "GHSA-1", "aliases": ["CVE-2099-1"], "fix_versions": ["3.1.7"]}]},
        {"name": "flask", "version": "3.1.3", "vulns": []},
    ]}  # fmt: skip
    result = audit.outcome(report, service="osv", requirements="requirements-app.txt")
    assert result.code == 1
    assert result.lines == ["pip-audit: FAILED: requirements-app.txt: 1 known vulnerability (database: osv)",
                            "  jinja2 3.1.6  GHSA-1 (CVE-2099-1)  fix: 3.1.7"]  # fmt: skip


def test_outcome_a_dependency_not_audited_fails_when_the_database_answers() -> None:
    report = {"dependencies": [{"name": "blinker", "skip_reason": "Dependency not found on PyPI and could not be audited"},
                               {"name": "flask", "version": "3.1.3", "vulns": []}]}  # fmt: skip
    result = audit.outcome(report, service="pypi", requirements="r.txt")
    assert result.code == 1 and result.lines[0] == "pip-audit: FAILED: r.txt: 1 dependencies not audited (database: pypi)"


def test_outcome_clean() -> None:
    report = {"dependencies": [{"name": "flask", "version": "3.1.3", "vulns": []}]}
    assert audit.outcome(report, service="pypi", requirements="r.txt") == audit.Outcome(
        0, ["pip-audit: r.txt: 1 dependencies audited against pypi: no known vulnerabilities"])


def test_unknown_services_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert audit.main(["requirements-app.txt"], environ={"PIP_AUDIT_SERVICES": "safety"}) == 2
    assert "PIP_AUDIT_SERVICES='safety'; allowed: a comma-separated list of pypi, osv" in capsys.readouterr().err


@pytest.fixture
def osv() -> Iterator[str]:
    """An OSV API on 127.0.0.1 that knows one vulnerability: jinja2 below 3.1.7 (a made-up advisory)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            vulns = []
            if body["package"]["name"].lower() == "jinja2":
                vulns = [{"id": "GHSA-test-0001", "aliases": ["CVE-2099-0001"], "summary": "test advisory",
                          "details": "made up for the test", "modified": "2026-01-01T00:00:00Z",
                          "affected": [{"package": {"name": "jinja2", "ecosystem": "PyPI"}, "ranges": [
                              {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.7"}]}]}]}]  # fmt: skip
            out = json.dumps({"vulns": vulns} if vulns else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield "http://127.0.0.1:%d/v1/query" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _pip_audit_python() -> Path:
    require_gate()
    python = TOOLS_VENV / "bin" / "python"
    if not (TOOLS_VENV / "bin" / "pip-audit").is_file():
        pytest.skip("the scanner venv %s has no pip-audit; run `make security` (requirements-security.txt)" % TOOLS_VENV)
    return python


def test_real_pip_audit_finds_the_vulnerability_the_database_reports(osv: str, tmp_path: Path) -> None:
    python = _pip_audit_python()
    lock = tmp_path / "requirements-app.txt"
    lock.write_text((ROOT / "requirements-app.txt").read_text())
    env = {**os.environ, "PIP_AUDIT_SERVICES": "osv", "PIP_AUDIT_OSV_URL": osv}
    proc = subprocess.run([str(python), str(SECURITY / "pip_audit.py"), str(lock)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    jinja2 = audit._PIN.match(next(line for line in lock.read_text().splitlines() if line.startswith("jinja2=="))).group(2)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == ["pip-audit: FAILED: %s: 1 known vulnerability (database: osv)" % lock,
                                        "  jinja2 %s  CVE-2099-0001 (GHSA-test-0001)  fix: 3.1.7" % jinja2]  # fmt: skip


def test_real_pip_audit_passes_a_clean_lock(osv: str, tmp_path: Path) -> None:
    python = _pip_audit_python()
    lock = tmp_path / "requirements-app.txt"
    kept, skipping = [], False
    for line in (ROOT / "requirements-app.txt").read_text().splitlines():  # the lock without jinja2's block
        if line[:1].isalnum():
            skipping = line.startswith("jinja2==")
        if not skipping:
            kept.append(line)
    lock.write_text("\n".join(kept) + "\n")
    assert "jinja2==" not in lock.read_text() and "flask==" in lock.read_text()
    env = {**os.environ, "PIP_AUDIT_SERVICES": "osv", "PIP_AUDIT_OSV_URL": osv}
    proc = subprocess.run([str(python), str(SECURITY / "pip_audit.py"), str(lock)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("pip-audit: %s: " % lock) and proc.stdout.rstrip().endswith("no known vulnerabilities")
