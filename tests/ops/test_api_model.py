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
