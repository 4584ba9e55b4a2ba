"""The safe image pipeline's decisions: platform, tag-exists, scan findings, and their config.

Against the emulator's ECR: tests/e2e/test_image_checks_on_emulator.py. With a real engine and
registry: `make test-image`.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from envconfig import ConfigError, load_environment, load_environments
from envconfig.model import RegistryConfig
from ops import deploy, image, image_remote, image_scan
from rules import images as rules

A, B, C = ("sha256:" + ch * 64 for ch in "abc")


def _ecr_model() -> Any:
    return botocore.session.get_session().get_service_model("ecr")


# ---- rules: platform, severities, statuses -------------------------------------------------------


def test_docker_platforms_cover_the_ecs_cpu_architectures() -> None:
    ecs = botocore.session.get_session().get_service_model("ecs")
    assert sorted(rules.DOCKER_PLATFORMS) == sorted(ecs.shape_for("CPUArchitecture").enum)


@pytest.mark.parametrize(("architecture", "platform"), [("X86_64", "linux/amd64"), ("ARM64", "linux/arm64")])
def test_the_platform_is_the_tasks_architecture(architecture: str, platform: str) -> None:
    assert rules.image_platform({"container": architecture, "workloads.worker.container": architecture}) == platform


def test_mixed_architectures_cannot_share_one_image() -> None:
    with pytest.raises(ValueError, match=r"^workloads\.job\.container\.cpu_architecture='ARM64' differs from"
                       r" container\.cpu_architecture='X86_64': every workload runs the environment's one image"):  # fmt: skip
        rules.image_platform({"container": "X86_64", "workloads.job.container": "ARM64"})
    with pytest.raises(ValueError, match=r"^container\.cpu_architecture='RISCV'; allowed: X86_64, ARM64$"):
        rules.image_platform({"container": "RISCV"})


def test_the_gate_severities_and_statuses_are_the_api_models() -> None:
    model = _ecr_model()
    assert {rules.BLOCKING_SEVERITY, rules.ALLOWABLE_SEVERITY} <= set(model.shape_for("FindingSeverity").enum)
    assert image_scan.severities() == tuple(model.shape_for("FindingSeverity").enum)
    statuses = set(model.shape_for("ScanStatus").enum)
    assert statuses >= image_scan.WAIT_STATUSES | image_scan.DONE_STATUSES
    assert {s: image_scan.scan_state(s) for s in ("IN_PROGRESS", "PENDING", "COMPLETE", "ACTIVE", "FAILED")} == {
        "IN_PROGRESS": "wait", "PENDING": "wait", "COMPLETE": "done", "ACTIVE": "done", "FAILED": "stop"}  # fmt: skip
    # Every other status of the model means no findings will come: the gate stops on it.
    others = statuses - image_scan.WAIT_STATUSES - image_scan.DONE_STATUSES
    assert others and {image_scan.scan_state(s) for s in others} == {"stop"}


def test_platform_for_an_environment() -> None:
    assert image.platform_for(load_environment("prod")) == "linux/amd64"


# ---- config: allow_high_findings_reason and one architecture -------------------------------------


def test_a_written_reason_is_accepted() -> None:
    reason = "CVE-2026-1234 is in libfoo, which the app never loads; the fix ships with the next base image"
    assert RegistryConfig(allow_high_findings_reason=reason).allow_high_findings_reason == reason
    assert RegistryConfig().allow_high_findings_reason is None


@pytest.mark.parametrize(
    ("reason", "why"),
    [("", "is not a reason"), ("   ", "is not a reason"), ("TODO", "is not a reason"), ("accepted", "is not a reason"),
     ("n/a n/a n/a n/a n/a n/a n/a", "is a placeholder, not a reason"),
     ("todo tbd fixme later placeholder", "is a placeholder, not a reason"),
     ("x" * 25, "is not a reason"), ("ok " * 400, "is not a reason")],
)  # fmt: skip
def test_a_placeholder_or_empty_reason_is_refused(reason: str, why: str) -> None:
    with pytest.raises(ValueError, match=r"allow_high_findings_reason=.* %s; allowed: a written reason of 20\.\.1000"
                       r" characters and at least three words" % why):  # fmt: skip
        RegistryConfig(allow_high_findings_reason=reason)


def _write(tmp_path: Path, text: str) -> Path:
    shipped = (Path(__file__).resolve().parents[2] / "envconfig" / "environments.toml").read_text()
    path = tmp_path / "environments.toml"
    path.write_text(shipped + "\n" + text)
    return path


def test_the_reason_error_names_the_environment_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, '[environments.prod.registry]\nallow_high_findings_reason = "tbd"\n')
    with pytest.raises(ConfigError, match=r"prod\.registry\.allow_high_findings_reason: allow_high_findings_reason='tbd'"
                       r" is not a reason; allowed: a written reason"):  # fmt: skip
        load_environments(path, only=["prod"])


def test_an_environment_with_two_task_architectures_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, '[environments.prod.workloads.armjob]\nkind = "job"\nschedule = "rate(1 day)"\n'
                  'container = { command = ["python", "-m", "app.job"], cpu_architecture = "ARM64" }\n')
    with pytest.raises(ConfigError, match=r"prod: workloads\.armjob\.container\.cpu_architecture='ARM64' differs from"
                       r" container\.cpu_architecture='X86_64'.*allowed: the same cpu_architecture for all"):  # fmt: skip
        load_environments(path, only=["prod"])


# ---- build: --platform, and the built image's platform is checked -------------------------------


@dataclass
class FakeEngine:
    """ops.image's docker calls, answered by an engine that builds for ``builds`` (no Docker runs)."""

    builds: str = "linux/amd64"
    calls: list[list[str]] = field(default_factory=list)

    def __call__(self, args: list[str], **kwargs: Any) -> Any:
        self.calls.append(list(args))
        out = "sha256:%s %s\n" % ("1" * 64, self.builds) if args[:2] == ["image", "inspect"] else ""
        return subprocess.CompletedProcess(args, 0, stdout=out, stderr="")


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr(image, "download_wheels", lambda requirements, dest, **kw: dest)
    monkeypatch.setattr(image, "_docker", fake)
    return fake


def test_build_passes_the_platform_and_accepts_a_matching_image(engine: FakeEngine) -> None:
    assert image.build(name="flask-app", tag="abc1234", base_image=None, platform="linux/amd64", root=Path("/tmp")) == (
        "sha256:" + "1" * 64)
    build = next(c for c in engine.calls if c[0] == "build")
    assert build[build.index("--platform") + 1] == "linux/amd64"
    assert ["image", "rm", "flask-app:abc1234"] not in engine.calls


def test_build_refuses_an_image_of_another_platform_and_removes_its_tag(engine: FakeEngine) -> None:
    # What Debian's dockerd 20.10 legacy builder does with --platform linux/arm64 and a local amd64 base image.
    engine.builds = "linux/amd64"
    with pytest.raises(image.ImageError, match=r"docker built flask-app:abc1234 for linux/amd64, but the tasks run"
                       r" linux/arm64: the engine ignored --platform"):  # fmt: skip
        image.build(name="flask-app", tag="abc1234", base_image="local/base:1", platform="linux/arm64", root=Path("/tmp"))
    assert ["image", "rm", "flask-app:abc1234"] in engine.calls


# ---- the tag-exists decision ----------------------------------------------------------------------

REPO = "123456789012.dkr.ecr.us-east-1.amazonaws.com/flask-app-dev"


def test_an_absent_tag_is_pushed() -> None:
    decision = image_remote.decide(image_remote.LocalImage(A), None, repository=REPO, tag="t1")
    assert decision.action == "push" and decision.digest is None
    assert decision.message == "%s:t1 is not in the repository yet; pushing" % REPO


@pytest.mark.parametrize(
    ("local", "remote", "how"),
    [(image_remote.LocalImage(A), image_remote.RemoteImage(B, config_digest=A), "config digest %s = the local image id" % A),
     (image_remote.LocalImage(C, repo_digests=("%s@%s" % (REPO, B),)), image_remote.RemoteImage(B, config_digest=A),
      "the local image's registry digest"),
     (image_remote.LocalImage(B), image_remote.RemoteImage(B), "the local image id")],
)  # fmt: skip
def test_the_same_image_is_not_pushed_again(local: Any, remote: Any, how: str) -> None:
    decision = image_remote.decide(local, remote, repository=REPO, tag="t1")
    assert decision.action == "skip" and decision.digest == B
    assert decision.message == "%s:t1 already exists with the same image (%s, %s); push skipped" % (REPO, B, how)


def test_another_image_under_the_tag_stops_with_both_digests_and_what_to_do() -> None:
    local = image_remote.LocalImage(C, repo_digests=("other.example/flask-app@%s" % A,))  # another repository's digest
    with pytest.raises(image.ImageError) as caught:
        image_remote.decide(local, image_remote.RemoteImage(B, config_digest=A), repository=REPO, tag="t1")
    assert str(caught.value) == (
        "%s:t1 already exists with another image: the repository has digest %s, config digest %s; the local image has"
        " image id %s. Tags are immutable and never reused; nothing was pushed. To deploy the image already there:"
        " SKIP_IMAGE=1 IMAGE_TAG=t1; to ship this build: commit the change for a new sha (or ALLOW_DIRTY=1 for a"
        " <sha>-dirty-<hash> tag outside production) and build again" % (REPO, B, A, C)
    )


class FakeEcr:
    """ECR answers as the API model shapes them; records the calls."""

    def __init__(self, images: dict[str, tuple[str, str]] | None = None, pages: list[list[dict[str, Any]]] | None = None,
                 start_error: str | None = None) -> None:  # fmt: skip
        self.images = images or {}  # tag -> (digest, manifest)
        self.pages = pages or []  # one list of DescribeImageScanFindings pages per call
        self.start_error = start_error
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def batch_get_image(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("batch_get_image", kw))
        tag = kw["imageIds"][0]["imageTag"]
        if tag not in self.images:
            return {"images": [], "failures": [{"imageId": {"imageTag": tag}, "failureCode": "ImageNotFound",
                                                "failureReason": "Requested image not found"}]}  # fmt: skip
        digest, manifest = self.images[tag]
        return {"images": [{"imageId": {"imageDigest": digest, "imageTag": tag}, "imageManifest": manifest}], "failures": []}

    def describe_images(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("describe_images", kw))
        tag = kw["imageIds"][0]["imageTag"]
        if tag not in self.images:
            raise ClientError({"Error": {"Code": "ImageNotFoundException", "Message": "no"}}, "DescribeImages")
        return {"imageDetails": [{"imageDigest": self.images[tag][0], "imageTags": [tag]}]}

    def get_paginator(self, name: str) -> Any:
        assert name == "describe_image_scan_findings"
        fake = self

        class Paginator:
            def paginate(self, **kw: Any) -> list[dict[str, Any]]:
                fake.calls.append(("describe_image_scan_findings", kw))
                pages = fake.pages.pop(0) if len(fake.pages) > 1 else fake.pages[0]
                if pages and pages[0].get("error"):
                    raise ClientError({"Error": {"Code": pages[0]["error"], "Message": "x"}}, "DescribeImageScanFindings")
                return pages

        return Paginator()

    def start_image_scan(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("start_image_scan", kw))
        if self.start_error:
            raise ClientError({"Error": {"Code": self.start_error, "Message": "x"}}, "StartImageScan")
        return {"imageScanStatus": {"status": "IN_PROGRESS"}}


def _manifest(config: str) -> str:
    return json.dumps({"schemaVersion": 2, "mediaType": image_remote.MANIFEST_TYPES[0],
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": config},
                       "layers": []})  # fmt: skip


def test_ecr_image_reads_the_digest_and_the_config_digest() -> None:
    ecr = FakeEcr({"t1": (B, _manifest(A))})
    assert image_remote.ecr_image(ecr, "flask-app-dev", "t1", "123456789012") == image_remote.RemoteImage(B, A)
    assert image_remote.ecr_image(ecr, "flask-app-dev", "t2") is None
    assert ecr.calls[0][1]["registryId"] == "123456789012" and "registryId" not in ecr.calls[1][1]
    assert ecr.calls[0][1]["acceptedMediaTypes"] == list(image_remote.MANIFEST_TYPES)


def test_push_skips_a_tag_that_holds_the_same_image(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    target = image.Target(repository="127.0.0.1:5000/flask-app", source="REGISTRY")
    pushed: list[list[str]] = []
    monkeypatch.setattr(image, "require_local_image", lambda name, tag: "%s:%s" % (name, tag))
    monkeypatch.setattr(image, "docker_binary", lambda: "docker")
    monkeypatch.setattr(image_remote, "local_image", lambda ref, docker="docker": image_remote.LocalImage(A))
    monkeypatch.setattr(image, "remote_image", lambda target, tag, **kw: image_remote.RemoteImage(B, config_digest=A))
    monkeypatch.setattr(image, "_docker", lambda args, **kw: pushed.append(list(args)))
    assert image.push(name="flask-app", tag="t1", target=target, env_name="local") == B
    assert pushed == []  # no docker tag, no docker push
    out = capsys.readouterr().out
    assert "127.0.0.1:5000/flask-app:t1 already exists with the same image (%s, config digest %s = the local image id);" \
           " push skipped" % (B, A) in out  # fmt: skip
    assert "digest %s" % B in out


def test_push_stops_before_docker_push_when_the_tag_holds_another_image(monkeypatch: pytest.MonkeyPatch) -> None:
    target = image.Target(repository="127.0.0.1:5000/flask-app", source="REGISTRY")
    pushed: list[list[str]] = []
    monkeypatch.setattr(image, "require_local_image", lambda name, tag: "%s:%s" % (name, tag))
    monkeypatch.setattr(image, "docker_binary", lambda: "docker")
    monkeypatch.setattr(image_remote, "local_image", lambda ref, docker="docker": image_remote.LocalImage(C))
    monkeypatch.setattr(image, "remote_image", lambda target, tag, **kw: image_remote.RemoteImage(B, config_digest=A))
    monkeypatch.setattr(image, "_docker", lambda args, **kw: pushed.append(list(args)))
    with pytest.raises(image.ImageError, match=r"already exists with another image: the repository has digest sha256:b+"):
        image.push(name="flask-app", tag="t1", target=target, env_name="local")
    assert pushed == []


# ---- a plain registry's v2 API (a local HTTP server that answers as docker-registry does) ---------


@pytest.fixture
def registry() -> Iterator[tuple[str, dict[str, Any]]]:
    state: dict[str, Any] = {"manifests": {}, "auth": None, "basic": None, "token_queries": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            host = "127.0.0.1:%d" % self.server.server_address[1]
            if self.path.startswith("/token?"):  # a token service: the bearer token for the basic credentials
                state["token_queries"].append(self.path)
                ok = self.headers.get("Authorization") == state["basic"]
                self.send_response(200 if ok else 401)
                self.end_headers()
                self.wfile.write(json.dumps({"token": "t0ken"}).encode() if ok else b"{}")
                return
            if state["auth"] and self.headers.get("Authorization") != state["auth"]:
                self.send_response(401)
                challenge = ('Bearer realm="http://%s/token",service="test-registry",scope="repository:flask-app:pull"'
                             % host if state["auth"].startswith("Bearer") else 'Basic realm="test"')  # fmt: skip
                self.send_header("WWW-Authenticate", challenge)
                self.end_headers()
                return
            tag = self.path.rsplit("/", 1)[-1]
            if self.path.startswith("/v2/flask-app/manifests/") and tag in state["manifests"]:
                digest, body = state["manifests"][tag]
                self.send_response(200)
                self.send_header("Docker-Content-Digest", digest)
                self.send_header("Content-Type", image_remote.MANIFEST_TYPES[0])
                self.end_headers()
                self.wfile.write(body.encode())
                return
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1:%d" % server.server_address[1], state
    finally:
        server.shutdown()
        server.server_close()


def test_registry_image_absent_and_present(registry: tuple[str, dict[str, Any]]) -> None:
    host, state = registry
    assert image_remote.registry_image(host + "/flask-app", "t1") is None
    state["manifests"]["t1"] = (B, _manifest(A))
    assert image_remote.registry_image(host + "/flask-app", "t1") == image_remote.RemoteImage(B, A)


def test_registry_image_logs_in_with_basic_auth(registry: tuple[str, dict[str, Any]]) -> None:
    host, state = registry
    state["auth"] = "Basic " + base64.b64encode(b"ci:secret").decode()
    state["manifests"]["t1"] = (B, _manifest(A))
    with pytest.raises(image_remote.RemoteCheckError, match=r"needs credentials \(HTTP 401\); set REGISTRY_USER and REGISTRY_PASSWORD"):
        image_remote.registry_image(host + "/flask-app", "t1")
    assert image_remote.registry_image(host + "/flask-app", "t1", user="ci", password="secret") == image_remote.RemoteImage(B, A)
    with pytest.raises(image_remote.RemoteCheckError, match=r"refused the credentials"):
        image_remote.registry_image(host + "/flask-app", "t1", user="ci", password="wrong")


def test_registry_image_follows_a_bearer_token_challenge(registry: tuple[str, dict[str, Any]]) -> None:
    host, state = registry
    state["basic"] = "Basic " + base64.b64encode(b"ci:secret").decode()
    state["auth"] = "Bearer t0ken"
    state["manifests"]["t1"] = (B, _manifest(A))
    assert image_remote.registry_image(host + "/flask-app", "t1", user="ci", password="secret") == image_remote.RemoteImage(B, A)
    assert state["token_queries"] == ["/token?service=test-registry&scope=repository%3Aflask-app%3Apull"]
    with pytest.raises(image_remote.RemoteCheckError, match=r"^cannot get a registry token from http://127\.0\.0\.1:\d+/token"):
        image_remote.registry_image(host + "/flask-app", "t1", user="ci", password="wrong")


def test_an_unreachable_registry_is_an_error_not_an_absent_tag() -> None:
    with pytest.raises(image_remote.RemoteCheckError, match=r"^cannot reach http://127\.0\.0\.1:9/v2/flask-app/manifests/t1"):
        image_remote.registry_image("127.0.0.1:9/flask-app", "t1", timeout=2)


@pytest.mark.parametrize(("host", "scheme"), [("127.0.0.1:5000", "http"), ("localhost:5000", "http"),
                                              ("registry.example.com", "https"), ("10.0.0.5:5000", "https")])  # fmt: skip
def test_registry_scheme(host: str, scheme: str) -> None:
    assert image_remote.registry_scheme(host) == scheme


# ---- the findings decision ------------------------------------------------------------------------

F_CRIT = image_scan.Finding("CRITICAL", "CVE-2026-0001", "openssl 3.0.11", "https://nvd.example/CVE-2026-0001")
F_HIGH = image_scan.Finding("HIGH", "CVE-2026-0002", "zlib 1.2.13", "https://nvd.example/CVE-2026-0002")
F_MED = image_scan.Finding("MEDIUM", "CVE-2026-0003", "tar 1.34", "")
REASON = "CVE-2026-0002 is in zlib's gzip writer, which the app never calls; fixed in the next base image"


def test_no_findings_pass() -> None:
    verdict = image_scan.decide([], env_name="prod", reference="r@d", allow_high_reason=None)
    assert verdict.ok and verdict.lines == ["scan findings for r@d: 0 (none)", "scan gate: passed (no CRITICAL or HIGH findings)"]


def test_critical_stops_even_with_a_reason() -> None:
    verdict = image_scan.decide([F_MED, F_CRIT], env_name="prod", reference="r@d", allow_high_reason=REASON)
    assert not verdict.ok
    assert verdict.lines[-1] == "scan gate: STOPPED on 1 CRITICAL"
    assert verdict.error is not None and verdict.error.startswith(
        "ENV=prod: r@d has 1 CRITICAL scan finding(s) (listed above); a production deploy stops on CRITICAL, and on HIGH"
        " unless [environments.prod.registry] allow_high_findings_reason gives a written reason; nothing was applied.")


def test_high_stops_without_a_reason() -> None:
    verdict = image_scan.decide([F_HIGH, F_CRIT, F_HIGH], env_name="prod", reference="r@d", allow_high_reason=None)
    assert not verdict.ok and verdict.lines[-1] == "scan gate: STOPPED on 1 CRITICAL and 2 HIGH"
    verdict = image_scan.decide([F_HIGH], env_name="prod", reference="r@d", allow_high_reason=None)
    assert not verdict.ok and verdict.lines[-1] == "scan gate: STOPPED on 1 HIGH"


def test_high_passes_with_a_written_reason_which_is_printed() -> None:
    verdict = image_scan.decide([F_MED, F_HIGH], env_name="prod", reference="r@d", allow_high_reason=REASON)
    assert verdict.ok and verdict.error is None
    assert verdict.lines[-1] == ("scan gate: passed with 1 HIGH finding(s) accepted by [environments.prod.registry]"
                                 " allow_high_findings_reason: %r" % REASON)  # fmt: skip


def test_every_finding_is_printed_most_severe_first_with_name_package_and_uri() -> None:
    unknown = image_scan.Finding("UNTRIAGED", "GHSA-x", "", "")
    verdict = image_scan.decide([F_MED, unknown, F_HIGH, F_CRIT], env_name="prod", reference="r@d",
                                allow_high_reason=None)  # fmt: skip
    assert verdict.lines[0] == "scan findings for r@d: 4 (CRITICAL 1, HIGH 1, MEDIUM 1, UNTRIAGED 1)"
    table = verdict.lines[1:6]
    assert table[0].split() == ["SEVERITY", "NAME", "PACKAGE", "URI"]
    assert [row.split()[0] for row in table[1:]] == ["CRITICAL", "HIGH", "MEDIUM", "UNTRIAGED"]
    assert table[1].split() == ["CRITICAL", "CVE-2026-0001", "openssl", "3.0.11", "https://nvd.example/CVE-2026-0001"]
    assert table[3].split() == ["MEDIUM", "CVE-2026-0003", "tar", "1.34", "-"]


def test_findings_are_read_from_basic_and_enhanced_scans() -> None:
    page = {"imageScanFindings": {
        "findings": [{"name": "CVE-1", "uri": "u1", "severity": "HIGH",
                      "attributes": [{"key": "package_version", "value": "1.0"}, {"key": "package_name", "value": "libx"}]}],
        "enhancedFindings": [{"severity": "CRITICAL", "title": "t", "packageVulnerabilityDetails": {
            "vulnerabilityId": "CVE-2", "sourceUrl": "u2", "vulnerablePackages": [{"name": "liby", "version": "2.0"}]}}],
    }}  # fmt: skip
    assert image_scan.findings_from(page) == [image_scan.Finding("HIGH", "CVE-1", "libx 1.0", "u1"),
                                              image_scan.Finding("CRITICAL", "CVE-2", "liby 2.0", "u2")]  # fmt: skip


# ---- waiting for the scan ----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _page(status: str, findings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"imageScanStatus": {"status": status, "description": status.lower()},
            "imageScanFindings": {"findings": findings or []}}  # fmt: skip


def test_the_gate_waits_while_the_scan_runs_with_progress_lines() -> None:
    finding = {"name": "CVE-1", "severity": "LOW", "uri": "u", "attributes": []}
    ecr = FakeEcr(pages=[[_page("IN_PROGRESS")]] * 3 + [[_page("COMPLETE", [finding]), _page("COMPLETE", [finding])]])
    clock, log = Clock(), io.StringIO()
    found = image_scan.read_findings(ecr, "repo", A, timeout=60, poll=5, log=log, clock=clock, sleep=clock.sleep)
    assert found == [image_scan.Finding("LOW", "CVE-1", "", "u")] * 2  # both pages
    lines = log.getvalue().splitlines()
    assert lines == ["   scan IN_PROGRESS (in_progress), 0 s of at most 60 s", "   scan COMPLETE after 15 s"]
    assert ecr.calls[0] == ("describe_image_scan_findings", {"repositoryName": "repo", "imageId": {"imageDigest": A}})


def test_the_gate_gives_up_after_the_timeout() -> None:
    ecr = FakeEcr(pages=[[_page("IN_PROGRESS")]])
    clock, log = Clock(), io.StringIO()
    with pytest.raises(image_scan.ScanGateError, match=r"^the scan of repo@sha256:a+ did not complete in 60 s \(last status"
                       r" IN_PROGRESS\); nothing was applied\. Wait and deploy again, or raise SCAN_TIMEOUT$"):  # fmt: skip
        image_scan.read_findings(ecr, "repo", A, timeout=60, poll=5, log=log, clock=clock, sleep=clock.sleep)
    assert clock.now == 60
    assert log.getvalue().count("scan IN_PROGRESS") == 2  # the first line, then one after 30 s


def test_without_a_scan_the_gate_starts_one_and_waits() -> None:
    ecr = FakeEcr(pages=[[{"error": "ScanNotFoundException"}], [_page("IN_PROGRESS")], [_page("COMPLETE")]])
    clock, log = Clock(), io.StringIO()
    assert image_scan.read_findings(ecr, "repo", A, timeout=60, poll=1, log=log, clock=clock, sleep=clock.sleep) == []
    assert [c[0] for c in ecr.calls].count("start_image_scan") == 1
    assert "no scan of repo@%s yet: started one (StartImageScan)" % A in log.getvalue()


def test_a_scan_that_cannot_finish_stops_the_deploy() -> None:
    ecr = FakeEcr(pages=[[_page("UNSUPPORTED_IMAGE")]])
    with pytest.raises(image_scan.ScanGateError, match=r"^the scan of repo@sha256:a+ is UNSUPPORTED_IMAGE \(unsupported_image\):"
                       r" no findings to check, and a production image ships only with a completed scan"):  # fmt: skip
        image_scan.read_findings(ecr, "repo", A, timeout=60, poll=1, log=io.StringIO())


@pytest.mark.parametrize("raw", ["abc", "0", "-5"])
def test_a_bad_scan_timeout_names_the_variable(raw: str) -> None:
    with pytest.raises(image_scan.ScanGateError, match=r"^SCAN_TIMEOUT='%s' is not valid; allowed: seconds > 0" % raw):
        image_scan.timeout_from({"SCAN_TIMEOUT": raw})
    assert image_scan.timeout_from({}) == image_scan.DEFAULT_TIMEOUT_SECONDS


# ---- the gate in the deploy --------------------------------------------------------------------------


def test_the_gate_reads_the_digest_of_the_tag_and_stops_on_critical() -> None:
    crit = {"name": "CVE-9", "severity": "CRITICAL", "uri": "u", "attributes": [{"key": "package_name", "value": "libz"}]}
    ecr = FakeEcr({"t1": (B, _manifest(A))}, pages=[[_page("COMPLETE", [crit])]])
    log = io.StringIO()
    with pytest.raises(image_scan.ScanGateError, match=r"^ENV=prod: flask-app-prod@sha256:b+ \(tag t1\) has 1 CRITICAL"):
        image_scan.gate(load_environment("prod"), "t1", log=log, client=ecr, timeout=10, poll=1)
    assert ecr.calls[0] == ("describe_images", {"repositoryName": "flask-app-prod", "imageIds": [{"imageTag": "t1"}]})
    assert "CRITICAL      CVE-9" in log.getvalue()


def test_a_real_environment_without_the_image_stops() -> None:
    with pytest.raises(image_scan.ScanGateError, match=r"^ENV=prod: the repository flask-app-prod has no image t1, so its"
                       r" scan findings cannot be read; nothing was applied\. Push it first"):  # fmt: skip
        image_scan.gate(load_environment("prod"), "t1", log=io.StringIO(), client=FakeEcr())


def test_on_the_emulator_an_image_that_is_not_there_is_reported_as_not_checked() -> None:
    notes = image_scan.gate(load_environment("local"), "t1", log=io.StringIO(), client=FakeEcr())
    assert notes == ["scan findings not checked: the emulator's ECR holds no image flask-app-local:t1 (it is not a registry)"]


@pytest.mark.parametrize(("env_name", "gated"), [("prod", True), ("dev", False), ("staging", False), ("local", False)])
def test_image_step_gates_production_only(env_name: str, gated: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(image_scan, "gate", lambda env, tag, log: seen.append("%s:%s" % (env.name, tag)) or ["gated"])
    monkeypatch.setattr(deploy, "build_and_push", lambda env, tag, registry, log, out: ["built"])
    env = load_environment(env_name)
    assert deploy.image_step(env, "t1", skip_image=False, registry=None, log=io.StringIO()) == (
        ["built", "gated"] if gated else ["built"])
    notes = deploy.image_step(env, "t1", skip_image=True, registry=None, log=io.StringIO())
    assert notes[-1] == ("gated" if gated else "image step skipped: tag t1 was not built or pushed by this deploy")
    assert deploy.image_step(env, "t1", skip_image=False, registry=None, log=io.StringIO(), deployed_tag="t1") == []
    assert seen == (["%s:t1" % env_name] * 2 if gated else [])
