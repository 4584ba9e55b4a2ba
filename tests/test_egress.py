"""Reaching dependencies: egress rules per workload, kms:Decrypt on the secrets' keys, secret endpoints.

Three layers: the rules (checked against botocore's EC2 model where it carries them), the config
model's errors (through the real loader, so each message names the environment), the constructs
(:mod:`modules.egress`, :class:`modules.task.FargateTask`, :class:`modules.network.Network`), and one
production-shaped environment built through ``main.build`` and validated by the real Terraform.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from envconfig import ConfigError, load_environments
from modules.container import ContainerOptions
from rules import egress
from tests.conftest import resources, synth_construct

SG = "sg-0123456789abcdef0"
PL = "pl-0123456789abcdef0"
REGION = "ap-southeast-1"
SM_ARN = "arn:aws:secretsmanager:%s:123456789012:secret:prod/orders-db-AbCdEf:password::" % REGION
SSM_ARN = "arn:aws:ssm:%s:123456789012:parameter/flask-app/api-token" % REGION
KEY_DB = "arn:aws:kms:%s:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d" % REGION
KEY_SSM = "arn:aws:kms:%s:123456789012:key/mrk-0123456789abcdef0123456789abcdef" % REGION


# ---- rules ------------------------------------------------------------------------------------


def test_description_characters_are_ec2s_for_every_kind_of_rule() -> None:
    """The allowed punctuation is what EC2 documents for all four destination kinds (``&`` only for CIDRs)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("ec2")
    sets = []
    for shape in ("IpRange", "Ipv6Range", "PrefixListId", "UserIdGroupPair"):
        doc = model.shape_for(shape).members["Description"].documentation.replace("&amp;", "&")
        match = re.search(
            r"Up to (\d+) characters in length\. Allowed characters are a-z, A-Z, 0-9, spaces, and (\S+)<", doc
        )
        assert match is not None, (shape, doc)
        assert int(match.group(1)) == egress.DESCRIPTION_MAX
        sets.append(set(match.group(2)))
    assert set.intersection(*sets) == set(egress.DESCRIPTION_PUNCTUATION)
    assert egress.description_problem("PostgreSQL (orders), port 5432: #1 [primary]") is None
    assert "contains '&'" in (egress.description_problem("db & cache") or "")
    assert (
        egress.description_problem("  ")
        == "description='  ' is blank; allowed: 1..255 characters saying what the tasks reach"
    )
    assert egress.description_problem("x" * 256) == "description=%r is 256 characters; allowed: 1..255" % ("x" * 256)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cidr": None, "prefix_list_id": None, "security_group_id": None}, "destination none; allowed: exactly one of"),
        ({"cidr": "10.0.0.0/16", "prefix_list_id": None, "security_group_id": SG},
         "destination cidr='10.0.0.0/16', security_group_id='sg-0123456789abcdef0'; allowed: exactly one"),
        ({"cidr": "10.0.0.1/16", "prefix_list_id": None, "security_group_id": None}, "host bits zero"),
        ({"cidr": None, "prefix_list_id": "pl-xyz", "security_group_id": None}, "prefix_list_id='pl-xyz'; allowed"),
        ({"cidr": None, "prefix_list_id": None, "security_group_id": "sg-1"}, "security_group_id='sg-1'; allowed"),
    ],
)  # fmt: skip
def test_destination_problems(kwargs: dict[str, Any], message: str) -> None:
    assert message in (egress.destination_problem(**kwargs) or "")


def test_open_means_the_whole_internet_except_tcp_443() -> None:
    assert egress.needs_open_reason("tcp", 5432, 5432, "0.0.0.0/0")
    assert egress.needs_open_reason("udp", 443, 443, "::/0")
    assert egress.needs_open_reason("tcp", 443, 444, "0.0.0.0/0")
    assert not egress.needs_open_reason("tcp", 443, 443, "0.0.0.0/0")
    assert not egress.needs_open_reason("tcp", 5432, 5432, "10.0.0.0/8")
    assert not egress.needs_open_reason("tcp", 5432, 5432, None)


def test_port_ranges_and_duplicates() -> None:
    assert egress.port_range_problem(8000, 8100) is None
    assert egress.port_range_problem(8100, 8000) == "from_port=8100 > to_port=8000; allowed: from_port <= to_port"
    assert egress.port_range_problem(0, 1) == "port 0; allowed: 1..65535"
    keys = {"a": egress.rule_key("tcp", 5432, 5432, SG), "b": egress.rule_key("tcp", 5432, 5432, SG)}
    assert (
        egress.duplicate_problem(keys) == "b is the same rule as a (tcp 5432-5432 to %s); allowed: each rule once" % SG
    )
    assert "every task's own HTTPS rule" in (
        egress.duplicate_problem({"x": egress.rule_key("tcp", 443, 443, "0.0.0.0/0")}) or ""
    )
    assert egress.duplicate_problem({"a": keys["a"], "c": egress.rule_key("udp", 5432, 5432, SG)}) is None


def test_decrypt_grants_tie_each_key_to_its_secrets_services() -> None:
    secrets = {"DB": SM_ARN, "TOKEN": SSM_ARN, "OTHER": SM_ARN.replace("orders-db", "other")}
    grants = egress.decrypt_grants({"DB": KEY_DB, "OTHER": KEY_DB, "TOKEN": KEY_SSM}, secrets)
    assert grants == [
        ((KEY_DB,), ("secretsmanager.%s.amazonaws.com" % REGION,)),
        ((KEY_SSM,), ("ssm.%s.amazonaws.com" % REGION,)),
    ]
    assert egress.decrypt_grants({}, secrets) == []


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"NOPE": KEY_DB}, "secret_kms_key_arns.NOPE: 'NOPE' is not a secret of this container; allowed: names of"
                           r" secrets \(DB\)"),
        ({"DB": KEY_DB.replace(":key/", ":alias/").split("/")[0] + "/orders"},
         r"is not a KMS key ARN; allowed: arn:aws:kms:<region>:<account>:key/<key id> \(a key ARN, not an alias\)"),
        ({"DB": KEY_DB.replace(REGION, "us-east-1")},
         "is a key in us-east-1, but secrets.DB is in ap-southeast-1 .*; allowed: a key in ap-southeast-1"),
    ],
)  # fmt: skip
def test_secret_key_problems(keys: dict[str, str], message: str) -> None:
    problem = egress.secret_keys_problem(keys, {"DB": SM_ARN})
    assert problem is not None and re.search(message, problem), problem


# ---- config -----------------------------------------------------------------------------------


def _load(tmp_path: Path, body: str, *, production: bool = False) -> Any:
    head = '[defaults]\napp_name = "flask-app"\nregion = "%s"\naccount_id = "123456789012"\n' % REGION
    if production:
        head += ('[defaults.load_balancer]\ndomain_name = "app.example.com"\nhosted_zone_name = "example.com"\n'
                 "[environments.prod]\nproduction = true\ndeletion_protection = true\n")  # fmt: skip
    else:
        head += "[environments.prod]\n"
    path = tmp_path / "environments.toml"
    path.write_text(head + body)
    return load_environments(path)["prod"]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('port = 5432\nfrom_port = 1\nto_port = 2\ncidr = "10.0.0.0/8"\ndescription = "x"',
         "prod.service.egress.db: port=5432, from_port=1, to_port=2; allowed: port, or from_port with to_port"),
        ('from_port = 8000\ncidr = "10.0.0.0/8"\ndescription = "x"',
         "prod.service.egress.db: port=None, from_port=8000, to_port=None; allowed: port, or from_port with to_port"),
        ('from_port = 9000\nto_port = 8000\ncidr = "10.0.0.0/8"\ndescription = "x"',
         "prod.service.egress.db: from_port=9000 > to_port=8000; allowed: from_port <= to_port"),
        ('port = 70000\ncidr = "10.0.0.0/8"\ndescription = "x"', "prod.service.egress.db: port 70000; allowed: 1..65535"),
        ('port = 5432\ncidr = "10.0.0.0/8"\ndescription = ""', "prod.service.egress.db: description='' is 0 characters;"
                                                               " allowed: 1..255"),
        ('port = 5432\ndescription = "x"', "prod.service.egress.db: destination none; allowed: exactly one of cidr,"
                                            " prefix_list_id or security_group_id"),
        ('port = 5432\ncidr = "10.0.0.0/8"\nsecurity_group_id = "%s"\ndescription = "x"' % SG,
         "prod.service.egress.db: destination cidr='10.0.0.0/8', security_group_id="),
        ('port = 5432\nprefix_list_id = "pl-1"\ndescription = "x"', "prod.service.egress.db: prefix_list_id='pl-1';"
                                                                     " allowed: a managed prefix list id"),
        ('port = 5432\nprotocol = "icmp"\ncidr = "10.0.0.0/8"\ndescription = "x"',
         "prod.service.egress.db.protocol='icmp' is not an allowed value; allowed: 'tcp' or 'udp'"),
        ('port = 5432\ncidr = "10.0.0.0/8"\ndescription = "x"\nallow_open_reason = "because"',
         "prod.service.egress.db: allow_open_reason='because', but the rule is not open .*; allowed: unset"),
        ('port = 443\ncidr = "0.0.0.0/0"\ndescription = "x"', "prod.service: egress.db: tcp 443 to 0.0.0.0/0 is every"
                                                               " task's own HTTPS rule; allowed: leave it out"),
    ],
)  # fmt: skip
def test_config_rule_errors_name_env_field_value_and_allowed(tmp_path: Path, rule: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, "[environments.prod.service.egress.db]\n" + rule + "\n")
    assert re.search(message, str(caught.value)), str(caught.value)


def test_config_rejects_bad_names_and_repeated_rules_in_a_workload(tmp_path: Path) -> None:
    job = '[environments.prod.workloads.report]\nkind = "job"\nschedule = "rate(1 day)"\ncontainer = { command = ["python", "-m", "app.job"] }\n'
    with pytest.raises(
        ConfigError, match=r"prod\.workloads\.report: egress\.Bad_Name: the name 'Bad_Name'; allowed: 1-32"
    ):
        _load(
            tmp_path,
            job
            + '[environments.prod.workloads.report.egress.Bad_Name]\nport = 1\ncidr = "10.0.0.0/8"\ndescription = "x"\n',
        )
    twice = "".join('[environments.prod.workloads.report.egress.%s]\nport = 5432\nsecurity_group_id = "%s"\ndescription = "db"\n'
                    % (name, SG) for name in ("one", "two"))  # fmt: skip
    with pytest.raises(
        ConfigError, match=r"prod\.workloads\.report: egress\.two is the same rule as one \(tcp 5432-5432"
    ):
        _load(tmp_path, job + twice)


OPEN_RULE = """
[environments.prod.service.egress.partner]
from_port = 8000
to_port = 8100
cidr = "0.0.0.0/0"
description = "Partner API on rotating public addresses"
"""


def test_open_egress_is_refused_in_production_without_a_reason(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, OPEN_RULE, production=True)
    assert (
        "prod: service.egress.partner: cidr='0.0.0.0/0' on tcp 8000-8100 in a production environment opens the tasks"
        " to the whole internet; allowed: a narrower destination (the dependency's CIDR, prefix list or security"
        ' group), tcp port 443, or allow_open_reason = "<why>"'
    ) in str(caught.value)
    env = _load(
        tmp_path, OPEN_RULE + 'allow_open_reason = "the partner publishes no address ranges"\n', production=True
    )
    assert env.service.egress["partner"].allow_open_reason == "the partner publishes no address ranges"
    assert _load(tmp_path, OPEN_RULE).service.egress["partner"].ports == (8000, 8100)  # not production: allowed


def test_open_egress_of_a_workload_is_refused_in_production(tmp_path: Path) -> None:
    body = ('[environments.prod.workloads.worker]\nkind = "worker"\nqueue = {}\ncontainer = { command = ["python", "-m",'
            ' "app.worker"] }\n[environments.prod.workloads.worker.egress.dns]\nport = 53\nprotocol = "udp"\ncidr = "::/0"\n'
            'description = "DNS"\n')  # fmt: skip
    with pytest.raises(
        ConfigError, match=r"prod: workloads\.worker\.egress\.dns: cidr='::/0' on udp 53 in a production"
    ):
        _load(tmp_path, body, production=True)


def test_config_secret_keys_errors(tmp_path: Path) -> None:
    body = '[environments.prod.container]\nsecrets = { DATABASE_PASSWORD = "%s" }\n' % SM_ARN
    with pytest.raises(ConfigError, match=r"prod\.container: secret_kms_key_arns\.DB_PASS: 'DB_PASS' is not a secret of this"
                                          r" container; allowed: names of secrets \(DATABASE_PASSWORD\)"):  # fmt: skip
        _load(tmp_path, body + 'secret_kms_key_arns = { DB_PASS = "%s" }\n' % KEY_DB)
    with pytest.raises(ConfigError, match=r"prod\.container: secret_kms_key_arns\.DATABASE_PASSWORD='alias/db' is not a KMS"
                                          r" key ARN; allowed: arn:aws:kms:"):  # fmt: skip
        _load(tmp_path, body + 'secret_kms_key_arns = { DATABASE_PASSWORD = "alias/db" }\n')
    env = _load(tmp_path, body + 'secret_kms_key_arns = { DATABASE_PASSWORD = "%s" }\n' % KEY_DB)
    assert env.container.secret_kms_key_arns == {"DATABASE_PASSWORD": KEY_DB}


@pytest.mark.parametrize(
    ("network", "expected"),
    [
        ('nat_mode = "none"\nvpc_endpoints = true', ("secretsmanager", "ssm")),
        ('nat_mode = "none"\ntasks_in_public_subnets = true', ()),  # public IPs reach the public endpoints
        ('nat_mode = "single"', ()),
    ],
)
def test_secret_endpoints_only_without_a_route_out(tmp_path: Path, network: str, expected: tuple[str, ...]) -> None:
    body = '[environments.prod.network]\n%s\n[environments.prod.container]\nsecrets = { A = "%s" }\n' % (
        network,
        SM_ARN,
    )
    job = ('[environments.prod.workloads.report]\nkind = "job"\nschedule = "rate(1 day)"\ncontainer = { command = ["x"],'
           ' secrets = { B = "%s" } }\n' % SSM_ARN)  # fmt: skip
    assert _load(tmp_path, body + job).secret_endpoint_services == expected
    none = "[environments.prod.network]\n%s\n" % network
    assert _load(tmp_path, none).secret_endpoint_services == ()


# ---- constructs --------------------------------------------------------------------------------


class _Registry:
    repository_arn = "arn:aws:ecr:%s:123456789012:repository/app-test" % REGION
    repository_url = "123456789012.dkr.ecr.%s.amazonaws.com/app-test" % REGION


def _task_props(**overrides: Any) -> Any:
    from modules.task import TaskProps

    kwargs: dict[str, Any] = dict(
        name="app-test-web", family="app-test-web", app_name="app", env_name="prod", region=REGION,
        log_retention_days=30, registry=_Registry(), image_tag="0a1b2c3", vpc_id="vpc-1",
    )  # fmt: skip
    kwargs.update(overrides)
    return TaskProps(**kwargs)


def _rules() -> tuple[Any, ...]:
    from modules.egress import EgressRule

    return (
        EgressRule(name="database", description="PostgreSQL (orders)", from_port=5432, security_group_id=SG),
        EgressRule(name="cache", description="Redis via prefix list", from_port=6379, prefix_list_id=PL),
        EgressRule(name="range", description="Partner API ports", from_port=8000, to_port=8100, cidr="203.0.113.0/24"),
        EgressRule(name="dns", description="DNS over IPv6", from_port=53, protocol="udp", cidr="2001:db8::/32"),
        EgressRule(name="open", description="SFTP partner", from_port=22, cidr="0.0.0.0/0",
                   allow_open_reason="the partner publishes no address ranges"),
    )  # fmt: skip


@pytest.fixture(scope="module")
def task_stack() -> dict[str, Any]:
    from modules.task import FargateTask

    container = ContainerOptions(
        secrets={"DATABASE_PASSWORD": SM_ARN, "API_TOKEN": SSM_ARN, "PLAIN": SSM_ARN.replace("api-token", "plain")},
        secret_kms_key_arns={"DATABASE_PASSWORD": KEY_DB, "API_TOKEN": KEY_SSM},
    )
    props = _task_props(container=container, egress_rules=_rules(), open_egress_needs_reason=True)
    return synth_construct(lambda stack: FargateTask(stack, props=props))


def test_one_egress_rule_per_destination_kind(task_stack: dict[str, Any]) -> None:
    rules = {
        name.split("_")[0]: body for name, body in resources(task_stack, "aws_vpc_security_group_egress_rule").items()
    }
    assert set(rules) == {
        "TaskEgressHttps",
        "Egress-database",
        "Egress-cache",
        "Egress-range",
        "Egress-dns",
        "Egress-open",
    }
    group = rules["TaskEgressHttps"]["security_group_id"]
    assert all(r["security_group_id"] == group for r in rules.values())
    db, cache, ports, dns, open_ = (rules["Egress-%s" % n] for n in ("database", "cache", "range", "dns", "open"))
    assert (db["ip_protocol"], db["from_port"], db["to_port"], db["referenced_security_group_id"]) == (
        "tcp",
        5432,
        5432,
        SG,
    )
    assert db["description"] == "PostgreSQL (orders)"
    assert (cache["prefix_list_id"], cache["from_port"]) == (PL, 6379)
    assert (ports["from_port"], ports["to_port"], ports["cidr_ipv4"]) == (8000, 8100, "203.0.113.0/24")
    assert (dns["ip_protocol"], dns["cidr_ipv6"]) == ("udp", "2001:db8::/32") and "cidr_ipv4" not in dns
    assert open_["cidr_ipv4"] == "0.0.0.0/0" and open_["to_port"] == 22
    destinations = ("cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id")
    for rule in rules.values():
        assert sum(1 for key in destinations if key in rule) == 1, rule


def _execution_statements(stack: dict[str, Any]) -> list[dict[str, Any]]:
    (doc,) = [d for n, d in stack["data"]["aws_iam_policy_document"].items() if n.startswith("ExecutionPolicyDocument")]
    return list(doc["statement"])


def test_kms_decrypt_on_exactly_the_secrets_keys_through_their_service(task_stack: dict[str, Any]) -> None:
    decrypt = [s for s in _execution_statements(task_stack) if s["actions"] == ["kms:Decrypt"]]
    assert decrypt == [
        {"sid": "DecryptSecrets", "effect": "Allow", "actions": ["kms:Decrypt"], "resources": [KEY_DB],
         "condition": [{"test": "StringEquals", "variable": "kms:ViaService",
                        "values": ["secretsmanager.%s.amazonaws.com" % REGION]}]},
        {"sid": "DecryptSecrets1", "effect": "Allow", "actions": ["kms:Decrypt"], "resources": [KEY_SSM],
         "condition": [{"test": "StringEquals", "variable": "kms:ViaService",
                        "values": ["ssm.%s.amazonaws.com" % REGION]}]},
    ]  # fmt: skip


def test_no_kms_grant_without_customer_managed_keys() -> None:
    from modules.task import FargateTask

    props = _task_props(container=ContainerOptions(secrets={"DATABASE_PASSWORD": SM_ARN}))
    stack = synth_construct(lambda s: FargateTask(s, props=props))
    statements = _execution_statements(stack)
    assert [s["sid"] for s in statements] == ["EcrAuth", "EcrPull", "WriteLogs", "ReadSecrets"]
    assert all("condition" not in s for s in statements)
    (egress_rule,) = resources(stack, "aws_vpc_security_group_egress_rule").values()  # HTTPS only, as before
    assert (egress_rule["from_port"], egress_rule["cidr_ipv4"]) == (443, "0.0.0.0/0")


def test_task_props_refuse_open_egress_in_production_without_a_reason() -> None:
    from modules.egress import EgressRule

    rule = EgressRule(name="smtp", description="Mail relay", from_port=587, cidr="0.0.0.0/0")
    with pytest.raises(ValueError, match=r"TaskProps\.egress_rules\[smtp\]: tcp 587 to 0\.0\.0\.0/0 is open to the whole"
                                         r" internet in a production environment; allowed: .* or allow_open_reason"):  # fmt: skip
        _task_props(egress_rules=(rule,), open_egress_needs_reason=True)
    assert _task_props(egress_rules=(rule,)).egress_rules == (rule,)  # accepted outside production


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "Database"}, r"EgressRule\.name='Database'; allowed: 1-32 lowercase"),
        ({"protocol": "icmp"}, r"EgressRule\(db\)\.protocol='icmp'; allowed: tcp, udp"),
        ({"to_port": 5000}, r"EgressRule\(db\): from_port=5432 > to_port=5000"),
        ({"cidr": "10.0.0.0/8"}, r"EgressRule\(db\): destination cidr='10\.0\.0\.0/8', security_group_id="),
        ({"description": "db & cache"}, r"EgressRule\(db\): description='db & cache' contains '&'"),
        ({"allow_open_reason": "why"}, r"EgressRule\(db\)\.allow_open_reason='why' on a rule that is not open"),
    ],
)
def test_egress_rule_props_validation(kwargs: dict[str, Any], message: str) -> None:
    from modules.egress import EgressRule

    base: dict[str, Any] = dict(name="db", description="PostgreSQL", from_port=5432, security_group_id=SG)
    with pytest.raises(ValueError, match=message):
        EgressRule(**{**base, **kwargs})


def test_task_props_refuse_repeated_names_and_rules() -> None:
    from modules.egress import EgressRule

    one = EgressRule(name="db", description="PostgreSQL", from_port=5432, security_group_id=SG)
    with pytest.raises(ValueError, match=r"TaskProps\.egress_rules repeat the name 'db'"):
        _task_props(egress_rules=(one, one))
    other = EgressRule(name="db2", description="PostgreSQL again", from_port=5432, security_group_id=SG)
    with pytest.raises(ValueError, match=r"TaskProps\.egress_rules: db2 is the same rule as db"):
        _task_props(egress_rules=(one, other))


def test_task_props_check_the_secret_keys() -> None:
    container = ContainerOptions(
        secrets={"DB": SM_ARN}, secret_kms_key_arns={"DB": KEY_DB.replace(REGION, "eu-west-1")}
    )
    with pytest.raises(ValueError, match=r"TaskProps\.container\.secret_kms_key_arns\.DB=.* is a key in eu-west-1, but"
                                         r" secrets\.DB is in ap-southeast-1"):  # fmt: skip
        _task_props(container=container)


def _network(**overrides: Any) -> dict[str, Any]:
    from modules.network import Network, NetworkProps

    props = NetworkProps(name="app-test", region=REGION, vpc_cidr="10.0.0.0/16", nat_mode="none",
                         public_subnet_cidrs=("10.0.0.0/20", "10.0.16.0/20"),
                         private_subnet_cidrs=("10.0.128.0/20", "10.0.144.0/20"), **overrides)  # fmt: skip
    return synth_construct(lambda stack: Network(stack, "Network", props=props))


def test_secret_endpoints_beside_the_image_endpoints() -> None:
    stack = _network(vpc_endpoints=True, secret_endpoints=("secretsmanager", "ssm"))
    endpoints = {e["service_name"]: e for e in resources(stack, "aws_vpc_endpoint").values()}
    interface = {n for n, e in endpoints.items() if e["vpc_endpoint_type"] == "Interface"}
    assert interface == {
        "com.amazonaws.%s.%s" % (REGION, s) for s in ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm")
    }
    sm = endpoints["com.amazonaws.%s.secretsmanager" % REGION]
    assert sm["private_dns_enabled"] is True and len(sm["subnet_ids"]) == 2
    assert all("PrivateSubnet" in s for s in sm["subnet_ids"])
    (group,) = resources(stack, "aws_security_group")
    assert sm["security_group_ids"] == ["${aws_security_group.%s.id}" % group]
    (ingress,) = resources(stack, "aws_vpc_security_group_ingress_rule").values()
    assert (ingress["from_port"], ingress["to_port"], ingress["security_group_id"]) == (
        443,
        443,
        "${aws_security_group.%s.id}" % group,
    )


def test_secret_endpoints_alone_and_none() -> None:
    alone = _network(secret_endpoints=("ssm",))
    services = sorted(e["service_name"] for e in resources(alone, "aws_vpc_endpoint").values())
    assert services == ["com.amazonaws.%s.ssm" % REGION]  # no image endpoints, no S3 gateway
    assert "aws_vpc_endpoint" not in _network().get("resource", {})
    from modules.network import NetworkProps

    with pytest.raises(ValueError, match=r"NetworkProps\.secret_endpoints=\('kms',\); allowed: each of 'secretsmanager',"
                                         r" 'ssm' at most once"):  # fmt: skip
        NetworkProps(name="x", region=REGION, vpc_cidr="10.0.0.0/16", public_subnet_cidrs=("10.0.0.0/20", "10.0.16.0/20"),
                     private_subnet_cidrs=("10.0.128.0/20", "10.0.144.0/20"), secret_endpoints=("kms",))  # fmt: skip


# ---- a production-shaped environment, through main.build and terraform validate -----------------

HARDENED = """
[defaults]
app_name = "flask-app"
region = "ap-southeast-1"
[defaults.load_balancer]
hosted_zone_name = "flask-app.example.com"
[environments.prod]
account_id = "123456789012"
production = true
deletion_protection = true
[environments.prod.network]
vpc_cidr = "10.50.0.0/16"
nat_mode = "none"
vpc_endpoints = true
[environments.prod.load_balancer]
domain_name = "hardened.flask-app.example.com"
[environments.prod.container]
environment = { DATABASE_HOST = "orders.cluster-abc.ap-southeast-1.rds.amazonaws.com", DATABASE_PORT = "5432" }
secrets = { DATABASE_PASSWORD = "%(sm)s" }
secret_kms_key_arns = { DATABASE_PASSWORD = "%(key)s" }
[environments.prod.service.egress.database]
port = 5432
security_group_id = "%(sg)s"
description = "PostgreSQL (orders database)"
[environments.prod.service.egress.partner]
from_port = 8000
to_port = 8100
cidr = "0.0.0.0/0"
description = "Partner API on rotating public addresses"
allow_open_reason = "the partner publishes no address ranges"
[environments.prod.workloads.report]
kind = "job"
schedule = "rate(1 day)"
container = { command = ["python", "-m", "app.job"], secrets = { API_TOKEN = "%(ssm)s" } }
egress = { cache = { port = 6379, prefix_list_id = "%(pl)s", description = "Redis" } }
""" % {"sm": SM_ARN, "key": KEY_DB, "sg": SG, "ssm": SSM_ARN, "pl": PL}


@pytest.fixture(scope="module")
def hardened(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import main

    work = tmp_path_factory.mktemp("hardened")
    config = work / "environments.toml"
    config.write_text(HARDENED)
    main.build(str(work / "cdktf.out"), config=config, only=["prod"])
    return work / "cdktf.out"


def _stack(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "stacks" / "prod" / "cdk.tf.json").read_text()))


def test_the_stack_wires_egress_keys_and_endpoints(hardened: Path) -> None:
    stack = _stack(hardened)
    rules = resources(stack, "aws_vpc_security_group_egress_rule")
    web = {n.split("_")[1]: r for n, r in rules.items() if n.startswith("Service_Egress-")}
    assert set(web) == {"Egress-database", "Egress-partner"}
    assert web["Egress-database"]["referenced_security_group_id"] == SG
    (job_rule,) = [r for n, r in rules.items() if n.startswith("Workload-report_Egress-cache_")]
    assert job_rule["prefix_list_id"] == PL
    assert job_rule["security_group_id"].startswith("${aws_security_group.Workload-report_TaskSecurityGroup_")
    (service,) = resources(stack, "aws_ecs_service").values()
    assert any(
        d.startswith("aws_vpc_security_group_egress_rule.Service_Egress-database_") for d in service["depends_on"]
    )
    documents = stack["data"]["aws_iam_policy_document"]
    (web_doc,) = [d for n, d in documents.items() if n.startswith("Service_ExecutionPolicyDocument")]
    (decrypt,) = [s for s in web_doc["statement"] if s["actions"] == ["kms:Decrypt"]]
    assert decrypt["resources"] == [KEY_DB]
    (job_doc,) = [d for n, d in documents.items() if n.startswith("Workload-report_ExecutionPolicyDocument")]
    assert not [s for s in job_doc["statement"] if s["actions"] == ["kms:Decrypt"]]  # its parameter: AWS-managed key
    services = {e["service_name"].rsplit(".", 1)[1] for e in resources(stack, "aws_vpc_endpoint").values()}
    assert {"secretsmanager", "ssm"} <= services


def test_the_stack_passes_terraform_validate(terraform: str, hardened: Path, tmp_path: Path) -> None:
    from tests.construct_validate import assert_valid

    assert_valid(terraform, tmp_path, _stack(hardened))  # init -backend=false: no state needed


def test_the_cost_estimate_counts_the_secret_endpoints_from_config_and_stack(hardened: Path) -> None:
    from ops.cost import footprint as fp

    config = load_environments(hardened.parent / "environments.toml")["prod"]
    from_config = fp.footprint_from_config(config)
    assert from_config.interface_endpoint_enis == 2 * 5  # ecr.api, ecr.dkr, logs, secretsmanager, ssm in 2 AZs
    from_stack = fp.footprint_from_stack(_stack(hardened), env="prod", region=REGION, emulator=False, path="x")
    assert from_stack.interface_endpoint_enis == from_config.interface_endpoint_enis
    assert not [w for w in fp.cross_check(from_stack, from_config) if "endpoint" in w]


def test_the_commented_postgresql_example_in_environments_toml_is_valid(tmp_path: Path) -> None:
    """Uncommenting the two parts of prod's example gives a valid config with the rule, secret and key."""
    from envconfig import DEFAULT_FILE

    lines, inside, parts = [], False, 0
    for line in DEFAULT_FILE.read_text().splitlines():
        if line.startswith("# PostgreSQL example, part"):
            inside, parts = True, parts + 1
        elif line.startswith("# End of part"):
            inside = False
        elif inside:
            assert line.startswith("# "), line
            line = line[2:]
        lines.append(line)
    assert parts == 2
    path = tmp_path / "environments.toml"
    path.write_text("\n".join(lines) + "\n")
    prod = load_environments(path, only=["prod"])["prod"]
    rule = prod.service.egress["database"]
    assert (rule.ports, rule.security_group_id, rule.protocol) == ((5432, 5432), SG, "tcp")
    assert set(prod.container.secret_kms_key_arns) == set(prod.container.secrets) == {"DATABASE_PASSWORD"}
    assert prod.container.environment["DATABASE_PORT"] == "5432"
