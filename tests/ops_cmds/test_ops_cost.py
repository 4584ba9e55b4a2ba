"""`make cost`: fixed inputs (a hand-written stack JSON + a fixed price table), numbers derived by hand.

Fixed prices (tests/ops_cmds/data/prices_fixed.toml): vCPU-hour 0.04, GB-hour 0.004, Spot 70 % off,
ALB-hour 0.02, NAT-hour 0.05, endpoint-AZ-hour 0.01, IPv4-hour 0.005, ingestion 0.5/GB, storage
0.03/GB-month, WAF 5 per web ACL + 1 per rule a month, KMS 1 per key a month, 730 h a month (so
730/24 = 365/12 days), 0.1 GB of app log per task-day, 0.2 GB of flow log and 0.05 GB of WAF log a day.
The workload figures are added to that table here (``fixed_prices_text``): 0.1 per alarm metric a
month, 0.5 per million SQS requests above 1 million free, 1 per million Scheduler invocations above
14 million free, 6-minute job runs and 600,000 SQS requests a month per worker.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from envconfig import load_environments
from ops import cost
from ops.cost import cli
from ops.cost import estimate as est_mod
from ops.cost import footprint as fp_mod
from ops.cost import prices as prices_mod

DATA = Path(__file__).with_name("data")
REPO = Path(__file__).resolve().parents[2]
PRICES_DATA = DATA / "prices_fixed.toml"
STACK = DATA / "cost_stack.tf.json"
ENVIRONMENTS = DATA / "environments.toml"
D = Decimal
WORKLOAD_ASSUMPTIONS = "job_run_minutes = 6\nsqs_requests_per_worker_month = 600000\n"
WORKLOAD_PRICES = (
    "cloudwatch_alarm_metric_month = 0.1\nsqs_requests_million = 0.5\nsqs_free_requests_month = 1000000\n"
    "scheduler_invocations_million = 1\nscheduler_free_invocations_month = 14000000\n"
)


def fixed_prices_text() -> str:
    """The fixed price table with the workload prices and assumptions (made-up round numbers too)."""
    text = PRICES_DATA.read_text()
    text = text.replace("[assumptions]\n", "[assumptions]\n" + WORKLOAD_ASSUMPTIONS)
    return text.replace("[regions.us-east-1]\n", "[regions.us-east-1]\n" + WORKLOAD_PRICES)


def write_fixed_prices(directory: Path) -> Path:
    path = directory / "prices_fixed.toml"
    path.write_text(fixed_prices_text())
    return path


@pytest.fixture()
def prices_file(tmp_path: Path) -> Path:
    return write_fixed_prices(tmp_path)


def six(value: Decimal) -> Decimal:
    return value.quantize(D("0.000001"))


@pytest.fixture()
def out_dir(tmp_path: Path) -> Path:
    """A cdktf.out with the fixture stack as environment `test` (and nothing for `small`)."""
    stack_dir = tmp_path / "stacks" / "test"
    stack_dir.mkdir(parents=True)
    (stack_dir / "cdk.tf.json").write_text(STACK.read_text())
    return tmp_path


def fixture_footprint() -> fp_mod.Footprint:
    return fp_mod.footprint_from_stack(json.loads(STACK.read_text()), env="test", region="us-east-1", emulator=False, path=str(STACK))


def test_footprint_counts_the_synthesized_resources() -> None:
    fp = fixture_footprint()
    assert (fp.cpu_units, fp.memory_mib, fp.cpu_architecture) == (512, 1024, "X86_64")
    assert (fp.min_tasks, fp.max_tasks) == (2, 6)
    assert fp.strategy == (fp_mod.StrategyItem("FARGATE", 25, 1), fp_mod.StrategyItem("FARGATE_SPOT", 75, 0))
    assert (fp.load_balancers, fp.load_balancer_public_ips) == (1, 2)
    assert (fp.nat_gateways, fp.elastic_ips) == (2, 2)
    assert fp.interface_endpoint_enis == 6  # 3 interface endpoints x 2 subnets; the S3 gateway is free
    assert fp.task_public_ip is False
    assert (fp.app_log_retention_days, fp.flow_log_retention_days, fp.waf_log_retention_days) == ((14,), (14,), (30,))
    assert (fp.waf_web_acls, fp.waf_rules, fp.kms_keys) == (1, 2, 1)
    assert fp.warnings == ()


def test_split_tasks_places_base_first_then_by_weight() -> None:
    strategy = (fp_mod.StrategyItem("FARGATE", 25, 1), fp_mod.StrategyItem("FARGATE_SPOT", 75, 0))
    # 2 tasks: 1 base on-demand, the other 1 split 1:3 -> 1.25 on-demand, 0.75 Spot.
    assert est_mod.split_tasks(2, strategy) == (D("1.25"), D("0.75"))
    # 6 tasks: 1 + 5 x 0.25 = 2.25 on-demand, 5 x 0.75 = 3.75 Spot.
    assert est_mod.split_tasks(6, strategy) == (D("2.25"), D("3.75"))
    assert est_mod.split_tasks(0, strategy) == (D(0), D(0))
    assert est_mod.split_tasks(3, (fp_mod.StrategyItem("FARGATE_SPOT", 1, 0),)) == (D(0), D(3))


def test_estimate_of_the_fixture_stack_matches_the_hand_derivation(prices_file: Path) -> None:
    est = est_mod.estimate(fixture_footprint(), prices_mod.load_prices(prices_file))
    lines = {line.item: (six(line.at_min), six(line.at_max)) for line in est.lines}
    # Task: 0.5 vCPU x 0.04 + 1 GB x 0.004 = 0.024 an hour.
    # On-Demand: 1.25 x 0.024 x 730 = 21.90; 2.25 x 0.024 x 730 = 39.42.
    assert lines["Fargate On-Demand"] == (D("21.900000"), D("39.420000"))
    # Spot: 0.024 x 0.3 = 0.0072 an hour; 0.75 x 0.0072 x 730 = 3.942; 3.75 x 0.0072 x 730 = 19.71.
    assert lines["Fargate Spot"] == (D("3.942000"), D("19.710000"))
    # 1 ALB x 0.02 x 730 = 14.60.
    assert lines["ALB hours"] == (D("14.600000"), D("14.600000"))
    # 2 NAT gateways x 0.05 x 730 = 73.00.
    assert lines["NAT gateways"] == (D("73.000000"), D("73.000000"))
    # 6 endpoint-AZs x 0.01 x 730 = 43.80.
    assert lines["Interface endpoints"] == (D("43.800000"), D("43.800000"))
    # 2 ALB addresses + 2 NAT EIPs = 4 x 0.005 x 730 = 14.60 (tasks have no public IP).
    assert lines["Public IPv4"] == (D("14.600000"), D("14.600000"))
    # 1 web ACL x 5 + 2 rules x 1 = 7 a month; 1 KMS key x 1 = 1 a month.
    assert lines["WAF web ACLs"] == (D("7.000000"), D("7.000000"))
    assert lines["KMS keys"] == (D("1.000000"), D("1.000000"))
    # Ingestion a day: 0.1 x 2 tasks + 0.2 flow + 0.05 WAF = 0.45 GB (max: 0.1 x 6 + 0.25 = 0.85 GB);
    # x 365/12 days = 13.6875 GB x 0.5 = 6.84375; 0.85 x 365/12 = 25.854167 GB x 0.5 = 12.927083.
    assert lines["Log ingestion"] == (D("6.843750"), D("12.927083"))
    # Kept: app 0.2 x 14 + flow 0.2 x 14 + WAF 0.05 x 30 = 2.8 + 2.8 + 1.5 = 7.1 GB x 0.03 = 0.213;
    # max: 0.6 x 14 + 2.8 + 1.5 = 12.7 GB x 0.03 = 0.381.
    assert lines["Log storage"] == (D("0.213000"), D("0.381000"))
    # 21.9 + 3.942 + 14.6 + 73 + 43.8 + 14.6 + 7 + 1 + 6.84375 + 0.213 = 186.89875.
    assert six(est.total_min) == D("186.898750")
    # 39.42 + 19.71 + 14.6 + 73 + 43.8 + 14.6 + 7 + 1 + 12.927083 + 0.381 = 226.438083.
    assert six(est.total_max) == D("226.438083")


def test_config_fallback_for_an_environment_without_a_stack_matches_the_hand_derivation(
    out_dir: Path, prices_file: Path
) -> None:
    cfg = load_environments(ENVIRONMENTS)["small"]
    fp = fp_mod.footprint(cfg, out_dir)
    assert fp.source.startswith("config")
    est = est_mod.estimate(fp, prices_mod.load_prices(prices_file))
    lines = {line.item: six(line.at_min) for line in est.lines}
    # 0.25 vCPU x 0.04 + 0.5 GB x 0.004 = 0.012 an hour, all Spot: 0.012 x 0.3 x 730 = 2.628.
    assert lines["Fargate On-Demand"] == 0 and lines["Fargate Spot"] == D("2.628000")
    assert lines["ALB hours"] == D("14.600000")
    assert lines["NAT gateways"] == 0 and lines["Interface endpoints"] == 0
    assert lines["WAF web ACLs"] == 0 and lines["KMS keys"] == 0  # stack-only resources: not in the config
    # 2 ALB addresses (2 AZs) + 1 task with a public IP = 3 x 0.005 x 730 = 10.95.
    assert lines["Public IPv4"] == D("10.950000")
    # 0.1 GB a day x 365/12 days = 36.5/12 GB x 0.5 = 18.25/12 = 1.520833; no flow logs.
    # Kept 7 days: 0.1 x 7 = 0.7 GB x 0.03 = 0.021.
    assert lines["Log ingestion"] == D("1.520833") and lines["Log storage"] == D("0.021000")
    # 2.628 + 14.6 + 10.95 + 18.25/12 + 0.021 = 28.199 + 1.520833 = 29.719833.
    assert six(est.total_min) == six(est.total_max) == D("29.719833")


def test_config_and_stack_agree_for_the_fixture_and_disagreements_are_warned(out_dir: Path, tmp_path: Path) -> None:
    cfg = load_environments(ENVIRONMENTS)["test"]
    fp = fp_mod.footprint(cfg, out_dir)
    assert fp.source.endswith("cdk.tf.json") and fp.warnings == ()
    other = cfg.model_copy(update={"scaling": cfg.scaling.model_copy(update={"min_capacity": 3, "desired_count": 3})})
    warned = fp_mod.footprint(other, out_dir)
    assert warned.min_tasks == 2  # the stack is what gets deployed, so it wins
    assert warned.warnings == ("test: synthesized stack has min_tasks=2 but the config implies 3; re-run make synth",)


def test_a_stack_without_an_ecs_service_falls_back_to_the_config_with_a_warning(out_dir: Path) -> None:
    (out_dir / "stacks" / "test" / "cdk.tf.json").write_text(json.dumps({"resource": {"aws_vpc": {"v": {}}}}))
    fp = fp_mod.footprint(load_environments(ENVIRONMENTS)["test"], out_dir)
    assert fp.source.startswith("config")
    assert fp.warnings and "has no aws_ecs_task_definition / aws_ecs_service; priced from the config" in fp.warnings[0]


def test_cost_main_shows_all_environments_side_by_side(
    out_dir: Path, prices_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["--out", str(out_dir), "--prices", str(prices_file), "--config", str(ENVIRONMENTS)])
    out = capsys.readouterr().out
    assert code == 0
    header = out.splitlines()[0].split()
    assert header == ["monthly", "USD", "test", "small"]
    total = next(line for line in out.splitlines() if line.startswith("TOTAL"))
    assert total.split()[-6:] == ["186.90", "/", "226.44", "29.72", "/", "29.72"]
    assert "Fargate Spot" in out and "NAT gateways" in out and "Log storage" in out
    flat = " ".join(out.split())  # the notes are wrapped at 100 columns
    assert "as of 2000-01-01" in flat and "Not included (usage-priced): ALB LCUs" in flat
    tables = out.split("Source of each column")[0]
    assert max(len(line) for line in tables.splitlines()) <= 100


def test_cost_main_one_environment_json(out_dir: Path, prices_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--out", str(out_dir), "--prices", str(prices_file), "--config", str(ENVIRONMENTS)]
    code = cli.main([*args, "--env", "test", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert list(data["environments"]) == ["test"]
    assert data["environments"]["test"]["total_at_min"] == 186.8988
    assert data["environments"]["test"]["total_at_max"] == 226.4381
    assert data["prices_as_of"] == "2000-01-01" and data["hours_per_month"] == 730.0


def test_cost_assumption_override_changes_the_log_lines(
    out_dir: Path, prices_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--out", str(out_dir), "--prices", str(prices_file), "--config", str(ENVIRONMENTS)]
    args += ["--env", "small", "--json"]
    assert cli.main([*args, "--app-log-gb-per-task-day", "1.2"]) == 0
    data = json.loads(capsys.readouterr().out)
    lines = {line["item"]: line["at_min"] for line in data["environments"]["small"]["lines"]}
    # 1.2 GB a day x 365/12 x 0.5 = 18.25; 1.2 x 7 = 8.4 GB x 0.03 = 0.252.
    assert lines["Log ingestion"] == 18.25 and lines["Log storage"] == 0.252
    assert data["assumptions"]["app_log_gb_per_task_day"] == 1.2


def test_cost_assumption_override_is_checked_like_the_price_table(
    prices_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--prices", str(prices_file), "--config", str(ENVIRONMENTS), "--env", "small"]
    assert cli.main([*args, "--job-run-minutes", "0.5"]) == 1
    assert "cost: error: --job-run-minutes=0.5; allowed: 1 or more" in capsys.readouterr().err
    assert cli.main([*args, "--sqs-requests-per-worker-month", "-3"]) == 1
    assert "cost: error: --sqs-requests-per-worker-month=-3.0 is negative" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("alb_hour = 0.02\n", ""), r"\[regions.us-east-1\].alb_hour is missing; allowed keys: "),
        (lambda t: t.replace("alb_hour = 0.02", "alb_hour = -1"), r"\[regions.us-east-1\].alb_hour=-1 is negative"),
        (lambda t: t.replace("alb_hour = 0.02", 'alb_hour = "cheap"'), r"alb_hour='cheap' is not a number"),
        (lambda t: t.replace("alb_hour = 0.02", "alb_hour = 0.02\nglb_hour = 0.01"), r"unknown key\(s\) glb_hour"),
        (lambda t: t.replace("fargate_spot_discount = 0.7", "fargate_spot_discount = 70"),
         r"fargate_spot_discount=70; allowed: a fraction below 1"),
        (lambda t: t.replace('as_of = "2000-01-01"\n', ""), r"\[meta\].as_of is missing"),
        (lambda t: t.replace("flow_log_gb_per_day = 0.2\n", ""), r"\[assumptions\].flow_log_gb_per_day is missing"),
        (lambda t: t.replace("job_run_minutes = 6\n", ""), r"\[assumptions\].job_run_minutes is missing"),
        (lambda t: t.replace("job_run_minutes = 6", "job_run_minutes = 0.5"),
         r"\[assumptions\].job_run_minutes=0.5; allowed: 1 or more \(Fargate bills a task for one minute at least\)"),
        (lambda t: t.replace("cloudwatch_alarm_metric_month = 0.1\n", ""),
         r"\[regions.us-east-1\].cloudwatch_alarm_metric_month is missing"),
        (lambda t: t.replace("sqs_free_requests_month = 1000000", "sqs_free_requests_month = -1"),
         r"\[regions.us-east-1\].sqs_free_requests_month=-1 is negative"),
        (lambda t: t + "\n[[broken", r"not valid TOML"),
    ],
)
def test_price_table_errors_name_the_file_and_key(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "prices.toml"
    path.write_text(edit(fixed_prices_text()))
    with pytest.raises(cost.CostError, match=message):
        prices_mod.load_prices(path)


def test_unpriced_region_names_the_region_and_the_priced_ones(prices_file: Path) -> None:
    fp = fp_mod.footprint_from_config(load_environments(ENVIRONMENTS)["small"])
    fp = dataclasses.replace(fp, region="eu-west-1")
    with pytest.raises(cost.CostError, match=r"has no prices for region 'eu-west-1'; allowed: us-east-1"):
        est_mod.estimate(fp, prices_mod.load_prices(prices_file))


def test_cost_main_reports_errors_on_stderr(tmp_path: Path, prices_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--prices", str(tmp_path / "missing.toml")]) == 1
    assert "cost: error: " in capsys.readouterr().err
    assert cli.main(["--prices", str(prices_file), "--config", str(ENVIRONMENTS), "--env", "qa"]) == 1
    assert "environment 'qa' is not defined; allowed: test, small" in capsys.readouterr().err


# ---- the real price table and the real constructs -----------------------------------------


def test_project_price_table_covers_every_environment_and_names_its_sources() -> None:
    prices = prices_mod.load_prices()
    assert prices.currency == "USD" and len(prices.as_of) == 10 and prices.hours_per_month == 730
    for env in load_environments().values():
        assert env.region in prices.regions, env.name
    pages = set(prices.sources.values())
    for page in ("fargate/pricing", "elasticloadbalancing/pricing", "vpc/pricing", "privatelink/pricing",
                 "cloudwatch/pricing", "waf/pricing", "kms/pricing", "sqs/pricing", "eventbridge/pricing"):  # fmt: skip
        assert any(page in url for url in pages), page


def test_flow_log_retention_from_the_config_has_the_security_floor() -> None:
    """The config estimate keeps flow logs as long as the stack does: a year at least (rules.logs)."""
    configs = load_environments()
    with_flow_logs = [cfg for cfg in configs.values() if cfg.network.flow_logs]
    assert with_flow_logs, "no environment has flow logs to check"
    for cfg in with_flow_logs:
        fp = fp_mod.footprint_from_config(cfg)
        assert fp.flow_log_retention_days == (max(cfg.logging.retention_days, 365),), cfg.name
    short = next(iter(with_flow_logs))
    short = short.model_copy(update={"logging": short.logging.model_copy(update={"retention_days": 7})})
    assert fp_mod.footprint_from_config(short).flow_log_retention_days == (365,)


def test_real_synth_agrees_with_the_config_for_every_environment(tmp_path: Path) -> None:
    """Synthesize the project and cross-check each stack's footprint against its config."""
    env = dict(os.environ)
    result = subprocess.run([sys.executable, "main.py", "--out", str(tmp_path)], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    configs = load_environments()
    for name, cfg in configs.items():
        doc = json.loads(fp_mod.stack_file(name, tmp_path).read_text())
        if "aws_ecs_service" not in doc.get("resource", {}):
            pytest.skip("the synthesized stacks have no aws_ecs_service yet (service construct not merged)")
        fp = fp_mod.footprint(cfg, tmp_path)
        assert fp.source.endswith("cdk.tf.json")
        assert fp.warnings == (), fp.warnings
        # The stack's flow-log retention (its security-log floor) is what the config estimate uses.
        assert fp.flow_log_retention_days == fp_mod.footprint_from_config(cfg).flow_log_retention_days, name


def test_log_group_nobody_writes_to_is_reported_not_guessed() -> None:
    doc = json.loads(STACK.read_text())
    doc["resource"]["aws_cloudwatch_log_group"]["Extra_LogGroup_ZZZZ"] = {"name": "/extra", "retention_in_days": 7}
    fp = fp_mod.footprint_from_stack(doc, env="test", region="us-east-1", emulator=False, path="x")
    assert fp.warnings == (
        "aws_cloudwatch_log_group.Extra_LogGroup_ZZZZ is written by neither the task, flow logs nor WAF; not sized",
    )
    assert fp.app_log_retention_days == (14,)
