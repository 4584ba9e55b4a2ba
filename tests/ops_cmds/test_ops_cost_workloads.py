"""`make cost` with workloads: each workload's Fargate line, the queue/scheduler line, the alarms.

Two kinds of input: a real synth of a small environments file with every workload kind (so the
footprint is read from what the constructs write, and must agree with the config), and the
hand-written fixture stack with ``Workload-<name>_*`` resources added, for the cases the
constructs never write. Prices are the fixed table of test_ops_cost.py (made-up round numbers):
vCPU-hour 0.04, GB-hour 0.004, Spot 70 % off, IPv4-hour 0.005, 730 h a month, 0.1 GB of log per
task-day at 0.5/GB ingested and 0.03/GB-month kept, 0.1 per alarm metric a month, 6-minute job
runs, 600,000 SQS requests a month per worker (0.5 per million above 1 million free), Scheduler
invocations at 1 per million above 14 million free. Every expected number is derived by hand.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from test_ops_cost import REPO, STACK, six, write_fixed_prices

from envconfig import EnvironmentConfig, load_environments
from ops import cost
from ops.cost import cli, render
from ops.cost import estimate as est_mod
from ops.cost import footprint as fp_mod
from ops.cost import prices as prices_mod

D = Decimal
ENVIRONMENTS = """
[defaults]
app_name = "flask-app"
region = "us-east-1"
account_id = "123456789012"

# Every workload kind, on a cluster that puts half the tasks after the first on Spot.
[environments.staging]
queue = "worker"
[environments.staging.network]
vpc_cidr = "10.70.0.0/16"
az_count = 2
nat_mode = "single"
[environments.staging.container]
cpu = 512
memory_mib = 1024
[environments.staging.scaling]
desired_count = 2
min_capacity = 2
max_capacity = 4
fargate_spot_percent = 50
[environments.staging.service]
service_discovery_namespace = "internal"
[environments.staging.logging]
retention_days = 14
[environments.staging.workloads.worker]
kind = "worker"
container = { command = ["python", "-m", "app.worker"] }
queue = {}
scaling = { min_capacity = 0, max_capacity = 4 }
[environments.staging.workloads.report]
kind = "job"
sends_to = "worker"
schedule = "cron(0 */6 * * ? *)"
container = { command = ["python", "-m", "app.job"], cpu = 512, memory_mib = 1024 }
[environments.staging.workloads.api]
kind = "web"
paths = ["/v2/*"]
priority = 10
container = { cpu = 1024, memory_mib = 2048 }
scaling = { min_capacity = 1, max_capacity = 3 }
[environments.staging.workloads.internal]
kind = "backend"
callers = ["web", "api"]
scaling = { min_capacity = 1, max_capacity = 1 }

# Tasks in public subnets: each worker task has a public IPv4 address too.
[environments.dev]
[environments.dev.network]
vpc_cidr = "10.71.0.0/16"
az_count = 2
nat_mode = "none"
tasks_in_public_subnets = true
[environments.dev.scaling]
desired_count = 1
min_capacity = 1
max_capacity = 1
[environments.dev.workloads.worker]
kind = "worker"
container = { command = ["python", "-m", "app.worker"] }
queue = {}
scaling = { min_capacity = 1, max_capacity = 2 }

# A web workload behind an NLB of its own, beside the shared ALB.
[environments.prod]
[environments.prod.network]
vpc_cidr = "10.73.0.0/16"
az_count = 3
nat_mode = "single"
[environments.prod.scaling]
desired_count = 1
min_capacity = 1
max_capacity = 1
[environments.prod.workloads.stream]
kind = "web"
nlb = { protocol = "TCP", port = 9000 }
scaling = { min_capacity = 1, max_capacity = 1 }

# No workloads.
[environments.local]
emulator = true
[environments.local.network]
vpc_cidr = "10.72.0.0/16"
az_count = 2
nat_mode = "single"
"""


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "environments.toml"
    path.write_text(ENVIRONMENTS)
    return path


@pytest.fixture(scope="module")
def configs(config_file: Path) -> dict[str, EnvironmentConfig]:
    return load_environments(config_file)


@pytest.fixture(scope="module")
def synth_out(config_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's synth of ENVIRONMENTS (a cdktf.out)."""
    out = tmp_path_factory.mktemp("cdktf.out")
    result = subprocess.run([sys.executable, "main.py", "--config", str(config_file), "--out", str(out)], cwd=REPO,
                            env=dict(os.environ), capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return out


@pytest.fixture(scope="module")
def prices(tmp_path_factory: pytest.TempPathFactory) -> prices_mod.PriceTable:
    return prices_mod.load_prices(write_fixed_prices(tmp_path_factory.mktemp("prices")))


def workload(fp: fp_mod.Footprint, name: str) -> fp_mod.WorkloadFootprint:
    return next(w for w in fp.workloads if w.name == name)


def lines_of(est: est_mod.Estimate) -> dict[str, tuple[Decimal, Decimal]]:
    return {line.item: (six(line.at_min), six(line.at_max)) for line in est.lines}


# ---- the footprint, from the synthesized stack and from the config ---------------------------


def test_every_workload_kind_is_read_from_the_stack_and_agrees_with_the_config(
    synth_out: Path, configs: dict[str, EnvironmentConfig]
) -> None:
    for name, cfg in configs.items():
        fp = fp_mod.footprint(cfg, synth_out)
        assert fp.source.endswith("cdk.tf.json"), name
        assert fp.warnings == (), fp.warnings
    staging = fp_mod.footprint(configs["staging"], synth_out)
    half_spot = (fp_mod.StrategyItem("FARGATE", 50, 1), fp_mod.StrategyItem("FARGATE_SPOT", 50, 0))
    got = {
        w.name: (w.kind, w.cpu_units, w.memory_mib, w.min_tasks, w.max_tasks, w.strategy, w.task_public_ip)
        for w in staging.workloads
    }
    assert got == {
        "api": ("web", 1024, 2048, 1, 3, half_spot, False),
        "internal": ("backend", 256, 512, 1, 1, half_spot, False),
        "report": ("job", 512, 1024, 0, 0, half_spot, False),
        "worker": ("worker", 256, 512, 0, 4, half_spot, False),
    }
    report = workload(staging, "report")
    # cron(0 */6 * * ? *): 4 runs a day, 30 days.
    assert (report.schedule, report.runs_per_month, report.tasks_per_run) == ("cron(0 */6 * * ? *)", D(120), 1)
    # The job's schedule has its own key, a dead-letter queue and a failed-run rule; the worker's
    # queue has a dead-letter queue.
    assert (report.queues, report.schedules, report.event_rules, report.kms_keys) == (1, 1, 1, 1)
    assert (workload(staging, "worker").queues, workload(staging, "worker").kms_keys) == (2, 0)
    assert {w.log_retention_days for w in staging.workloads} == {(14,)}
    assert workload(fp_mod.footprint(configs["dev"], synth_out), "worker").task_public_ip is True
    assert fp_mod.footprint(configs["local"], synth_out).workloads == ()
    # The environment's own fields do not change with its workloads.
    assert (staging.cpu_units, staging.min_tasks, staging.max_tasks, staging.kms_keys) == (512, 2, 4, 1)


def test_the_stack_counts_alarms_the_config_cannot_see(synth_out: Path, configs: dict[str, EnvironmentConfig]) -> None:
    staging = fp_mod.footprint(configs["staging"], synth_out)
    assert staging.alarms > 0 and all(w.alarms > 0 for w in staging.workloads if w.kind in ("job", "worker"))
    from_config = fp_mod.footprint_from_config(configs["staging"])
    assert from_config.alarms == 0 and all(w.alarm_metrics == 0 for w in from_config.workloads)


def test_a_stack_older_than_the_config_is_warned_per_workload_field(
    synth_out: Path, configs: dict[str, EnvironmentConfig]
) -> None:
    cfg = configs["staging"]
    worker = cfg.workloads["worker"]
    bigger = worker.model_copy(update={"scaling": worker.scaling.model_copy(update={"max_capacity": 5})})
    report = cfg.workloads["report"].model_copy(update={"schedule": "rate(1 hour)"})
    changed = cfg.model_copy(update={"workloads": {**cfg.workloads, "worker": bigger, "report": report}})
    fp = fp_mod.footprint(changed, synth_out)
    assert workload(fp, "worker").max_tasks == 4  # the stack is what gets deployed, so it wins
    assert fp.warnings == (
        "staging: synthesized stack has workloads.report.schedule='cron(0 */6 * * ? *)' but the config implies"
        " 'rate(1 hour)'; re-run make synth",
        "staging: synthesized stack has workloads.report.runs_per_month=120 but the config implies 720;"
        " re-run make synth",
        "staging: synthesized stack has workloads.worker.max_tasks=4 but the config implies 5; re-run make synth",
    )
    fewer = cfg.model_copy(update={"workloads": {n: w for n, w in cfg.workloads.items() if n != "internal"}})
    assert fp_mod.footprint(fewer, synth_out).warnings == (
        "staging: synthesized stack has workloads=['api', 'internal', 'report', 'worker'] but the config implies"
        " ['api', 'report', 'worker']; re-run make synth",
    )


# ---- the estimate --------------------------------------------------------------------------


def test_workload_lines_match_the_hand_derivation(
    synth_out: Path, configs: dict[str, EnvironmentConfig], prices: prices_mod.PriceTable
) -> None:
    lines = lines_of(est_mod.estimate(fp_mod.footprint(configs["staging"], synth_out), prices))
    # api, 1 vCPU / 2 GB: 0.04 + 2 x 0.004 = 0.048 an hour, Spot 0.0144. 1 task: the base, on-demand:
    # 0.048 x 730 = 35.04. 3 tasks: the base + 2 shared 50:50 = 2 on-demand + 1 Spot:
    # (0.096 + 0.0144) x 730 = 80.592.
    assert lines["api Fargate"] == (D("35.040000"), D("80.592000"))
    # internal, 0.25 vCPU / 0.5 GB: 0.01 + 0.002 = 0.012 an hour; 1 on-demand task x 730 = 8.76.
    assert lines["internal Fargate"] == (D("8.760000"), D("8.760000"))
    # worker: 0 tasks cost nothing; 4 tasks: 1 base + 3 shared = 2.5 on-demand + 1.5 Spot:
    # (2.5 x 0.012 + 1.5 x 0.0036) x 730 = 0.0354 x 730 = 25.842.
    assert lines["worker Fargate"] == (D("0.000000"), D("25.842000"))
    # report, 0.5 vCPU / 1 GB = 0.024 an hour: 120 runs x 6 min = 12 h of one on-demand task = 0.288.
    assert lines["report job runs"] == (D("0.288000"), D("0.288000"))
    # The environment's log key and the schedule's key.
    assert lines["KMS keys"] == (D("2.000000"), D("2.000000"))
    # 600,000 SQS requests (one worker) and 120 invocations: within the free tiers.
    assert lines["SQS and Scheduler"] == (D(0), D(0))
    # Logs, 0.1 GB a task-day, 730/24 days, kept 14 days. At min, api 1 + internal 1 task: 0.2 GB a
    # day = 6.083333 GB, plus the job's 120 x 6 min = 0.5 task-days = 0.05 GB: 6.133333 GB x 0.5 =
    # 3.066667; kept 0.2 x 14 = 2.8 GB + 0.05 / (730/24) x 14 = 0.023014 GB: 2.823014 x 0.03 =
    # 0.084690; 3.151357. At max, 3 + 1 + 4 tasks: 0.8 GB a day = 24.333333 + 0.05 GB x 0.5 =
    # 12.191667; kept 11.2 + 0.023014 GB x 0.03 = 0.336690; 12.528357.
    assert lines["Workload logs"] == (D("3.151357"), D("12.528357"))


def test_alarm_line_prices_every_alarm_metric(
    synth_out: Path, configs: dict[str, EnvironmentConfig], prices: prices_mod.PriceTable
) -> None:
    fp = fp_mod.footprint(configs["staging"], synth_out)
    est = est_mod.estimate(fp, prices)
    line = next(line for line in est.lines if line.item == "CloudWatch alarms")
    metrics = fp.alarm_metrics + sum(w.alarm_metrics for w in fp.workloads)
    assert line.at_min == line.at_max == metrics * D("0.1")
    assert line.detail.endswith(", %d metrics" % metrics)


def test_tasks_with_public_ips_pay_for_their_addresses(
    synth_out: Path, configs: dict[str, EnvironmentConfig], prices: prices_mod.PriceTable
) -> None:
    lines = lines_of(est_mod.estimate(fp_mod.footprint(configs["dev"], synth_out), prices))
    # 1/2 on-demand tasks of 0.012 an hour, each with an address at 0.005: 0.017 x 730 = 12.41; 24.82.
    assert lines["worker Fargate"] == (D("12.410000"), D("24.820000"))


def test_an_nlb_is_priced_per_hour_with_its_public_addresses(
    synth_out: Path, configs: dict[str, EnvironmentConfig], prices: prices_mod.PriceTable, tmp_path: Path
) -> None:
    from_stack = fp_mod.footprint(configs["prod"], synth_out)
    from_config = fp_mod.footprint(configs["prod"], tmp_path)  # nothing synthesized there
    for fp in (from_stack, from_config):
        # One ALB and one NLB, each internet-facing in the 3 public subnets: 6 public IPv4 addresses.
        assert (fp.load_balancers, fp.network_load_balancers, fp.load_balancer_public_ips) == (1, 1, 6), fp.source
        lines = lines_of(est_mod.estimate(fp, prices))
        assert lines["NLB hours"] == (D("14.600000"), D("14.600000"))  # 0.02 x 730
        assert lines["ALB hours"] == (D("14.600000"), D("14.600000"))
    assert "NLB hours" not in lines_of(est_mod.estimate(fp_mod.footprint(configs["staging"], synth_out), prices))


def test_totals_include_every_workload_line(
    synth_out: Path, configs: dict[str, EnvironmentConfig], prices: prices_mod.PriceTable
) -> None:
    fp = fp_mod.footprint(configs["staging"], synth_out)
    with_workloads = est_mod.estimate(fp, prices)
    without = est_mod.estimate(dataclasses.replace(fp, workloads=()), prices)
    workload_alarms = sum(w.alarm_metrics for w in fp.workloads) * D("0.1")
    # Workload lines at min: api 35.04 + internal 8.76 + worker 0 + report 0.288 + SQS/Scheduler 0 +
    # logs 3.151357 = 47.239357; at max: 80.592 + 8.76 + 25.842 + 0.288 + 0 + 12.528357 = 128.010357.
    # Plus the schedule's key (1) and the workloads' alarm metrics.
    assert six(with_workloads.total_min - without.total_min) == six(D("47.239357") + 1 + workload_alarms)
    assert six(with_workloads.total_max - without.total_max) == six(D("128.010357") + 1 + workload_alarms)


def test_the_config_fallback_prices_workloads_the_same_way(
    configs: dict[str, EnvironmentConfig], prices: prices_mod.PriceTable, tmp_path: Path
) -> None:
    fp = fp_mod.footprint(configs["staging"], tmp_path)  # nothing synthesized there
    assert fp.source.startswith("config")
    lines = lines_of(est_mod.estimate(fp, prices))
    assert lines["worker Fargate"] == (D(0), D("25.842000"))  # a worker at 0 tasks costs nothing at min
    assert lines["report job runs"] == (D("0.288000"), D("0.288000"))
    # The schedule's key is what the construct always creates; the log key is stack-only.
    assert lines["KMS keys"] == (D("1.000000"), D("1.000000"))
    assert lines["CloudWatch alarms"] == (D(0), D(0))  # alarms are stack-only


def test_job_cost_is_runs_times_minutes_times_the_task_hour(prices: prices_mod.PriceTable) -> None:
    job = fp_mod.WorkloadFootprint(
        name="nightly", kind="job", cpu_units=2048, memory_mib=4096, cpu_architecture="X86_64",
        strategy=(fp_mod.StrategyItem("FARGATE_SPOT", 1, 0),), tasks_per_run=2, schedule="rate(1 day)",
        runs_per_month=D(30),
    )  # fmt: skip
    line = est_mod.workload_line("test", job, prices, prices.region("us-east-1"))
    # 2 vCPU / 4 GB: 0.08 + 0.016 = 0.096 an hour, all Spot: 0.0288. 30 runs x 2 tasks x 6 min =
    # 6 task-hours x 0.0288 = 0.1728.
    assert (six(line.at_min), six(line.at_max)) == (D("0.172800"), D("0.172800"))
    assert line.item == "nightly job runs"
    assert line.detail == "30 runs x 2 tasks x 6 min x 2 vCPU / 4 GB X86_64, 100% on Spot"
    longer = dataclasses.replace(prices, assumptions={**prices.assumptions, "job_run_minutes": D(30)})
    assert est_mod.workload_line("test", job, longer, prices.region("us-east-1")).at_min == D("0.864")


def test_sqs_requests_and_invocations_above_the_free_tiers_are_priced(
    synth_out: Path, configs: dict[str, EnvironmentConfig], prices: prices_mod.PriceTable
) -> None:
    fp = fp_mod.footprint(configs["staging"], synth_out)
    busy = dataclasses.replace(prices, assumptions={**prices.assumptions, "sqs_requests_per_worker_month": D(2500000)})
    every_minute = dataclasses.replace(fp, workloads=tuple(
        dataclasses.replace(w, runs_per_month=D(15000000)) if w.kind == "job" else w for w in fp.workloads
    ))  # fmt: skip
    line = next(line for line in est_mod.estimate(every_minute, busy).lines if line.item == "SQS and Scheduler")
    # SQS: 2.5 M - 1 M free = 1.5 M x 0.5 = 0.75; Scheduler: 15 M - 14 M free = 1 M x 1 = 1.
    assert line.at_min == line.at_max == D("1.75")
    assert line.detail == "3 queues, 2,500,000 req; 1 schedule, 15,000,000 runs; 1 event rule"
    quiet = next(line for line in est_mod.estimate(fp, prices).lines if line.item == "SQS and Scheduler")
    assert quiet.detail == "3 queues, 600,000 req; 1 schedule, 120 runs; 1 event rule: free tier"


def test_unknown_workload_architecture_is_an_error(prices: prices_mod.PriceTable) -> None:
    worker = fp_mod.WorkloadFootprint(
        name="worker", kind="worker", cpu_units=256, memory_mib=512, cpu_architecture="MIPS",
        strategy=(fp_mod.StrategyItem("FARGATE", 1, 0),), max_tasks=1,
    )  # fmt: skip
    with pytest.raises(cost.CostError, match=r"^test: workloads.worker.cpu_architecture='MIPS'; allowed: X86_64, ARM64$"):
        est_mod.workload_line("test", worker, prices, prices.region("us-east-1"))


# ---- the rendered table ----------------------------------------------------------------------


def test_cost_main_shows_each_workload_within_100_columns(
    synth_out: Path, config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prices_file = write_fixed_prices(tmp_path)
    code = cli.main(["--out", str(synth_out), "--prices", str(prices_file), "--config", str(config_file)])
    out = capsys.readouterr().out
    assert code == 0
    tables = out.split("Source of each column")[0]
    assert max(len(line) for line in tables.splitlines()) <= 100
    money = tables.split("\n\n")[0]  # the first table; the quantities follow
    rows = {line.split("  ")[0]: line for line in money.splitlines()}
    for item in ("api Fargate", "internal Fargate", "report job runs", "worker Fargate", "SQS and Scheduler",
                 "CloudWatch alarms", "Workload logs"):  # fmt: skip
        assert item in rows, item
    # staging, dev, prod, local side by side: the workloads an environment does not have are "-".
    assert rows["worker Fargate"].split()[2:] == ["0.00", "/", "25.84", "12.41", "/", "24.82", "-", "-"]
    assert rows["api Fargate"].split()[2:] == ["35.04", "/", "80.59", "-", "-", "-"]
    assert rows["NLB hours"].split()[2:] == ["-", "-", "14.60", "/", "14.60", "-"]  # only prod has an NLB
    # The quantities, one environment at a time (side by side they would be wider than 100 columns).
    assert "120 runs x 6 min x 0.5 vCPU / 1 GB X86_64" in out
    assert "0/4 tasks (0/1.5 Spot) x 0.25 vCPU / 0.5 GB X86_64" in out
    assert "1/2 tasks x 0.25 vCPU / 0.5 GB X86_64, public IPs" in out


def test_cost_main_json_has_each_workload(
    synth_out: Path, config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--out", str(synth_out), "--prices", str(write_fixed_prices(tmp_path)), "--config", str(config_file)]
    assert cli.main([*args, "--env", "staging", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    staging = data["environments"]["staging"]
    workloads = {w["name"]: w for w in staging["footprint"]["workloads"]}
    assert sorted(workloads) == ["api", "internal", "report", "worker"]
    assert workloads["report"]["runs_per_month"] == 120.0 and workloads["worker"]["min_tasks"] == 0
    assert {line["item"]: line["at_max"] for line in staging["lines"]}["worker Fargate"] == 25.842
    assert data["assumptions"]["job_run_minutes"] == 6.0


def test_line_items_of_all_environments_keep_each_ones_order() -> None:
    def est(*items: str) -> est_mod.Estimate:
        lines = tuple(est_mod.Line(item, "", D(0), D(0)) for item in items)
        return est_mod.Estimate(fp_mod.footprint_from_stack(json.loads(STACK.read_text()), env="test",
                                                            region="us-east-1", emulator=False, path="x"), lines)  # fmt: skip

    without = est("Fargate On-Demand", "ALB hours", "Log storage")
    with_workloads = est("Fargate On-Demand", "report job runs", "ALB hours", "SQS and Scheduler", "Log storage",
                         "Workload logs")  # fmt: skip
    assert render.items([without, with_workloads]) == [
        "Fargate On-Demand", "report job runs", "ALB hours", "SQS and Scheduler", "Log storage", "Workload logs",
    ]  # fmt: skip


# ---- hand-written stacks: what the constructs do not write ---------------------------------


def fixture_with(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The fixture stack plus ``resources`` (kind -> id -> body)."""
    doc = copy.deepcopy(json.loads(STACK.read_text()))
    for kind, bodies in resources.items():
        doc["resource"].setdefault(kind, {}).update(bodies)
    return doc


def job_resources(expression: Any = "rate(1 day)", **schedule: Any) -> dict[str, dict[str, Any]]:
    body = {
        "schedule_expression": expression,
        "target": {"ecs_parameters": {"task_count": 1, "task_definition_arn": "${aws_ecs_task_definition.Workload-job_Task_A.arn}"}},
        **schedule,
    }  # fmt: skip
    if expression is None:
        del body["schedule_expression"]
    return {
        "aws_ecs_task_definition": {"Workload-job_Task_A": {"cpu": "256", "memory": "512"}},
        "aws_scheduler_schedule": {"Workload-job_Schedule_B": body},
    }


def from_stack(doc: dict[str, Any]) -> fp_mod.Footprint:
    return fp_mod.footprint_from_stack(doc, env="test", region="us-east-1", emulator=False, path="x")


def test_metric_math_alarms_count_each_metric_they_read() -> None:
    doc = fixture_with({
        **job_resources(),
        "aws_cloudwatch_metric_alarm": {
            "Workload-job_Plain_C": {"metric_name": "Errors", "period": 60},
            "Workload-job_Math_D": {"metric_query": [
                {"id": "a", "metric": {"metric_name": "A", "period": 60}},
                {"id": "b", "metric": {"metric_name": "B", "period": 60}},
                {"id": "c", "metric": {"metric_name": "C", "period": 60}},
                {"id": "e", "expression": "a + b - c", "return_data": True},
            ]},
            "Own_Alarm_E": {"metric_name": "CPUUtilization", "period": 300},
        },
    })  # fmt: skip
    fp = from_stack(doc)
    job = workload(fp, "job")
    assert (job.alarms, job.alarm_metrics) == (2, 4)  # 1 + 3 metrics; the expression is not a metric
    assert (fp.alarms, fp.alarm_metrics) == (1, 1)  # the environment's own
    assert fp.warnings == ()


def test_high_resolution_and_anomaly_alarms_are_warned() -> None:
    doc = fixture_with({
        **job_resources(),
        "aws_cloudwatch_metric_alarm": {
            "Workload-job_Fast_C": {"metric_name": "Errors", "period": 10},
            "Workload-job_Band_D": {"threshold_metric_id": "band", "metric_query": [
                {"id": "m", "metric": {"metric_name": "A", "period": 60}},
                {"id": "band", "expression": "ANOMALY_DETECTION_BAND(m)"},
            ]},
        },
    })  # fmt: skip
    assert from_stack(doc).warnings == (
        "aws_cloudwatch_metric_alarm.Workload-job_Fast_C is a high-resolution alarm; priced as standard resolution",
        "aws_cloudwatch_metric_alarm.Workload-job_Band_D is an anomaly-detection alarm; priced per metric read",
    )


def test_a_disabled_schedule_runs_nothing() -> None:
    job = workload(from_stack(fixture_with(job_resources(state="DISABLED"))), "job")
    assert (job.kind, job.schedule, job.runs_per_month) == ("job", "rate(1 day)", D(0))
    assert workload(from_stack(fixture_with(job_resources())), "job").runs_per_month == D(30)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("rate(5 minute)", r"^aws_scheduler_schedule.Workload-job_Schedule_B.schedule_expression='rate\(5 minute\)'"
                           r" uses the unit 'minute' with the value 5; allowed: 'minutes'"),
        ("${var.schedule}", r"^aws_scheduler_schedule.Workload-job_Schedule_B.schedule_expression='\$\{var.schedule\}'"
                            r" is not a schedule expression; allowed: at\("),
        (None, r"^aws_scheduler_schedule.Workload-job_Schedule_B.schedule_expression=None is not a literal expression"),
    ],
)  # fmt: skip
def test_a_schedule_expression_that_cannot_be_counted_is_an_error(expression: Any, message: str) -> None:
    with pytest.raises(cost.CostError, match=message):
        from_stack(fixture_with(job_resources(expression)))


def test_a_computed_task_size_of_a_workload_is_an_error() -> None:
    doc = fixture_with(job_resources())
    doc["resource"]["aws_ecs_task_definition"]["Workload-job_Task_A"]["cpu"] = "${var.cpu}"
    with pytest.raises(cost.CostError, match=r"^aws_ecs_task_definition.Workload-job_Task_A.cpu='\$\{var.cpu\}' is not a"
                                             r" literal number in the synthesized stack"):  # fmt: skip
        from_stack(doc)


def test_workload_resources_that_run_nothing_or_log_nowhere_are_warned() -> None:
    doc = fixture_with({
        **job_resources(),
        "aws_sqs_queue": {"Workload-orphan_Queue_F": {"name": "orphan"}},
        "aws_cloudwatch_log_group": {"Workload-job_Stray_G": {"name": "/stray", "retention_in_days": 7}},
    })  # fmt: skip
    fp = from_stack(doc)
    assert [w.name for w in fp.workloads] == ["job"]
    assert fp.warnings == (
        "aws_cloudwatch_log_group.Workload-job_Stray_G is not written by its workload's task; not sized",
        "Workload-orphan has no task definition with a service or schedule; not priced",
    )


def test_a_workload_writing_to_the_environments_log_group_keeps_its_retention() -> None:
    doc = fixture_with(job_resources())
    task = doc["resource"]["aws_ecs_task_definition"]["Workload-job_Task_A"]
    task["container_definitions"] = json.dumps([{"logConfiguration": {"options": {
        "awslogs-group": "${aws_cloudwatch_log_group.Service_LogGroup_AAAA.name}", "awslogs-stream-prefix": "job"}}}])  # fmt: skip
    fp = from_stack(doc)
    assert workload(fp, "job").log_retention_days == (14,)
    assert fp.app_log_retention_days == (14,)  # still the environment's own too
    assert fp.warnings == ()
