"""The image checks against the emulator's ECR: the tag-exists check before a push, and the scan gate.

One emulator (`python -m ops.emulator serve`, the project's patched moto) on a free port for this
module, stopped by its PID afterwards; `make test-e2e` runs it with the cycle (its requests are
checked against the API model like the cycle's) and `make test` runs it too (about 10 s). The code
under test is the project's own path: ``ops.image.push`` / ``remote_image`` and
``ops.image_scan.gate`` with the boto3 clients of ``ops.aws`` for the ``local`` environment. What
only a Docker engine does (build, ``docker push``) is replaced by a recorder here; `make test-image`
proves those with a real engine and registry.

The repository is created as the registry stack creates it (IMMUTABLE, scan on push). An image
already in it comes from ``PutImage`` with a manifest, as a push would leave it.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from envconfig import EnvironmentConfig, load_environment
from ops import emulator, image, image_remote, image_scan

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY = "flask-app-local"  # the local environment's physical name, as stacks/registry.py names it
MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
LOCAL_ID = "sha256:" + "1" * 64  # the image id of the "local" image in these tests
OTHER_ID = "sha256:" + "2" * 64
REASON = "CVE-9999-9999 is in a package the app never imports; the fix ships with the next base image"

pytest.importorskip("moto", reason="moto[server] is not installed (requirements-dev.txt pins it)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def emulator_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("image-checks-emulator")
    port = _free_port()
    records = os.environ.get("EMULATOR_API_LOG") or str(folder / "api.jsonl")
    env = {**os.environ, "EMULATOR_API_LOG": records}
    with (folder / "emulator.log").open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "ops.emulator", "serve", "--port", str(port)],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    url = emulator.endpoint_url(port)
    try:
        deadline = time.monotonic() + 60
        while not emulator.is_up(url, timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the emulator did not answer on %s: %s" % (url, (folder / "emulator.log").read_text()[-2000:]))
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()  # SIGTERM to its PID: ops.emulator serve shuts down
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def local(emulator_url: str) -> Iterator[EnvironmentConfig]:
    """The ``local`` environment, its clients pointed at this module's emulator, with its ECR repository."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EMULATOR_PORT", emulator_url.rsplit(":", 1)[1])
        for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            patch.delenv(key, raising=False)
        env = load_environment("local")
        ecr = _ecr(env)
        ecr.create_repository(repositoryName=REPOSITORY, imageTagMutability="IMMUTABLE",
                              imageScanningConfiguration={"scanOnPush": True})  # fmt: skip
        yield env


def _ecr(env: EnvironmentConfig) -> Any:
    from ops import aws

    return aws.client(env, "ecr")


def _put(env: EnvironmentConfig, tag: str, config_digest: str) -> str:
    """An image in the repository under ``tag``, its manifest naming ``config_digest``; returns ECR's digest."""
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1469, "digest": config_digest},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 31,
                    "digest": "sha256:" + config_digest[-8:] * 8}],
    })  # fmt: skip
    answer = _ecr(env).put_image(repositoryName=REPOSITORY, imageManifest=manifest, imageTag=tag)
    return str(answer["image"]["imageId"]["imageDigest"])


def _target(env: EnvironmentConfig) -> image.Target:
    url = image.ecr_url(str(env.account_id), env.region, REPOSITORY)
    return image.Target(repository=url, source="test", ecr_region=env.region)


@pytest.fixture
def docker(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The Docker side of ``ops.image.push``, recorded: the local image is LOCAL_ID; ``docker push`` prints a digest."""
    calls: list[list[str]] = []

    def fake_docker(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(list(args))
        out = "t: digest: sha256:%s size: 528\n" % ("9" * 64) if args[0] == "push" else ""
        return subprocess.CompletedProcess(args, 0, stdout=out, stderr="")

    monkeypatch.setattr(image, "_docker", fake_docker)
    monkeypatch.setattr(image, "docker_binary", lambda: "docker")
    monkeypatch.setattr(image, "require_local_image", lambda name, tag: "%s:%s" % (name, tag))
    monkeypatch.setattr(image, "login_ecr", lambda target, env_name: calls.append(["login", target.host]))
    monkeypatch.setattr(image_remote, "local_image", lambda ref, docker="docker": image_remote.LocalImage(LOCAL_ID))
    return calls


# ---- the tag-exists check before a push -----------------------------------------------------------


def test_tag_absent_the_image_is_pushed(local: EnvironmentConfig, docker: list[list[str]]) -> None:
    assert image.remote_image(_target(local), "e2e-absent", env_name="local") is None
    digest = image.push(name="flask-app", tag="e2e-absent", target=_target(local), env_name="local")
    assert digest == "sha256:" + "9" * 64
    assert ["push", _target(local).repository + ":e2e-absent"] in docker


def test_tag_exists_with_the_same_image_the_push_is_skipped(
    local: EnvironmentConfig, docker: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    ecr_digest = _put(local, "e2e-same", LOCAL_ID)
    remote = image.remote_image(_target(local), "e2e-same", env_name="local")
    assert remote == image_remote.RemoteImage(ecr_digest, LOCAL_ID)
    assert image.push(name="flask-app", tag="e2e-same", target=_target(local), env_name="local") == ecr_digest
    assert not [c for c in docker if c[0] in ("tag", "push")]  # nothing pushed
    assert "e2e-same already exists with the same image (%s, config digest %s = the local image id); push skipped" % (
        ecr_digest, LOCAL_ID) in capsys.readouterr().out  # fmt: skip


def test_tag_exists_with_another_image_the_push_stops(local: EnvironmentConfig, docker: list[list[str]]) -> None:
    ecr_digest = _put(local, "e2e-other", OTHER_ID)
    with pytest.raises(image.ImageError) as caught:
        image.push(name="flask-app", tag="e2e-other", target=_target(local), env_name="local")
    message = str(caught.value)
    assert message.startswith("%s:e2e-other already exists with another image: the repository has digest %s, config"
                              " digest %s; the local image has image id %s." % (_target(local).repository, ecr_digest,
                                                                               OTHER_ID, LOCAL_ID))  # fmt: skip
    assert "SKIP_IMAGE=1 IMAGE_TAG=e2e-other" in message
    assert not [c for c in docker if c[0] in ("tag", "push")]


# ---- the scan gate ------------------------------------------------------------------------------


def _findings(emulator_url: str, digest: str, findings: list[dict[str, Any]]) -> None:
    """Findings the emulator's ECR answers for ``digest`` (moto's API for configured scan results)."""
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding["severity"]] = counts.get(finding["severity"], 0) + 1
    result = {"registryId": "123456789012", "repositoryName": REPOSITORY, "imageId": {"imageDigest": digest},
              "imageScanStatus": {"status": "COMPLETE", "description": "The scan was completed successfully."},
              "imageScanFindings": {"findings": findings, "findingSeverityCounts": counts}}  # fmt: skip
    body = json.dumps({"results": [result], "region": "us-east-1"}).encode()
    request = urllib.request.Request(emulator_url + "/moto-api/static/ecr/scan-finding-results", data=body,
                                     headers={"Content-Type": "application/json"}, method="POST")  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201)


def _with_reason(env: EnvironmentConfig, reason: str | None) -> EnvironmentConfig:
    return env.model_copy(update={"registry": env.registry.model_copy(update={"allow_high_findings_reason": reason})})


def test_gate_starts_a_missing_scan_and_stops_on_high_without_a_reason(local: EnvironmentConfig, emulator_url: str) -> None:
    # No scan yet (moto does not scan on PutImage): the gate starts one, then reads its findings.
    digest = _put(local, "e2e-scan-high", "sha256:" + "3" * 64)
    _findings(emulator_url, digest, [
        {"name": "CVE-9999-9999", "uri": "https://nvd.example/CVE-9999-9999", "severity": "HIGH",
         "attributes": [{"key": "package_name", "value": "libfoo"}, {"key": "package_version", "value": "1.2"}]},
    ])  # fmt: skip
    log = io.StringIO()
    with pytest.raises(image_scan.ScanGateError, match=r"^ENV=local: flask-app-local@sha256:[0-9a-f]{64} \(tag e2e-scan-high\)"
                       r" has 1 HIGH scan finding\(s\)"):  # fmt: skip
        image_scan.gate(local, "e2e-scan-high", log=log, timeout=30, poll=0.2)
    out = log.getvalue()
    assert "yet: started one (StartImageScan)" in out
    assert "HIGH          CVE-9999-9999" in out and "scan gate: STOPPED on 1 HIGH" in out


def test_gate_passes_high_with_a_written_reason(local: EnvironmentConfig, emulator_url: str) -> None:
    digest = _put(local, "e2e-scan-reason", "sha256:" + "4" * 64)
    _findings(emulator_url, digest, [
        {"name": "CVE-9999-9999", "uri": "https://nvd.example/CVE-9999-9999", "severity": "HIGH",
         "attributes": [{"key": "package_name", "value": "libfoo"}, {"key": "package_version", "value": "1.2"}]},
        {"name": "CVE-9999-0001", "uri": "https://nvd.example/CVE-9999-0001", "severity": "LOW", "attributes": []},
    ])  # fmt: skip
    _ecr(local).start_image_scan(repositoryName=REPOSITORY, imageId={"imageDigest": digest})  # as scan on push does
    log = io.StringIO()
    assert image_scan.gate(_with_reason(local, REASON), "e2e-scan-reason", log=log, timeout=30, poll=0.2) == []
    out = log.getvalue()
    assert "HIGH          CVE-9999-9999            libfoo 1.2" in out
    assert "scan gate: passed with 1 HIGH finding(s) accepted by [environments.local.registry] allow_high_findings_reason" in out


def test_gate_stops_on_critical_even_with_a_reason(local: EnvironmentConfig, emulator_url: str) -> None:
    digest = _put(local, "e2e-scan-critical", "sha256:" + "5" * 64)
    _findings(emulator_url, digest, [
        {"name": "CVE-9999-0002", "uri": "https://nvd.example/CVE-9999-0002", "severity": "CRITICAL",
         "attributes": [{"key": "package_name", "value": "openssl"}, {"key": "package_version", "value": "3.0.11"}]},
    ])  # fmt: skip
    _ecr(local).start_image_scan(repositoryName=REPOSITORY, imageId={"imageDigest": digest})
    log = io.StringIO()
    with pytest.raises(image_scan.ScanGateError, match=r"has 1 CRITICAL scan finding\(s\)"):
        image_scan.gate(_with_reason(local, REASON), "e2e-scan-critical", log=log, timeout=30, poll=0.2)
    assert "CRITICAL      CVE-9999-0002            openssl 3.0.11" in log.getvalue()


def test_gate_on_the_emulator_without_the_image_says_it_did_not_check(local: EnvironmentConfig) -> None:
    log = io.StringIO()
    assert image_scan.gate(local, "e2e-never-pushed", log=log) == [
        "scan findings not checked: the emulator's ECR holds no image flask-app-local:e2e-never-pushed (it is not a registry)"
    ]



def test_a_production_deploy_step_3_runs_the_gate_against_the_emulators_ecr(local: EnvironmentConfig, emulator_url: str) -> None:
    # As the cycle's production-shaped deploy runs it (SKIP_IMAGE=1): the gate asks the emulator's ECR.
    from ops import deploy

    production = local.model_copy(update={"production": True, "deletion_protection": True})
    log = io.StringIO()
    notes = deploy.image_step(production, "e2e-prod-skip", skip_image=True, registry=None, log=log)
    assert notes == [
        "image step skipped: tag e2e-prod-skip was not built or pushed by this deploy",
        "scan findings not checked: the emulator's ECR holds no image flask-app-local:e2e-prod-skip (it is not a registry)",
    ]
    digest = _put(local, "e2e-prod-pushed", "sha256:" + "6" * 64)  # in the repository: its findings are read
    _findings(emulator_url, digest, [{"name": "CVE-9999-0003", "uri": "", "severity": "HIGH", "attributes": []}])
    with pytest.raises(image_scan.ScanGateError, match=r"has 1 HIGH scan finding\(s\)"):
        deploy.image_step(production, "e2e-prod-pushed", skip_image=True, registry=None, log=io.StringIO())
    assert deploy.image_step(production, "e2e-prod-pushed", skip_image=True, registry=None, log=io.StringIO(),
                             deployed_tag="e2e-prod-pushed") == []  # already runs: nothing shipped, no gate  # fmt: skip
