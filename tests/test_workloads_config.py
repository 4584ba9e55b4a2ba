"""The workloads of an environment in its config: kinds, references, rule priorities and overlaps."""

from __future__ import annotations

from typing import Any

import pytest

from envconfig.model import EnvironmentConfig, WorkloadConfig

WORKER = {"kind": "worker", "container": {"command": ["python", "-m", "app.worker"]}, "queue": {}}
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-45ef-67ab-89cd-0123456789ab"
NLB_WEB = {"kind": "web", "nlb": {"certificate_arn": CERT}}
JOB = {"kind": "job", "schedule": "cron(30 1 * * ? *)", "container": {"command": ["python", "-m", "app.job"]}}


def env(**overrides: Any) -> EnvironmentConfig:
    values: dict[str, Any] = dict(name="dev", app_name="flask-app", region="us-east-1", account_id="123456789012")
    values.update(overrides)
    return EnvironmentConfig(**values)


def test_shipped_local_and_prod_run_a_worker_and_a_job() -> None:
    from envconfig import load_environments

    envs = load_environments()
    for name in ("local", "prod"):
        kinds = {n: w.kind for n, w in envs[name].workloads.items()}
        assert kinds == {"worker": "worker", "report": "job"} and envs[name].queue == "worker", name
        assert envs[name].workloads["worker"].scaling.min_capacity == 0  # scales to zero when idle
        assert envs[name].workloads["report"].sends_to == "worker"


def test_defaults_only_workloads() -> None:
    worker = WorkloadConfig.model_validate(WORKER)
    assert worker.queue is not None and worker.queue.max_receive_count == 5 and worker.queue.visibility_timeout_seconds == 300
    assert (worker.scaling.min_capacity, worker.scaling.max_capacity, worker.scaling.backlog_per_task) == (1, 2, 10)
    job = WorkloadConfig.model_validate(JOB)
    assert (job.timezone, job.max_retries, job.enabled) == ("UTC", 2, True)
    assert env().workloads == {} and env().queue is None


@pytest.mark.parametrize(
    ("workload", "message"),
    [
        ({"kind": "worker", "container": {"command": ["x"]}}, r"queue is not set for kind='worker'; allowed: a \[queue\]"),
        ({"kind": "worker", "queue": {}}, r"container\.command is not set for kind='worker'.*allowed: the worker's command"),
        ({**JOB, "schedule": "cron(0 25 * * ? *)"}, r"cron\(0 25 \* \* \? \*\)"),
        ({**JOB, "schedule": "every night"}, r"'every night' is not a schedule expression; allowed:"),
        ({**JOB, "timezone": "Asia/Saigon City"}, r"'Asia/Saigon City' is not an IANA time zone; allowed:"),
        ({**JOB, "max_retries": 200}, r"max_retries=200; allowed: 0\.\.185"),
        ({k: v for k, v in JOB.items() if k != "schedule"}, r"schedule is not set for kind='job'"),
        ({**JOB, "hosts": ["api.example.com"]}, r"hosts is set for kind='job'; allowed: only for kind 'web'"),
        ({**WORKER, "schedule": "rate(1 day)"}, r"schedule is set for kind='worker'; allowed: only for kind 'job'"),
        ({"kind": "web", "paths": ["/api/*"]}, r"priority=None with hosts/paths set; allowed: 1\.\.50000"),
        ({"kind": "web", "priority": 3}, r"priority=3 without hosts or paths"),
        ({**WORKER, "queue": {"max_receive_count": 0}}, r"max_receive_count=0; allowed: 1\.\.1000"),
        ({**WORKER, "queue": {"oldest_message_alarm_seconds": 30}}, r"oldest_message_alarm_seconds=30 is not between"),
        ({**WORKER, "scaling": {"min_capacity": 3, "max_capacity": 2}}, r"min_capacity=3 > max_capacity=2"),
        ({**WORKER, "container": {"command": ["x"], "image_tag": "abc1234"}}, r"container\.image_tag='abc1234'"),
        ({"kind": "web", "nlb": {}}, r"certificate_arn is not set for protocol='TLS'; allowed: an ACM certificate ARN"),
        ({"kind": "web", "nlb": {"protocol": "TCP", "certificate_arn": CERT}},
         r"certificate_arn='arn:.*' with protocol='TCP' \(nothing terminates TLS at the NLB\); allowed: unset"),
        ({"kind": "web", "nlb": {"protocol": "UDP"}}, r"protocol\s+Input should be 'TCP' or 'TLS'"),
        ({"kind": "web", "nlb": {"certificate_arn": "cert-1"}}, r"certificate_arn='cert-1' is not an ACM certificate ARN"),
        ({"kind": "web", "nlb": {"protocol": "TCP", "port": 0}}, r"port=0; allowed: 1\.\.65535"),
        ({"kind": "web", "nlb": {"protocol": "TCP", "ingress_cidrs": ["10.0.0.1/16"]}},
         r"ingress_cidrs\[0\]='10\.0\.0\.1/16' is not an IPv4 CIDR block"),
        ({"kind": "web", "nlb": {"protocol": "TCP", "ingress_cidrs": []}}, r"ingress_cidrs=\[\]; allowed: at least one"),
        ({"kind": "web", "nlb": {"protocol": "TCP", "access_log_bucket": "logs"}},
         r"access_log_bucket='logs' with protocol='TCP': an NLB logs TLS listeners only"),
        ({**NLB_WEB, "paths": ["/api/*"], "priority": 4},
         r"paths=\('/api/\*',\) with nlb: an NLB forwards connections, with no host or path rules"),
        ({**WORKER, "nlb": {"protocol": "TCP"}}, r"nlb is set for kind='worker'; allowed: only for kind 'web'"),
    ],
)  # fmt: skip
def test_workload_rules(workload: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkloadConfig.model_validate(workload)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (dict(workloads={"web": WORKER}), r"workloads\.web: the name 'web' is the environment's own web service"),
        (dict(workloads={"Worker": WORKER}), r"workloads\.Worker: name='Worker'; allowed: 1-12 lowercase"),
        (dict(queue="jobs"), r"queue='jobs' is not a worker of this environment; allowed: none \(add a workload"),
        (dict(workloads={"worker": WORKER, "report": {**JOB, "sends_to": "report"}}),
         r"workloads\.report\.sends_to='report' is not a worker of this environment; allowed: 'worker'"),
        (dict(workloads={"api": {"kind": "backend", "callers": ["web"]}}),
         r"workloads\.api: kind='backend' is reached through Cloud Map, but service\.service_discovery_namespace"),
        (dict(service={"service_discovery_namespace": "internal"},
              workloads={"api": {"kind": "backend", "callers": ["mobile"]}}),
         r"workloads\.api\.callers contains 'mobile'; allowed: other workloads of this environment \(web\)"),
        (dict(workloads={"a": {"kind": "web", "paths": ["/a/*"], "priority": 5},
                         "b": {"kind": "web", "paths": ["/b/*"], "priority": 5}}),
         r"workloads\.b\.priority=5 is also workloads\.a\.priority; allowed: a priority of its own"),
        (dict(workloads={"a": {"kind": "web", "paths": ["/api/*"], "priority": 5},
                         "b": {"kind": "web", "paths": ["/api/v2/*"], "priority": 6}}),
         r"workloads\.a \(hosts=\[\], paths=\['/api/\*'\]\) and workloads\.b .* can match the same request"),
        (dict(workloads={"averyveryverylongname": WORKER}), r"name='averyveryverylongname'; allowed: 1-12"),
        (dict(scaling={"fargate_spot_percent": 50},
              workloads={"worker": {**WORKER, "container": {"command": ["x"], "cpu_architecture": "ARM64"}}}),
         r"workloads\.worker\.container\.cpu_architecture='ARM64' with scaling\.fargate_spot_percent=50"),
        (dict(app_name="flask-app-xy", workloads={"abcdefghijkl": NLB_WEB}),
         r"workloads\.abcdefghijkl: the name 'flask-app-xy-dev-abcdefghijkl-nlb' is 33 characters; allowed: at most 32"),
    ],
)  # fmt: skip
def test_environment_workload_rules(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        env(**overrides)


def test_rules_on_different_hosts_do_not_overlap() -> None:
    config = env(workloads={"a": {"kind": "web", "hosts": ["a.example.com"], "paths": ["/api/*"], "priority": 5},
                            "b": {"kind": "web", "hosts": ["b.example.com"], "paths": ["/api/*"], "priority": 6}})  # fmt: skip
    assert sorted(config.workloads) == ["a", "b"]


def test_web_workloads_behind_their_own_nlbs_need_no_priority_and_share_nothing() -> None:
    config = env(workloads={"a": NLB_WEB, "b": {"kind": "web", "nlb": {"protocol": "TCP", "port": 9000}}})
    a, b = config.workloads["a"].nlb, config.workloads["b"].nlb
    assert a is not None and (a.protocol, a.port, a.ingress_cidrs) == ("TLS", 443, ("0.0.0.0/0",))
    assert b is not None and (b.protocol, b.port, b.certificate_arn) == ("TCP", 9000, None)
    assert config.workloads["a"].priority is None and config.workloads["b"].priority is None
