"""The API-model check (ops/api_model.py) through the real emulator: `ops.emulator serve` on a free port.

boto3 runs with parameter_validation=False, so a bad value reaches the emulator the way a client
with a bug would send it; the record file then says what the model forbids.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ops import api_model
from tests.ops.conftest import serve_emulator


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The emulator with EMULATOR_API_LOG set; yields (its URL, the record file)."""
    folder = tmp_path_factory.mktemp("api-model")
    with serve_emulator(folder, folder / "api.jsonl") as url:
        yield url, folder / "api.jsonl"


@pytest.fixture
def client(server: tuple[str, Path]) -> Callable[[str], Any]:
    import boto3
    from botocore.config import Config

    def make(service: str) -> Any:
        return boto3.client(
            service, endpoint_url=server[0], region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
            config=Config(parameter_validation=False, retries={"max_attempts": 1}),
        )  # fmt: skip

    return make


def moto_may_reject() -> contextlib.AbstractContextManager[Any]:
    """moto rejects some bad values itself; the record is what these tests check."""
    from botocore.exceptions import ClientError

    return contextlib.suppress(ClientError)


def last_record(records: Path, service: str, operation: str) -> api_model.Record:
    found = [r for r in api_model.read_records(records) if (r.service, r.operation) == (service, operation)]
    assert found, "no record of %s.%s in %s" % (service, operation, records.read_text())
    return found[-1]


def rules(record: api_model.Record) -> set[tuple[str, str, str]]:
    return {(v.member, v.value, v.rule) for v in record.violations}


def test_a_good_json_request_is_validated_and_reaches_moto(client: Callable[[str], Any], server: tuple[str, Path]) -> None:
    cluster = client("ecs").create_cluster(clusterName="api-model-good", tags=[{"key": "project", "value": "demo"}])
    assert cluster["cluster"]["clusterName"] == "api-model-good"  # moto read the body after the check
    record = last_record(server[1], "ecs", "CreateCluster")
    assert record.validated and record.violations == [] and record.status == 200


def test_bad_ecs_create_service_names_operation_member_value_and_rule(
    client: Callable[[str], Any], server: tuple[str, Path]
) -> None:
    with moto_may_reject():
        client("ecs").create_service(cluster="api-model-good", launchType="FARGATEX", desiredCount=1)
    record = last_record(server[1], "ecs", "CreateService")
    assert record.validated
    assert rules(record) == {
        ("launchType", "FARGATEX", "enum: one of EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES"),
        ("serviceName", "(missing)", "required"),
    }


def test_an_over_long_name_breaks_max_length(client: Callable[[str], Any], server: tuple[str, Path]) -> None:
    with moto_may_reject():
        client("logs").create_log_group(logGroupName="g" * 513)
    (violation,) = last_record(server[1], "logs", "CreateLogGroup").violations
    assert (violation.member, violation.rule) == ("logGroupName", "max length 512")
    assert violation.value.endswith("(513)")


def test_a_query_request_is_parsed_back_into_nested_members(client: Callable[[str], Any], server: tuple[str, Path]) -> None:
    ec2, elbv2 = client("ec2"), client("elbv2")
    vpc_id = ec2.create_vpc(
        CidrBlock="10.9.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "v"}]}]
    )["Vpc"]["VpcId"]
    good = last_record(server[1], "ec2", "CreateVpc")
    assert good.validated and good.violations == []

    with moto_may_reject():
        ec2.create_vpc(CidrBlock="10.8.0.0/16", TagSpecifications=[{"ResourceType": "bogus", "Tags": []}])
    bad = last_record(server[1], "ec2", "CreateVpc")
    assert ("TagSpecifications[0].ResourceType", "bogus") in {(v.member, v.value) for v in bad.violations}

    with moto_may_reject():
        elbv2.create_target_group(Name="api-model", Protocol="HTTP", Port=70000, VpcId=vpc_id, TargetType="ip")
    assert rules(last_record(server[1], "elbv2", "CreateTargetGroup")) == {("Port", "70000", "max 65535")}


def test_a_rest_xml_request_is_parsed_back(client: Callable[[str], Any], server: tuple[str, Path]) -> None:
    route53 = client("route53")
    zone_id = route53.create_hosted_zone(Name="api-model.test", CallerReference="api-model")["HostedZone"]["Id"]
    assert last_record(server[1], "route53", "CreateHostedZone").violations == []
    change = {"Action": "UPSERT", "ResourceRecordSet": {"Name": "a.api-model.test", "Type": "AAAAA", "TTL": -1}}
    with moto_may_reject():
        route53.change_resource_record_sets(HostedZoneId=zone_id.split("/")[-1], ChangeBatch={"Changes": [change]})
    record = last_record(server[1], "route53", "ChangeResourceRecordSets")
    assert {(v.member, v.rule) for v in record.violations} >= {
        ("ChangeBatch.Changes[0].ResourceRecordSet.TTL", "min 0"),
    }
    assert any(v.member == "ChangeBatch.Changes[0].ResourceRecordSet.Type" and v.rule.startswith("enum") for v in record.violations)


def test_a_request_that_is_not_parsed_back_says_why(client: Callable[[str], Any], server: tuple[str, Path]) -> None:
    client("s3").list_buckets()
    record = last_record(server[1], "s3", "?")
    assert not record.validated and "S3 addressing" in record.reason


def test_report_prints_coverage_and_exits_1_on_a_violation(
    client: Callable[[str], Any], server: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    client("ecs").list_clusters()
    assert api_model.main(["report", str(server[1])]) == 1
    out = capsys.readouterr().out
    assert "ecs.CreateService: launchType=FARGATEX: enum: one of EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES; 1" in out
    assert "ecs.CreateService: serviceName=(missing): required; 1" in out
    assert "s3.?: 1: S3 addressing (bucket in the host): request not parsed back" in out
    assert out.splitlines()[0].startswith("API-model check: ")


def test_report_exits_0_without_violations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = tmp_path / "api.jsonl"
    records.write_text(api_model.Record("ecs", "ListClusters", True, status=200).to_json() + "\n")
    assert api_model.main(["report", str(records)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "API-model check: 1 requests, 1 operations seen, 1 validated, 0 not validated, 0 violations"
    )


def test_report_without_a_record_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert api_model.main(["report", str(tmp_path / "none.jsonl")]) == 1
    assert "no record file" in capsys.readouterr().err


def test_java_only_patterns_are_not_checked_and_say_why() -> None:
    assert isinstance(api_model.compile_pattern(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"), str)
    assert isinstance(api_model.compile_pattern(r"[a-z&&[^b]]+"), str)
    surrogates = api_model.compile_pattern(r"[\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF]+")
    assert not isinstance(surrogates, str) and surrogates.fullmatch("policy \U0001f600")


def test_a_query_key_no_member_serializes_to_is_a_violation(server: tuple[str, Path]) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        server[0] + "/",
        data=b"Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-1&Bogus=1",
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/ec2/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    with contextlib.suppress(urllib.error.HTTPError), urllib.request.urlopen(request, timeout=10):
        pass
    assert rules(last_record(server[1], "ec2", "DescribeVpcs")) == {
        ("Bogus", "1", "no member of the input shape serializes to this key")
    }


# rest-json: EventBridge Scheduler as the project's schedules use it ------------------------------

ACCOUNT = "123456789012"


def schedule_target(**retry: int) -> dict[str, Any]:
    """A target like the project's scheduled tasks: run an ECS task, retry, dead letters to SQS."""
    return {
        "Arn": "arn:aws:ecs:us-east-1:%s:cluster/api-model" % ACCOUNT,
        "RoleArn": "arn:aws:iam::%s:role/api-model-scheduler" % ACCOUNT,
        "EcsParameters": {
            "TaskDefinitionArn": "arn:aws:ecs:us-east-1:%s:task-definition/api-model-job:3" % ACCOUNT,
            "TaskCount": 1,
            "LaunchType": "FARGATE",
            "NetworkConfiguration": {
                "awsvpcConfiguration": {"Subnets": ["subnet-0a1b2c3d"], "SecurityGroups": ["sg-0a1b2c3d"], "AssignPublicIp": "DISABLED"}
            },
        },
        "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 3600, **retry},
        "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:%s:api-model-dlq" % ACCOUNT},
    }


def test_scheduler_requests_as_boto3_sends_them_are_parsed_back_and_valid(
    client: Callable[[str], Any], server: tuple[str, Path]
) -> None:
    scheduler = client("scheduler")
    group_arn = scheduler.create_schedule_group(Name="api-model", Tags=[{"Key": "project", "Value": "demo"}])[
        "ScheduleGroupArn"
    ]
    schedule = {
        "Name": "api-model-nightly",
        "GroupName": "api-model",
        "Description": "Runs api-model-job on cron(0 3 * * ? *) (Europe/Berlin)",
        "ScheduleExpression": "cron(0 3 * * ? *)",
        "ScheduleExpressionTimezone": "Europe/Berlin",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "ENABLED",
        "KmsKeyArn": "arn:aws:kms:us-east-1:%s:key/0a1b2c3d-aaaa-bbbb-cccc-0a1b2c3d4e5f" % ACCOUNT,
        "Target": schedule_target(),
    }
    scheduler.create_schedule(**schedule)
    got = scheduler.get_schedule(Name="api-model-nightly", GroupName="api-model")
    assert got["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 185  # moto read the body after the check
    scheduler.update_schedule(**{**schedule, "State": "DISABLED"})
    scheduler.list_tags_for_resource(ResourceArn=group_arn)  # the ARN's "/" travels as %2F in the path
    scheduler.delete_schedule(Name="api-model-nightly", GroupName="api-model")
    for operation in ("CreateScheduleGroup", "CreateSchedule", "GetSchedule", "UpdateSchedule", "ListTagsForResource", "DeleteSchedule"):
        record = last_record(server[1], "scheduler", operation)
        assert (record.validated, record.violations, record.status) == (True, [], 200), record


def test_bad_scheduler_values_are_named_in_the_violations(client: Callable[[str], Any], server: tuple[str, Path]) -> None:
    with moto_may_reject():
        client("scheduler").create_schedule(
            Name="n" * 65, ScheduleExpression="rate(1 hour)", State="PAUSED", Target=schedule_target(MaximumRetryAttempts=200)
        )  # no FlexibleTimeWindow
    record = last_record(server[1], "scheduler", "CreateSchedule")
    assert record.validated
    assert {(v.member, v.rule) for v in record.violations} == {
        ("Name", "max length 64"),
        ("State", "enum: one of ENABLED, DISABLED"),
        ("FlexibleTimeWindow", "required"),
        ("Target.RetryPolicy.MaximumRetryAttempts", "max 185"),
    }
    values = {v.member: v.value for v in record.violations}
    assert values["Name"].endswith("(65)") and values["State"] == "PAUSED"
    assert values["Target.RetryPolicy.MaximumRetryAttempts"] == "200" and values["FlexibleTimeWindow"] == "(missing)"


def send_signed(url: str, method: str, path: str, service: str, body: bytes | None = None) -> None:
    """A request with a SigV4 credential scope for ``service`` (the check reads only the scope)."""
    import urllib.error
    import urllib.request

    headers = {"Authorization": signed_by(service)["authorization"], "Content-Type": "application/json"}
    request = urllib.request.Request(url + path, data=body, method=method, headers=headers)
    with contextlib.suppress(urllib.error.HTTPError), urllib.request.urlopen(request, timeout=10):
        pass


def signed_by(service: str) -> dict[str, str]:
    scope = "testing/20250101/us-east-1/%s/aws4_request" % service
    return {"authorization": "AWS4-HMAC-SHA256 Credential=%s, SignedHeaders=host, Signature=0" % scope}


def test_a_rest_json_path_no_operation_has_is_not_parsed_back_and_says_why(
    server: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    send_signed(server[0], "GET", "/schedulez/api-model-nightly", "scheduler")
    record = last_record(server[1], "scheduler", "?")
    assert (record.validated, record.reason) == (False, "no operation's requestUri matches GET /schedulez/api-model-nightly")
    api_model.main(["report", str(server[1])])
    assert "scheduler.?: 1: no operation's requestUri matches GET /schedulez/api-model-nightly" in capsys.readouterr().out


def test_a_rest_json_body_that_is_not_json_is_not_parsed_back(server: tuple[str, Path]) -> None:
    send_signed(server[0], "POST", "/schedule-groups/api-model-broken", "scheduler", body=b"<Tags/>")
    record = last_record(server[1], "scheduler", "CreateScheduleGroup")
    assert not record.validated and record.reason.startswith("body is not JSON (")


# rest-json parsed back without a server: requests as botocore's serializer writes them --------------

SCHEDULE_ARN_PREFIX = "arn:aws:scheduler:us-east-1:%s:schedule-group/" % ACCOUNT

ROUND_TRIPS: list[tuple[str, str, dict[str, Any]]] = [
    ("scheduler", "CreateSchedule", {
        "Name": "api-model-nightly", "GroupName": "api-model", "ScheduleExpression": "cron(0 3 * * ? *)",
        "ScheduleExpressionTimezone": "Europe/Berlin", "StartDate": 1767225600, "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "ENABLED", "ClientToken": "0a1b2c3d-token", "Target": schedule_target(),
    }),
    ("scheduler", "ListSchedules", {"GroupName": "api-model", "NamePrefix": "api-model", "State": "DISABLED", "MaxResults": 20}),
    ("scheduler", "DeleteSchedule", {"Name": "api-model-nightly", "GroupName": "api-model", "ClientToken": "0a1b2c3d-token"}),
    ("scheduler", "ListTagsForResource", {"ResourceArn": SCHEDULE_ARN_PREFIX + "api-model"}),
    ("scheduler", "UntagResource", {"ResourceArn": SCHEDULE_ARN_PREFIX + "api-model", "TagKeys": ["project", "owner"]}),
    # Other rest-json services: headers, a blob payload, a structure payload, a query-string map, a
    # greedy label, a list header with a comma inside an item.
    ("lambda", "Invoke", {
        "FunctionName": "api-model-job", "InvocationType": "Event", "LogType": "None", "Qualifier": "live",
        "Payload": b'{"job": "nightly"}',
    }),
    ("iot", "CreateTopicRule", {
        "ruleName": "api_model_jobs", "tags": "project=demo",
        "topicRulePayload": {"sql": "SELECT * FROM 'jobs/#'", "actions": [{"sqs": {
            "roleArn": "arn:aws:iam::%s:role/api-model-iot" % ACCOUNT,
            "queueUrl": "https://sqs.us-east-1.amazonaws.com/%s/api-model" % ACCOUNT,
        }}]},
    }),
    ("apigateway", "GetExport", {
        "restApiId": "a1b2c3d4e5", "stageName": "prod", "exportType": "oas30",
        "parameters": {"extensions": "integrations", "version": "2"}, "accepts": "application/yaml",
    }),
    ("iot", "GetTopicRuleDestination", {"arn": "arn:aws:iot:us-east-1:%s:ruledestination/http/0a1b-2c3d" % ACCOUNT}),
    ("entityresolution", "BatchDeleteUniqueId", {
        "workflowName": "api-model", "inputSource": "arn:aws:glue:us-east-1:%s:table/api_model/ids" % ACCOUNT, "uniqueIds": ["id-1", "id,2"],
    }),
]  # fmt: skip


@pytest.fixture(scope="module")
def checker() -> api_model.Checker:
    return api_model.Checker()


def as_received(model: Any, operation: str, params: dict[str, Any]) -> api_model.Request:
    """The request botocore serializes for ``params`` as the middleware hands it to the check:
    ``path`` URL-decoded (WSGI's PATH_INFO), ``raw_path`` as sent, header names in lower case."""
    from urllib.parse import unquote

    from botocore.serialize import create_serializer
    from botocore.utils import percent_encode_sequence

    serialized = create_serializer(model.protocol).serialize_to_request(params, model.operation_model(operation))
    headers = {key.lower(): str(value) for key, value in serialized["headers"].items()} | signed_by(model.signing_name)
    body = serialized["body"] if isinstance(serialized["body"], bytes) else serialized["body"].encode()
    path = serialized["url_path"]
    query = percent_encode_sequence(serialized["query_string"])
    return api_model.Request(serialized["method"], unquote(path), query, headers, body, raw_path=path)


@pytest.mark.parametrize(("service", "operation", "params"), ROUND_TRIPS, ids=[".".join(t[:2]) for t in ROUND_TRIPS])
def test_a_rest_json_request_parses_back_into_the_input_it_was_serialized_from(
    checker: api_model.Checker, service: str, operation: str, params: dict[str, Any]
) -> None:
    model = checker.models.model(service)
    request = as_received(model, operation, params)
    matched = api_model._match_rest_operation(model, request, request.raw_path)
    assert matched is not None and matched[0].name == operation
    assert api_model._rest_json_params(matched[0], request, matched[1]) == (params, [])
    record = checker.check(request)
    assert (record.service, record.operation, record.validated, record.violations) == (service, operation, True, [])


def test_a_body_key_no_body_member_sends_is_a_violation(checker: api_model.Checker) -> None:
    model = checker.models.model("scheduler")
    request = as_received(model, "GetSchedule", {"Name": "api-model-nightly"})
    body = b'{"GroupName": "api-model", "Name": "api-model-nightly", "Bogus": 1}'
    request = api_model.Request("POST", "/schedules/api-model-nightly", "", request.headers, body)
    record = checker.check(request)
    assert (record.operation, record.validated) == ("CreateSchedule", True)
    assert rules(record) >= {
        ("Bogus", "(present)", "not a member of the input shape"),
        ("Name", "(present)", "sent in the JSON body; the model sends it in the uri"),
        ("FlexibleTimeWindow", "(missing)", "required"),
    }
    assert "GroupName" not in {v.member for v in record.violations}


def test_of_several_matching_request_uris_the_one_with_most_literal_segments_wins() -> None:
    from botocore.model import ServiceModel

    def operation(name: str, uri: str) -> dict[str, Any]:
        return {"name": name, "http": {"method": "GET", "requestUri": uri}, "input": {"shape": name + "Input"}}

    uris = {
        "GetLong": "/catalogue-of-everything/{Section}/{Entry}",  # more literal characters, one literal segment
        "GetLatest": "/{Kind}/items/latest",  # two literal segments
        "GetLatestSummary": "/{Kind}/items/latest?view=summary",
        "GetAnything": "/{Path+}",
    }
    shapes: dict[str, Any] = {"String": {"type": "string"}}
    for name, uri in uris.items():
        labels = [label.rstrip("+") for label in api_model._URI_LABEL.findall(uri)]
        shapes[name + "Input"] = {
            "type": "structure",
            "required": labels,
            "members": {label: {"shape": "String", "location": "uri", "locationName": label} for label in labels},
        }
    model = ServiceModel({
        "metadata": {"protocol": "rest-json", "apiVersion": "2020-01-01", "endpointPrefix": "demo", "serviceId": "Demo"},
        "operations": {name: operation(name, uri) for name, uri in uris.items()},
        "shapes": shapes,
    }, "demo")  # fmt: skip

    def match(path: str, query: str = "") -> tuple[str, dict[str, str]]:
        found = api_model._match_rest_operation(model, api_model.Request("GET", path, query, {}, b""), path)
        assert found is not None
        return found[0].name, found[1]

    assert match("/catalogue-of-everything/items/latest") == ("GetLatest", {"Kind": "catalogue-of-everything"})
    assert match("/catalogue-of-everything/items/oldest") == ("GetLong", {"Section": "items", "Entry": "oldest"})
    assert match("/catalogue-of-everything/items/latest", "view=summary")[0] == "GetLatestSummary"
    assert match("/catalogue-of-everything/items/latest", "view=full")[0] == "GetLatest"  # the template's value counts
    assert match("/archive/2025/reports%2Fq4.csv") == ("GetAnything", {"Path": "archive/2025/reports/q4.csv"})
