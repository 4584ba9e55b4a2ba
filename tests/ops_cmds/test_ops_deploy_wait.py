"""`make deploy` steps 5 and 6 with workloads: every service waited for, every web workload smoke-tested.

ECS and ELB answers are stubbed (``botocore.stub.Stubber``: moto cannot show a rollout in
progress, a rollback or target health) and time is a :class:`FakeClock`; the smoke tests go to a
small HTTP server on 127.0.0.1 standing in for the shared load balancer.
"""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from opscmd_support import FakeClock, StubbedClients

from envconfig import load_environment
from envconfig.model import EnvironmentConfig
from ops import deploy

ARN = "arn:aws:ecs:ap-southeast-1:777788889999:task-definition/%s"
TG = "arn:aws:elasticloadbalancing:ap-southeast-1:777788889999:targetgroup/%s/0123456789abcdef"
CLUSTER = "flask-app-prod"


def with_web_workloads() -> EnvironmentConfig:
    """The shipped prod config (worker, report) plus two web workloads on the shared ALB."""
    data = load_environment("prod").model_dump(exclude_unset=True)
    data["workloads"]["api"] = {"kind": "web", "hosts": ["api.flask-app.example.com"], "paths": ["/api/*"], "priority": 10}
    data["workloads"]["admin"] = {"kind": "web", "hosts": ["admin.flask-app.example.com"], "priority": 20}
    return EnvironmentConfig.model_validate(data)


def outputs(url: str = "https://flask-app.example.com", *, web_workloads: bool = True) -> dict[str, Any]:
    workloads: dict[str, Any] = {
        "worker": {"kind": "worker", "service_name": "flask-app-prod-worker"},
        "report": {"kind": "job", "task_definition_family": "flask-app-prod-report"},
    }
    if web_workloads:
        workloads["api"] = {"kind": "web", "service_name": "flask-app-prod-api"}
        workloads["admin"] = {"kind": "web", "service_name": "flask-app-prod-admin"}
    for name, entry in workloads.items():  # every workload logs to the web service's group, under its name
        entry.update(log_group_name="/ecs/flask-app-prod/web", log_stream_prefix=name)
    return {"cluster_name": CLUSTER, "service_name": "flask-app-prod", "target_group_arn": TG % "flask-app-prod-tg",
            "log_group_name": "/ecs/flask-app-prod/web", "service_url": url, "workloads": workloads}  # fmt: skip


def service(name: str, td: str, *, desired: int, running: int, rollout: str = "COMPLETED", old: str | None = None,
            current: str | None = None, target_group: str | None = None) -> dict[str, Any]:  # fmt: skip
    deployments = [{"id": "ecs-svc/1", "status": "PRIMARY", "taskDefinition": ARN % td, "desiredCount": desired,
                    "runningCount": running, "pendingCount": desired - running, "failedTasks": 0, "rolloutState": rollout}]  # fmt: skip
    if old:
        deployments.append({"id": "ecs-svc/0", "status": "ACTIVE", "taskDefinition": ARN % old, "desiredCount": 1,
                            "runningCount": 1, "pendingCount": 0, "failedTasks": 0, "rolloutState": "COMPLETED"})  # fmt: skip
    return {
        "serviceName": name, "status": "ACTIVE", "taskDefinition": ARN % (current or td), "desiredCount": desired,
        "runningCount": running, "pendingCount": desired - running, "deployments": deployments, "events": [],
        "loadBalancers": [{"targetGroupArn": target_group, "containerName": "app", "containerPort": 3000}] if target_group else [],
    }  # fmt: skip


def healthy(n: int) -> dict[str, Any]:
    return {"TargetHealthDescriptions": [{"Target": {"Id": "10.30.128.%d" % i, "Port": 3000},
                                          "TargetHealth": {"State": "healthy"}} for i in range(n)]}  # fmt: skip


def described(*services: dict[str, Any]) -> dict[str, Any]:
    return {"services": list(services), "failures": []}


class FakeStack:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.initialised = False

    def init(self) -> None:
        self.initialised = True

    def outputs(self) -> dict[str, Any]:
        return self.values


class LoadBalancer(http.server.BaseHTTPRequestHandler):
    """Stands in for the shared ALB: 200 on /health, 404 elsewhere (the app has no page at /api/)."""

    seen: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append((self.path, str(self.headers.get("Host"))))
        status, body = (200, b'{"status": "ok"}') if self.path == "/health" else (404, b"not found")
        if self.path == "/broken":
            status, body = 503, b"no healthy targets"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def alb() -> Iterator[str]:
    LoadBalancer.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), LoadBalancer)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_deploy_waits_for_every_service_then_smoke_tests_every_web_workload(
    stubbed: StubbedClients, clock: FakeClock, alb: str
) -> None:
    env = with_web_workloads()
    names = ["flask-app-prod", "flask-app-prod-worker", "flask-app-prod-api", "flask-app-prod-admin"]
    web = service(names[0], "flask-app-prod:8", desired=3, running=3)
    worker = service(names[1], "flask-app-prod-worker:5", desired=0, running=0)  # an idle worker
    api_rolling = service(names[2], "flask-app-prod-api:2", desired=2, running=1, rollout="IN_PROGRESS",
                          old="flask-app-prod-api:1", target_group=TG % "flask-app-prod-api-tg")  # fmt: skip
    api_done = service(names[2], "flask-app-prod-api:2", desired=2, running=2, target_group=TG % "flask-app-prod-api-tg")
    admin = service(names[3], "flask-app-prod-admin:1", desired=1, running=1, target_group=TG % "flask-app-prod-admin-tg")
    # After the apply: the task definition each service now runs.
    stubbed.add("ecs", "describe_services", described(web, worker, api_rolling, admin), {"cluster": CLUSTER, "services": names})
    # First poll: web, worker and admin are stable; api still runs its old deployment beside the new one.
    stubbed.add("ecs", "describe_services", described(web, worker, api_rolling, admin), {"cluster": CLUSTER, "services": names})
    stubbed.add("elbv2", "describe_target_health", healthy(3), {"TargetGroupArn": TG % "flask-app-prod-tg"})
    stubbed.add("elbv2", "describe_target_health", healthy(1), {"TargetGroupArn": TG % "flask-app-prod-api-tg"})
    stubbed.add("elbv2", "describe_target_health", healthy(1), {"TargetGroupArn": TG % "flask-app-prod-admin-tg"})
    # Second poll, 10 s later: only api is asked for, and it is done.
    stubbed.add("ecs", "describe_services", described(api_done), {"cluster": CLUSTER, "services": [names[2]]})
    stubbed.add("elbv2", "describe_target_health", healthy(2), {"TargetGroupArn": TG % "flask-app-prod-api-tg"})
    applied = []
    log = io.StringIO()
    rollout = deploy.roll_out(
        env, FakeStack(outputs(alb)), lambda: applied.append(True), label="apply prod", command="deploy", timeout=600,
        smoke_timeout=0, log=log, client=stubbed, sleep=clock.sleep, clock=clock,
    )  # fmt: skip
    text = log.getvalue()
    assert rollout.ok, text
    stubbed.assert_done()
    assert applied == [True]
    assert clock.sleeps == [10.0]
    lines = text.splitlines()
    start = lines.index("==> [5/6] wait for 4 services to roll out (at most 600 s)")
    assert lines[start + 1 : start + 11] == [
        "   web: service flask-app-prod, task definition flask-app-prod:8",
        "   worker: service flask-app-prod-worker, task definition flask-app-prod-worker:5",
        "   api: service flask-app-prod-api, task definition flask-app-prod-api:2",
        "   admin: service flask-app-prod-admin, task definition flask-app-prod-admin:1",
        "   report: a job, no service to wait for (the apply updated its schedule)",
        "   web: rollout COMPLETED, running 3/3, pending 0, failed tasks 0, deployments 1, targets healthy 3/3",
        "   worker: rollout COMPLETED, running 0/0, pending 0, failed tasks 0, deployments 1",
        "   api: rollout IN_PROGRESS, running 1/2, pending 1, failed tasks 0, deployments 2, targets healthy 1/1",
        "   admin: rollout COMPLETED, running 1/1, pending 0, failed tasks 0, deployments 1, targets healthy 1/1",
        "   api: rollout COMPLETED, running 2/2, pending 0, failed tasks 0, deployments 1, targets healthy 2/2",
    ]
    # Step 6: the web service's health check, api on its first path with its host, admin (hosts only) on /health.
    assert ("==> [6/6] smoke test %s: web /health, api /api/ (Host: api.flask-app.example.com), admin /health"
            " (Host: admin.flask-app.example.com)" % alb) in lines  # fmt: skip
    host = alb.removeprefix("http://")
    assert LoadBalancer.seen == [("/health", host), ("/api/", "api.flask-app.example.com"),
                                 ("/health", "admin.flask-app.example.com")]  # fmt: skip
    assert "   web: GET %s/health -> 200 {\"status\": \"ok\"}" % alb in lines
    skipped = ("api: GET %s/api/ (Host: api.flask-app.example.com) -> 404: the load balancer answered, but the app has"
               " no page at /api/; check skipped" % alb)  # fmt: skip
    assert "   SKIPPED: " + skipped in lines
    assert rollout.notes == [skipped]


def test_a_rolled_back_worker_fails_step_5_with_its_diagnostics(stubbed: StubbedClients, clock: FakeClock) -> None:
    """The shipped prod config: web and worker. The worker's circuit breaker rolled it back."""
    env = load_environment("prod")
    web = service("flask-app-prod", "flask-app-prod:8", desired=3, running=3)
    worker_new = service("flask-app-prod-worker", "flask-app-prod-worker:5", desired=1, running=0, rollout="IN_PROGRESS")
    worker_back = service("flask-app-prod-worker", "flask-app-prod-worker:4", desired=1, running=1,
                          current="flask-app-prod-worker:4")  # fmt: skip
    names = ["flask-app-prod", "flask-app-prod-worker"]
    stubbed.add("ecs", "describe_services", described(web, worker_new), {"cluster": CLUSTER, "services": names})
    stubbed.add("ecs", "describe_services", described(web, worker_new), {"cluster": CLUSTER, "services": names})
    stubbed.add("elbv2", "describe_target_health", healthy(3), {"TargetGroupArn": TG % "flask-app-prod-tg"})
    stubbed.add("ecs", "describe_services", described(worker_back), {"cluster": CLUSTER, "services": [names[1]]})
    # The diagnostics of the worker (ops.status.collect_status).
    stubbed.add("ecs", "describe_services", described(worker_back), {"cluster": CLUSTER, "services": [names[1]]})
    stubbed.add("ecs", "list_tasks", {"taskArns": []}, {"cluster": CLUSTER, "serviceName": names[1], "desiredStatus": "STOPPED"})
    stubbed.add("ecs", "list_tasks", {"taskArns": []}, {"cluster": CLUSTER, "serviceName": names[1], "desiredStatus": "RUNNING"})
    stubbed.add("ecs", "describe_task_definition", {"taskDefinition": {
        "taskDefinitionArn": ARN % "flask-app-prod-worker:4", "containerDefinitions": [{"name": "app", "image": "img:4"}]}})  # fmt: skip
    log = io.StringIO()
    rollout = deploy.roll_out(
        env, FakeStack(outputs(web_workloads=False)), lambda: None, label="apply prod", command="deploy", timeout=600,
        smoke_timeout=0, log=log, client=stubbed, sleep=clock.sleep, clock=clock,
    )  # fmt: skip
    text = log.getvalue()
    assert not rollout.ok
    stubbed.assert_done()
    assert ("deploy: FAILED at step 5: worker: the service was rolled back to flask-app-prod-worker:4"
            " (deployed flask-app-prod-worker:5)") in text  # fmt: skip
    assert "--- troubleshooting (prod, worker) ---" in text
    assert "Workload worker (worker): Service flask-app-prod-worker in cluster flask-app-prod (ENV=prod" in text
    assert ("Log group: /ecs/flask-app-prod/web, streams worker/*   (read it with `make logs ENV=prod WORKLOAD=worker"
            " SINCE=30m`)") in text  # fmt: skip
    assert "==> [6/6]" not in text


def test_the_wait_times_out_naming_the_services_still_rolling_out(stubbed: StubbedClients, clock: FakeClock) -> None:
    env = load_environment("local")  # the emulator: no target health is read
    waits = [deploy.ServiceWait("web", "c", "web-svc", ARN % "web:2"), deploy.ServiceWait("worker", "c", "worker-svc", ARN % "worker:2"),
             deploy.ServiceWait("api", "c", "api-svc", ARN % "api:2")]  # fmt: skip
    stuck_web = service("web-svc", "web:2", desired=2, running=1, rollout="IN_PROGRESS")
    stuck_api = service("api-svc", "api:2", desired=1, running=0, rollout="IN_PROGRESS")
    stubbed.add("ecs", "describe_services", described(stuck_web, service("worker-svc", "worker:2", desired=0, running=2), stuck_api))
    for _ in range(3):
        stubbed.add("ecs", "describe_services", described(stuck_web, stuck_api), {"cluster": "c", "services": ["web-svc", "api-svc"]})
    log = io.StringIO()
    result = deploy.wait_for_services(env, waits, 25, log, client=stubbed, poll_seconds=10, sleep=clock.sleep, clock=clock)
    stubbed.assert_done()
    assert not result.ok and result.workload == "web"
    assert result.reason == ("timed out after 25 s (--timeout); last state: rollout IN_PROGRESS, running 1/2, pending 1,"
                             " failed tasks 0, deployments 1; still rolling out too: api")  # fmt: skip
    assert clock.sleeps == [10, 10, 5]  # the last wait is cut to what is left of the 25 s
    assert any("moto" in note for note in result.notes)


def test_a_service_at_desired_count_0_is_stable_once_no_deployment_is_in_progress() -> None:
    # The emulator reports MOTO_ECS_SERVICE_RUNNING tasks for every service, an idle worker too.
    idle = service("worker", "worker:2", desired=0, running=2)
    assert deploy.check_service(idle, ARN % "worker:2", None)[0] == "done"
    assert deploy.check_service(service("worker", "worker:2", desired=0, running=1, rollout="IN_PROGRESS"),
                                ARN % "worker:2", None)[0] == "wait"  # fmt: skip
    assert deploy.check_service(service("worker", "worker:2", desired=0, running=0, old="worker:1"),
                                ARN % "worker:2", None)[0] == "wait"  # fmt: skip
    # At desired 1, a missing task still counts.
    assert deploy.check_service(service("worker", "worker:2", desired=1, running=0), ARN % "worker:2", None)[0] == "wait"


@pytest.mark.parametrize(
    ("pattern", "path"), [("/api/*", "/api/"), ("/api*", "/api"), ("/v?/users/*", "/vx/users/"), ("/static/*.css", "/static/.css")]
)
def test_concrete_path_is_matched_by_its_pattern(pattern: str, path: str) -> None:
    assert deploy.concrete_path(pattern) == path


def test_concrete_host_and_the_checks_of_each_web_workload() -> None:
    assert deploy.concrete_host("*.flask-app.example.com") == "smoke.flask-app.example.com"
    assert deploy.concrete_host("api-?.example.com") == "api-x.example.com"
    assert deploy.smoke_checks(with_web_workloads()) == [
        deploy.SmokeCheck("web", "/health"),
        deploy.SmokeCheck("api", "/api/", "api.flask-app.example.com", strict=False),
        deploy.SmokeCheck("admin", "/health", "admin.flask-app.example.com"),
    ]
    assert deploy.smoke_checks(load_environment("prod")) == [deploy.SmokeCheck("web", "/health")]


def test_a_5xx_on_a_web_workloads_path_fails_the_smoke_test(alb: str) -> None:
    log = io.StringIO()
    passed, note = deploy.run_smoke_check(deploy.SmokeCheck("api", "/broken", strict=False), alb, 0, log)
    assert (passed, note) == (False, None)
    assert log.getvalue() == "   api: GET %s/broken -> 503 no healthy targets\n" % alb


def test_a_web_workload_behind_its_own_nlb_is_checked_through_that_nlb(alb: str) -> None:
    data = load_environment("prod").model_dump(exclude_unset=True)
    data["workloads"]["stream"] = {"kind": "web", "nlb": {"protocol": "TCP", "port": 9000}}
    env = EnvironmentConfig.model_validate(data)
    nlb_url = alb  # the local server stands in for the NLB here
    checks = deploy.smoke_checks(env, {"workloads": {"stream": {"kind": "web", "service_url": nlb_url}}})
    assert checks == [deploy.SmokeCheck("web", "/health"), deploy.SmokeCheck("stream", "/health", base_url=nlb_url)]
    log = io.StringIO()
    assert deploy.run_smoke_check(checks[1], "https://unused.example.com", 0, log) == (True, None)
    assert LoadBalancer.seen == [("/health", nlb_url.removeprefix("http://"))]  # not the ALB's URL
    assert log.getvalue().startswith("   stream: GET %s/health -> 200" % nlb_url)
    # Without outputs (an apply that has not written them) the check says what is missing, and fails.
    (missing,) = deploy.smoke_checks(env)[1:]
    assert missing.describe("https://flask-app.example.com") == "stream: GET (no service_url output)/health"
    assert deploy.run_smoke_check(missing, "https://flask-app.example.com", 0, io.StringIO())[0] is False
