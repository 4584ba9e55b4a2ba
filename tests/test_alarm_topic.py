"""Alarms that reach someone: the [alarms] config, modules.alarm_topic, thresholds from config, the
wiring per environment, and the placeholder warning of make plan."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from envconfig import ConfigError, load_environment
from envconfig.model import AlarmsConfig
from rules.alarms import DEFAULT_THRESHOLDS, PLACEHOLDER_EMAIL, Threshold, is_placeholder_target, placeholder_warning
from tests.service_stack import all_of, by_id

REGION = "us-east-1"
TOPIC = "arn:aws:sns:us-east-1:123456789012:team-alarms"


# ---- config model ----------------------------------------------------------------------------


def test_defaults_notify_no_one_and_keep_the_documented_thresholds() -> None:
    config = AlarmsConfig()
    assert not config.notifies and config.deployment_failures
    assert {name: config.threshold(name) for name in DEFAULT_THRESHOLDS} == {
        "target_5xx": Threshold(5, 3, 2),
        "elb_5xx": Threshold(5, 3, 2),
        "unhealthy_hosts": Threshold(1, 2),
        "cpu_high": Threshold(85, 5),
        "memory_high": Threshold(85, 5),
        "latency_p99": Threshold(2, 5),
    }


def test_a_partial_threshold_table_keeps_the_alarms_other_defaults() -> None:
    config = AlarmsConfig.model_validate({"target_5xx": {"threshold": 20}, "cpu_high": {"evaluation_periods": 10},
                                          "latency_p99": {"threshold": 0.5, "datapoints_to_alarm": 3}})  # fmt: skip
    assert config.threshold("target_5xx") == Threshold(20, 3, 2)
    # New evaluation periods alone: every period counts (the default 2-of-3 would not fit 10 periods).
    assert config.threshold("cpu_high") == Threshold(85, 10, None)
    assert config.threshold("latency_p99") == Threshold(0.5, 5, 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"emails": ["oncall at example.com"]},
         r"emails\[0\]='oncall at example\.com' is not an e-mail address; allowed: an address such as"),
        ({"emails": ["a@corp.test", "a@corp.test"]}, r"emails=\['a@corp\.test', 'a@corp\.test'\] repeats an entry"),
        ({"https_endpoints": ["http://hooks.corp.test/x"]},
         r"https_endpoints\[0\]='http://hooks\.corp\.test/x' is not an HTTPS URL; allowed: https://host"),
        ({"topic_arn": TOPIC, "emails": ["a@corp.test"]},
         r"topic_arn='arn:aws:sns:us-east-1:123456789012:team-alarms' with emails/https_endpoints.*allowed: topic_arn"
         r" alone, or emails and/or https_endpoints"),
        ({"cpu_high": {"threshold": 120}}, r"cpu_high\.threshold=120\.0; allowed: 0 < percent <= 100"),
        ({"target_5xx": {"threshold": 0.5}}, r"target_5xx\.threshold=0\.5; allowed: a whole number >= 1"),
        ({"latency_p99": {"threshold": 0}}, r"latency_p99\.threshold=0\.0; allowed: seconds > 0"),
        ({"unhealthy_hosts": {"evaluation_periods": 0}},
         r"unhealthy_hosts\.evaluation_periods=0; allowed: 1\.\.1440 \(one-minute periods, at most one day\)"),
        ({"elb_5xx": {"evaluation_periods": 3, "datapoints_to_alarm": 5}},
         r"elb_5xx\.datapoints_to_alarm=5 with evaluation_periods=3; allowed: 1\.\.3"),
    ],
)  # fmt: skip
def test_config_rejects(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AlarmsConfig.model_validate(data)


def _environments(tmp_path: Path, alarms: str, service: str = "") -> Path:
    path = tmp_path / "environments.toml"
    path.write_text(
        '[environments.qa]\napp_name = "app"\naccount_id = "123456789012"\nregion = "eu-west-1"\n[environments.qa.load_balancer]\n'
        'domain_name = "qa.corp.test"\nhosted_zone_name = "corp.test"\n[environments.qa.alarms]\n%s\n%s'
        % (alarms, service)
    )
    return path


@pytest.mark.parametrize(
    ("arn", "problem"),
    [
        ("arn:aws:sns:us-east-1:123456789012:team-alarms",
         r"is in us-east-1; allowed: a topic in eu-west-1 \(an alarm notifies topics of its own region\)"),
        ("arn:aws:sns:eu-west-1:123456789012:team-alarms.fifo", r"is a FIFO topic; allowed: a standard topic"),
        ("team-alarms", r"is not an SNS topic ARN; allowed: arn:aws:sns:<region>:<12-digit account>:<topic name>"),
    ],
)  # fmt: skip
def test_an_existing_topic_must_be_a_standard_topic_of_the_region(tmp_path: Path, arn: str, problem: str) -> None:
    path = _environments(tmp_path, 'topic_arn = "%s"' % arn)
    with pytest.raises(ConfigError, match=r"qa: alarms\.topic_arn='%s' %s" % (arn.replace(".", r"\."), problem)):
        load_environment("qa", path)


def test_the_error_names_the_environment_field_value_and_allowed(tmp_path: Path) -> None:
    path = _environments(tmp_path, 'emails = ["ops@corp.test"]\nmemory_high = { threshold = 0 }')
    with pytest.raises(ConfigError) as raised:
        load_environment("qa", path)
    assert raised.value.problems == ["qa.alarms: memory_high.threshold=0.0; allowed: 0 < percent <= 100"]


def test_service_alarm_email_points_to_the_new_field(tmp_path: Path) -> None:
    path = _environments(tmp_path, "", '[environments.qa.service]\nalarm_email = "ops@corp.test"\n')
    with pytest.raises(ConfigError) as raised:
        load_environment("qa", path)
    assert raised.value.problems == [
        "qa.service: alarm_email='ops@corp.test' moved to the environment's alarms table; allowed:"
        " [environments.<env>.alarms] emails = ['ops@corp.test'] (service.alarm_email is no longer used)"
    ]


# ---- modules.alarm_topic ---------------------------------------------------------------------


def _synth(**props: Any) -> dict[str, Any]:
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from modules.alarm_topic import AlarmTopic, AlarmTopicProps

    stack = TerraformStack(Testing.app(), "test")
    AwsProvider(stack, "aws", region=REGION)
    AlarmTopic(stack, "AlarmTopic", props=AlarmTopicProps(name="app-test", region=REGION, **props))
    return dict(json.loads(Testing.synth(stack)))


@pytest.fixture(scope="module")
def created() -> dict[str, Any]:
    return _synth(emails=("oncall@corp.test", "lead@corp.test"), https_endpoints=("https://events.pagerduty.com/x",),
                  cluster_name="app-test")  # fmt: skip


def _ref(stack: dict[str, Any], rtype: str, attribute: str) -> str:
    (key,) = stack["resource"][rtype]
    return "${%s.%s.%s}" % (rtype, key, attribute)


def test_topic_is_encrypted_with_its_own_rotating_key(created: dict[str, Any]) -> None:
    (topic,) = all_of(created, "aws_sns_topic")
    assert topic["name"] == "app-test-alarms"
    assert topic["kms_master_key_id"] == _ref(created, "aws_kms_key", "arn")  # not alias/aws/sns
    key = by_id(created, "aws_kms_key", "AlarmTopic/Key")
    assert key["enable_key_rotation"] is True and key["deletion_window_in_days"] == 30
    assert key["tags"] == {"Name": "app-test-alarms"}
    statements = {s["Sid"]: s for s in json.loads(key["policy"])["Statement"]}
    assert set(statements) == {"KeyAdministration", "AlarmPublishers"}
    publishers = statements["AlarmPublishers"]
    assert publishers["Principal"] == {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]}
    assert publishers["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert "Condition" not in publishers  # as the SNS guide writes it; the topic policy scopes who may publish
    admin = statements["KeyAdministration"]
    assert admin["Principal"]["AWS"].endswith(":root") and "kms:ScheduleKeyDeletion" in admin["Action"]
    assert not [action for s in statements.values() for action in s["Action"] if "*" in action]


def test_one_subscription_per_target(created: dict[str, Any]) -> None:
    topic_arn = _ref(created, "aws_sns_topic", "arn")
    subscriptions = sorted(
        (s["protocol"], s["endpoint"], s["topic_arn"]) for s in all_of(created, "aws_sns_topic_subscription")
    )
    assert subscriptions == [
        ("email", "lead@corp.test", topic_arn), ("email", "oncall@corp.test", topic_arn),
        ("https", "https://events.pagerduty.com/x", topic_arn),
    ]  # fmt: skip


def test_subscription_ids_follow_the_target_not_its_place() -> None:
    from modules.alarm_topic import subscription_id

    assert subscription_id("email", "a@corp.test") == subscription_id("email", "A@corp.test")
    assert subscription_id("email", "a@corp.test") != subscription_id("email", "b@corp.test")
    assert subscription_id("https", "https://x.test/").startswith("Https-")


def test_topic_policy_admits_only_this_environments_alarms_and_rule(created: dict[str, Any]) -> None:
    policy = by_id(created, "aws_sns_topic_policy", "AlarmTopic/TopicPolicy")
    assert policy["arn"] == _ref(created, "aws_sns_topic", "arn")
    statements = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
    account = "${data.aws_caller_identity."
    cloudwatch = statements["CloudWatchAlarms"]
    assert (cloudwatch["Principal"], cloudwatch["Action"], cloudwatch["Effect"]) == (
        {"Service": "cloudwatch.amazonaws.com"}, "sns:Publish", "Allow")  # fmt: skip
    assert cloudwatch["Condition"]["StringEquals"]["aws:SourceAccount"].startswith(account)
    assert cloudwatch["Condition"]["ArnLike"]["aws:SourceArn"].endswith(":cloudwatch:us-east-1:%s:alarm:app-test-*" % (
        cloudwatch["Condition"]["StringEquals"]["aws:SourceAccount"]))  # fmt: skip
    events = statements["DeploymentFailedRule"]
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    assert events["Condition"]["ArnEquals"]["aws:SourceArn"].endswith(":rule/app-test-deployment-failed")
    assert events["Condition"]["StringEquals"]["aws:SourceAccount"].startswith(account)
    deny = statements["DenyInsecureTransport"]
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


def test_failed_deployments_of_the_clusters_services_notify_the_topic(created: dict[str, Any]) -> None:
    rule = by_id(created, "aws_cloudwatch_event_rule", "AlarmTopic/DeploymentFailed")
    assert rule["name"] == "app-test-deployment-failed"
    pattern = json.loads(rule["event_pattern"])
    assert pattern["source"] == ["aws.ecs"] and pattern["detail-type"] == ["ECS Deployment State Change"]
    assert pattern["detail"] == {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]}
    (prefix,) = pattern["resources"]
    assert prefix["prefix"].startswith("arn:${data.aws_partition.") and prefix["prefix"].endswith(":service/app-test/")
    assert ":ecs:us-east-1:" in prefix["prefix"]
    target = by_id(created, "aws_cloudwatch_event_target", "AlarmTopic/DeploymentFailedTarget")
    assert (target["rule"], target["arn"]) == (_ref(created, "aws_cloudwatch_event_rule", "name"),
                                               _ref(created, "aws_sns_topic", "arn"))  # fmt: skip


def test_failed_blue_green_releases_notify_the_topic_through_a_second_rule() -> None:
    stack = _synth(emails=("oncall@corp.test",), cluster_name="app-test", codedeploy_application="app-test")
    rule = by_id(stack, "aws_cloudwatch_event_rule", "AlarmTopic/ReleaseFailed")
    assert rule["name"] == "app-test-release-failed"
    assert json.loads(rule["event_pattern"]) == {
        "source": ["aws.codedeploy"], "detail-type": ["CodeDeploy Deployment State-change Notification"],
        "detail": {"application": ["app-test"], "state": ["FAILURE"]},
    }  # fmt: skip
    target = by_id(stack, "aws_cloudwatch_event_target", "AlarmTopic/ReleaseFailedTarget")
    assert target["arn"] == _ref(stack, "aws_sns_topic", "arn")
    policy = by_id(stack, "aws_sns_topic_policy", "AlarmTopic/TopicPolicy")
    (events,) = [s for s in json.loads(policy["policy"])["Statement"] if s["Sid"] == "DeploymentFailedRule"]
    arns = events["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert [a.rsplit(":", 1)[1] for a in arns] == ["rule/app-test-deployment-failed", "rule/app-test-release-failed"]


def test_without_rules_eventbridge_may_not_publish() -> None:
    stack = _synth(emails=("oncall@corp.test",))
    policy = by_id(stack, "aws_sns_topic_policy", "AlarmTopic/TopicPolicy")
    assert "DeploymentFailedRule" not in [s["Sid"] for s in json.loads(policy["policy"])["Statement"]]


def test_an_existing_topic_is_notified_and_nothing_is_created() -> None:
    stack = _synth(existing_topic_arn=TOPIC, cluster_name="app-test")
    for rtype in (
        "aws_sns_topic",
        "aws_kms_key",
        "aws_sns_topic_policy",
        "aws_sns_topic_subscription",
    ):
        assert rtype not in stack["resource"], rtype
    target = by_id(stack, "aws_cloudwatch_event_target", "AlarmTopic/DeploymentFailedTarget")
    assert target["arn"] == TOPIC


def test_no_rule_without_a_cluster() -> None:
    stack = _synth(emails=("oncall@corp.test",))
    assert "aws_cloudwatch_event_rule" not in stack["resource"]


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({}, r"AlarmTopicProps has no target; allowed: emails and/or https_endpoints, or existing_topic_arn"),
        ({"emails": ("nobody",)}, r"AlarmTopicProps\.emails contains 'nobody'; allowed: addresses"),
        ({"https_endpoints": ("ftp://x",)}, r"AlarmTopicProps\.https_endpoints contains 'ftp://x'; allowed: https://"),
        ({"existing_topic_arn": TOPIC, "emails": ("a@corp.test",)},
         r"existing_topic_arn='.*' with emails/https_endpoints; allowed: one or the other"),
        ({"existing_topic_arn": TOPIC.replace("us-east-1", "eu-west-1")}, r"is in eu-west-1; allowed: a topic in us-east-1"),
        ({"emails": ("a@corp.test",), "deletion_window_days": 3}, r"deletion_window_days=3; allowed: 7\.\.30"),
    ],
)  # fmt: skip
def test_props_reject(props: dict[str, Any], message: str) -> None:
    from modules.alarm_topic import AlarmTopicProps

    with pytest.raises(ValueError, match=message):
        AlarmTopicProps(name="app-test", region=REGION, **props)


# ---- thresholds from config, through the web service -------------------------------------------


def test_configured_thresholds_reach_the_alarms() -> None:
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from envconfig.model import ContainerConfig, LoadBalancerConfig, ScalingConfig, ServiceConfig
    from stacks.props import alarm_thresholds
    from tests.service_stack import build

    config = AlarmsConfig.model_validate({"target_5xx": {"threshold": 12, "evaluation_periods": 4, "datapoints_to_alarm": 3},
                                          "latency_p99": {"threshold": 0.75}, "memory_high": {"threshold": 70}})  # fmt: skip
    stack = TerraformStack(Testing.app(), "test")
    AwsProvider(stack, "aws", region=REGION)
    parts = build(stack, container=ContainerConfig(), service=ServiceConfig(), lb=LoadBalancerConfig(),
                  scaling=ScalingConfig(), alarm_topic_arn=TOPIC, alarm_thresholds=alarm_thresholds(config))  # fmt: skip
    assert parts["alarms"] is not None
    synthesized = json.loads(Testing.synth(stack))
    alarms = {a["alarm_name"]: a for a in all_of(synthesized, "aws_cloudwatch_metric_alarm")}
    five = alarms["app-test-target-5xx"]
    assert (five["threshold"], five["evaluation_periods"], five["datapoints_to_alarm"]) == (12, 4, 3)
    assert five["alarm_description"] == "Targets answered 12+ 5xx a minute in 3 of 4 minutes"
    assert alarms["app-test-latency-p99"]["threshold"] == 0.75
    assert alarms["app-test-memory-high"]["threshold"] == 70
    assert alarms["app-test-cpu-high"]["threshold"] == 85  # untouched: the default
    assert all(a["alarm_actions"] == [TOPIC] for a in alarms.values())


# ---- per environment ---------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "email"), [("local", "oncall@local.test"), ("staging", PLACEHOLDER_EMAIL),
                                             ("prod", PLACEHOLDER_EMAIL)])  # fmt: skip
def test_environments_with_targets_notify_one_topic_from_every_alarm(
    synth_all: dict[str, dict[str, Any]], env: str, email: str
) -> None:
    stack = synth_all[env]
    (sub,) = all_of(stack, "aws_sns_topic_subscription")
    assert (sub["protocol"], sub["endpoint"]) == ("email", email)
    topic_arn = _ref(stack, "aws_sns_topic", "arn")
    alarms = all_of(stack, "aws_cloudwatch_metric_alarm")
    scaling = [a for a in alarms if a["alarm_name"].endswith("-wake-up")]  # actions: a scaling policy, not people
    notifying = [a for a in alarms if a not in scaling]
    assert len(notifying) >= 6
    for alarm in notifying:
        assert alarm["alarm_actions"] == alarm["ok_actions"] == [topic_arn], alarm["alarm_name"]
    (rule,) = [r for r in all_of(stack, "aws_cloudwatch_event_rule") if r["name"].endswith("-deployment-failed")]
    assert ":service/flask-app-%s/" % env in json.loads(rule["event_pattern"])["resources"][0]["prefix"]
    # staging releases its web service through CodeDeploy (blue/green): its failures notify the topic too
    releases = [r for r in all_of(stack, "aws_cloudwatch_event_rule") if r["name"].endswith("-release-failed")]
    assert [json.loads(r["event_pattern"])["detail"]["application"] for r in releases] == (
        [["flask-app-%s" % env]] if env == "staging" else [])  # fmt: skip


def test_an_environment_without_targets_has_no_topic_and_no_rule(synth_all: dict[str, dict[str, Any]]) -> None:
    stack = synth_all["dev"]
    assert "aws_sns_topic" not in stack["resource"]
    assert not [r for r in all_of(stack, "aws_cloudwatch_event_rule") if r["name"].endswith("-deployment-failed")]
    assert all(a["alarm_actions"] == [] for a in all_of(stack, "aws_cloudwatch_metric_alarm"))


# ---- the placeholder warning of make plan ----------------------------------------------------


@pytest.mark.parametrize(
    ("target", "placeholder"),
    [("oncall@example.com", True), ("ops@alerts.example.org", True), ("https://example.net/hook", True),
     ("oncall@corp.test", False), ("ops@example.com.au", False), ("https://events.pagerduty.com/x", False)],
)  # fmt: skip
def test_placeholder_targets(target: str, placeholder: bool) -> None:
    assert is_placeholder_target(target) is placeholder


def test_shipped_placeholders_are_detected_and_a_real_address_is_not() -> None:
    assert placeholder_warning("prod", load_environment("prod").alarms.targets) is not None
    assert placeholder_warning("staging", load_environment("staging").alarms.targets) is not None
    assert placeholder_warning("local", load_environment("local").alarms.targets) is None
    assert placeholder_warning("prod", ("oncall@corp.test",)) is None


def test_make_plan_warns_while_the_address_is_a_placeholder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ops.plan.plan_stacks prints the warning and notes it in summary.md (here every stack fails to init)."""
    from ops import plan, tf

    class NoTerraform:
        def __init__(self, directory: Path, **kwargs: Any) -> None:
            self.name = directory.name

        def init(self) -> None:
            raise tf.TerraformError("no terraform in this test")

    monkeypatch.setattr(tf, "Stack", NoTerraform)
    log = io.StringIO()
    prod = load_environment("prod")
    summaries, summary = plan.plan_stacks(prod, {}, out=tmp_path / "out", folder=tmp_path / "plans", log=log)
    assert all(s.error for s in summaries)
    expected = placeholder_warning("prod", prod.alarms.targets)
    assert expected is not None and "oncall@example.com" in expected and "PLACEHOLDER" in expected
    assert "   WARNING: %s\n" % expected in log.getvalue()
    assert "> :warning: **%s**" % expected in summary.read_text()

    real = prod.model_copy(update={"alarms": AlarmsConfig(emails=("oncall@corp.test",))})
    log = io.StringIO()
    _, summary = plan.plan_stacks(real, {}, out=tmp_path / "out", folder=tmp_path / "plans", log=log)
    assert "PLACEHOLDER" not in log.getvalue() and "PLACEHOLDER" not in summary.read_text()
