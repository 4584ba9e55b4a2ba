"""The environment config model: defaults, the shipped environments, and every validation rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from envconfig import ConfigError, environment_names, load_environment, load_environments
from envconfig.model import (
    AssumeRoleConfig,
    BackendConfig,
    ContainerConfig,
    EnvironmentConfig,
    IamStatement,
    LoadBalancerConfig,
    LoggingConfig,
    NetworkConfig,
    ScalingConfig,
    ScheduledAction,
    ServiceConfig,
)
from rules.fargate import FARGATE_MEMORY_BY_CPU, check_task_size


def write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "environments.toml"
    path.write_text('[defaults]\napp_name = "flask-app"\nregion = "us-east-1"\naccount_id = "123456789012"\n' + body)
    return path


def test_shipped_environments_load() -> None:
    envs = load_environments()
    assert list(envs) == ["local", "dev", "staging", "prod"]
    assert environment_names() == ["local", "dev", "staging", "prod"]
    assert envs["prod"].production and envs["prod"].deletion_protection
    assert envs["prod"].network.nat_mode == "per_az" and envs["prod"].network.az_count == 3
    assert envs["dev"].network.tasks_in_public_subnets and envs["dev"].network.nat_mode == "none"
    assert envs["local"].emulator and not envs["prod"].emulator


def test_defaults_only_environment() -> None:
    env = EnvironmentConfig(name="dev", app_name="flask-app", region="us-east-1", account_id="123456789012")
    assert env.container.port == 3000 and env.container.health_check_path == "/health"
    assert (env.container.cpu, env.container.memory_mib) == (256, 512)
    assert env.network.public_cidrs == ("10.0.0.0/20", "10.0.16.0/20")
    assert env.network.private_cidrs == ("10.0.128.0/20", "10.0.144.0/20")
    assert env.logging.retention_days == 30 and env.load_balancer.deregistration_delay_seconds == 30
    assert env.physical_name("alb") == "flask-app-dev-alb"


def test_models_are_frozen() -> None:
    env = EnvironmentConfig(name="dev", app_name="flask-app", region="us-east-1", account_id="123456789012")
    with pytest.raises(Exception, match="frozen"):
        env.region = "eu-west-1"  # type: ignore[misc]


def test_computed_subnets_do_not_overlap() -> None:
    net = NetworkConfig(vpc_cidr="10.1.0.0/16", az_count=6)
    blocks = [*net.public_cidrs, *net.private_cidrs]
    import ipaddress

    nets = [ipaddress.IPv4Network(b) for b in blocks]
    assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
    assert all(n.subnet_of(ipaddress.IPv4Network("10.1.0.0/16")) for n in nets)


# --- one test per validation rule -------------------------------------------------------

def test_fargate_matrix_rejects_unknown_pair() -> None:
    with pytest.raises(ValueError, match=r"memory_mib=512 is not valid with cpu=1024; allowed: 2048\.\.8192 in steps of 1024"):
        ContainerConfig(cpu=1024, memory_mib=512)


def test_fargate_matrix_rejects_unknown_cpu() -> None:
    with pytest.raises(ValueError, match=r"cpu=300 is not a Fargate cpu size; allowed: 256, 512"):
        ContainerConfig(cpu=300, memory_mib=512)


@pytest.mark.parametrize("cpu", sorted(FARGATE_MEMORY_BY_CPU))
def test_fargate_matrix_accepts_every_listed_size(cpu: int) -> None:
    for memory in FARGATE_MEMORY_BY_CPU[cpu]:
        assert check_task_size(cpu, memory) is None


def test_vpc_cidr_prefix_range() -> None:
    with pytest.raises(ValueError, match=r"vpc_cidr='10.0.0.0/8' has prefix /8; allowed: /16 to /24"):
        NetworkConfig(vpc_cidr="10.0.0.0/8")


def test_vpc_cidr_host_bits() -> None:
    with pytest.raises(ValueError, match=r"vpc_cidr='10.0.0.1/16' is not an IPv4 CIDR block"):
        NetworkConfig(vpc_cidr="10.0.0.1/16")


def test_subnet_outside_vpc() -> None:
    with pytest.raises(ValueError, match=r"public_subnet_cidrs\[0\]='10.9.0.0/24' is outside vpc_cidr=10.0.0.0/16"):
        NetworkConfig(public_subnet_cidrs=("10.9.0.0/24", "10.0.2.0/24"), private_subnet_cidrs=("10.0.1.0/24", "10.0.3.0/24"))


def test_subnets_overlap() -> None:
    with pytest.raises(ValueError, match=r"private_subnet_cidrs\[0\]='10.0.0.0/25' overlaps public_subnet_cidrs\[0\]"):
        NetworkConfig(public_subnet_cidrs=("10.0.0.0/24", "10.0.2.0/24"), private_subnet_cidrs=("10.0.0.0/25", "10.0.3.0/24"))


def test_subnet_count_must_match_az_count() -> None:
    with pytest.raises(ValueError, match=r"public_subnet_cidrs has 1 entries; allowed: exactly az_count=2"):
        NetworkConfig(az_count=2, public_subnet_cidrs=("10.0.0.0/24",), private_subnet_cidrs=("10.0.1.0/24", "10.0.2.0/24"))


def test_more_azs_than_the_cidr_plan_allows() -> None:
    with pytest.raises(ValueError, match=r"az_count=3 needs 3 subnets per tier .* has room for 2"):
        NetworkConfig(vpc_cidr="10.0.0.0/24", subnet_prefix_length=26, az_count=3)


def test_subnet_prefix_longer_than_vpc() -> None:
    with pytest.raises(ValueError, match=r"subnet_prefix_length=20 must be longer than the vpc_cidr prefix /20"):
        NetworkConfig(vpc_cidr="10.0.0.0/20", subnet_prefix_length=20)


def test_nat_mode_literal(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[environments.dev.network]\nnat_mode = "two"\n')
    with pytest.raises(ConfigError, match=r"dev\.network\.nat_mode='two' is not an allowed value; allowed: 'none', 'single' or 'per_az'"):
        load_environments(path)


def test_min_greater_than_max() -> None:
    with pytest.raises(ValueError, match=r"min_capacity=5 > max_capacity=2; allowed: min_capacity <= max_capacity"):
        ScalingConfig(min_capacity=5, max_capacity=2, desired_count=2)


def test_desired_outside_range() -> None:
    with pytest.raises(ValueError, match=r"desired_count=9 is outside the scaling range; allowed: 1\.\.4"):
        ScalingConfig(min_capacity=1, max_capacity=4, desired_count=9)


def test_scheduled_action_expression() -> None:
    with pytest.raises(ValueError, match=r"schedule='every day' is not a schedule expression"):
        ScheduledAction(name="peak", schedule="every day", min_capacity=1, max_capacity=2)


def test_scheduled_action_min_max() -> None:
    with pytest.raises(ValueError, match=r"min_capacity=5 > max_capacity=2"):
        ScheduledAction(name="peak", schedule="rate(1 day)", min_capacity=5, max_capacity=2)


def test_scheduled_action_names_unique() -> None:
    action = ScheduledAction(name="peak", schedule="rate(1 day)", min_capacity=1, max_capacity=2)
    with pytest.raises(ValueError, match=r"scheduled_actions names \['peak', 'peak'\] repeat"):
        ScalingConfig(scheduled_actions=(action, action))


def test_log_retention_must_be_cloudwatch_value() -> None:
    with pytest.raises(ValueError, match=r"retention_days=45 is not a CloudWatch retention; allowed: 1, 3, 5"):
        LoggingConfig(retention_days=45)


def test_log_retention_negative() -> None:
    with pytest.raises(ValueError, match=r"retention_days=-1 is not a CloudWatch retention"):
        LoggingConfig(retention_days=-1)


def test_https_redirect_needs_tls() -> None:
    with pytest.raises(
        ValueError,
        match=r"redirect_http_to_https=true needs TLS; allowed: set certificate_arn, or domain_name with hosted_zone_name",
    ):
        LoadBalancerConfig(redirect_http_to_https=True)


def test_redirect_defaults_to_on_exactly_when_tls_is_configured() -> None:
    assert LoadBalancerConfig().redirect_http_to_https is False and not LoadBalancerConfig().tls
    with_arn = LoadBalancerConfig(certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/0a1b-2c3d")
    assert with_arn.redirect_http_to_https is True and with_arn.tls and not with_arn.creates_certificate
    with_domain = LoadBalancerConfig(domain_name="app.example.com", hosted_zone_name="example.com")
    assert with_domain.redirect_http_to_https is True and with_domain.creates_certificate
    opted_out = LoadBalancerConfig(domain_name="app.example.com", hosted_zone_name="example.com",
                                   redirect_http_to_https=False)  # fmt: skip
    assert opted_out.redirect_http_to_https is False and opted_out.tls


def test_certificate_arn_shape() -> None:
    with pytest.raises(ValueError, match=r"certificate_arn='nope' is not an ACM certificate ARN"):
        LoadBalancerConfig(certificate_arn="nope")


def test_domain_needs_zone() -> None:
    with pytest.raises(ValueError, match=r"domain_name='app.example.com' and hosted_zone_name=None must be set together"):
        LoadBalancerConfig(domain_name="app.example.com")


def test_zone_needs_domain() -> None:
    with pytest.raises(ValueError, match=r"domain_name=None and hosted_zone_name='example.com' must be set together"):
        LoadBalancerConfig(hosted_zone_name="example.com")


@pytest.mark.parametrize("bad", ["App.example.com", "example", "app.example.com.", "*.example.com", "-a.example.com"])
def test_domain_name_shape(bad: str) -> None:
    with pytest.raises(ValueError, match=r"domain_name=%s is not a DNS name; allowed: lowercase labels" % re.escape(repr(bad))):
        LoadBalancerConfig(domain_name=bad, hosted_zone_name="example.com")


def test_hosted_zone_name_shape() -> None:
    with pytest.raises(ValueError, match=r"hosted_zone_name='example.com.' is not a DNS name; allowed: .*no trailing dot"):
        LoadBalancerConfig(domain_name="app.example.com", hosted_zone_name="example.com.")


def test_domain_must_be_inside_the_zone() -> None:
    with pytest.raises(
        ValueError,
        match=r"domain_name='app.example.org' is not inside hosted_zone_name='example.com'; allowed: 'example.com'"
        r" or a name ending in '.example.com'",
    ):
        LoadBalancerConfig(domain_name="app.example.org", hosted_zone_name="example.com")
    with pytest.raises(ValueError, match=r"is not inside hosted_zone_name"):
        LoadBalancerConfig(domain_name="badexample.com", hosted_zone_name="example.com")  # suffix, not a subdomain


def test_requested_certificate_domain_within_the_acm_limit() -> None:
    long_name = "a" * 50 + ".flask-app.example.com"  # 72 characters
    with pytest.raises(ValueError, match=r"domain_name='a{50}\.flask-app\.example\.com' is 72 characters; ACM .* at most 64"):
        LoadBalancerConfig(domain_name=long_name, hosted_zone_name="flask-app.example.com")
    # with an existing certificate the name may be longer (ACM is not asked)
    LoadBalancerConfig(domain_name=long_name, hosted_zone_name="flask-app.example.com",
                       certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/0a1b-2c3d")  # fmt: skip


def test_health_check_timeout_below_interval() -> None:
    with pytest.raises(ValueError, match=r"health_check_timeout_seconds=10 must be less than health_check_interval_seconds=10"):
        LoadBalancerConfig(health_check_interval_seconds=10, health_check_timeout_seconds=10)


def test_ingress_cidr_shape() -> None:
    with pytest.raises(ValueError, match=r"ingress_cidrs\[0\]='everyone' is not an IPv4 CIDR block"):
        LoadBalancerConfig(ingress_cidrs=("everyone",))


def test_health_check_path_absolute() -> None:
    with pytest.raises(ValueError, match=r"health_check_path='health' must be an absolute URL path"):
        ContainerConfig(health_check_path="health")


def test_container_user_non_root() -> None:
    with pytest.raises(ValueError, match=r"user='0:0' must be a numeric non-root uid"):
        ContainerConfig(user="0:0")


def test_image_tag_not_latest() -> None:
    with pytest.raises(ValueError, match=r"image_tag='latest' is not allowed"):
        ContainerConfig(image_tag="latest")


def test_secret_looking_environment_variable() -> None:
    with pytest.raises(ValueError, match=r"environment\.DB_PASSWORD looks like a secret; allowed: pass it through container\.secrets"):
        ContainerConfig(environment={"DB_PASSWORD": "hunter2"})


def test_secret_arn_shape() -> None:
    with pytest.raises(ValueError, match=r"secrets\.DB_PASSWORD='plaintext' is not an SSM parameter or Secrets Manager ARN"):
        ContainerConfig(secrets={"DB_PASSWORD": "plaintext"})


def test_env_var_name_shape() -> None:
    with pytest.raises(ValueError, match=r"environment variable name '1BAD' is not valid"):
        ContainerConfig(environment={"1BAD": "x"})


def test_env_and_secret_same_name() -> None:
    arn = "arn:aws:ssm:us-east-1:123456789012:parameter/app/db"
    with pytest.raises(ValueError, match=r"DB is set in both environment and secrets"):
        ContainerConfig(environment={"DB": "x"}, secrets={"DB": arn})


def test_iam_statement_rejects_star_action() -> None:
    with pytest.raises(ValueError, match=r"action '\*' is not allowed; allowed: service:Action"):
        IamStatement(sid="All", actions=("*",), resources=("*",))


def test_deployment_alarms_need_alarms() -> None:
    with pytest.raises(ValueError, match=r"deployment_alarms=true needs alarms=true"):
        ServiceConfig(alarms=False, deployment_alarms=True)


def test_production_requires_deletion_protection() -> None:
    with pytest.raises(ValueError, match=r"deletion_protection=false in a production environment; allowed: true"):
        EnvironmentConfig(name="prod", app_name="flask-app", region="us-east-1", account_id="123456789012", production=True,
                          deletion_protection=False)  # fmt: skip


def test_deletion_protection_is_on_unless_set() -> None:
    sandbox = EnvironmentConfig(name="dev", app_name="flask-app", region="us-east-1", account_id="123456789012")
    assert sandbox.deletion_protection is True
    assert EnvironmentConfig(name="dev", app_name="flask-app", region="us-east-1", account_id="123456789012",
                             deletion_protection=False).deletion_protection is False  # fmt: skip


def test_production_forbids_force_delete() -> None:
    with pytest.raises(ValueError, match=r"registry.force_delete=true in a production environment; allowed: false"):
        EnvironmentConfig(name="prod", app_name="flask-app", region="us-east-1", account_id="123456789012", production=True,
                          deletion_protection=True, registry={"force_delete": True})  # fmt: skip


def test_production_requires_tls() -> None:
    with pytest.raises(
        ValueError,
        match=r"load_balancer.certificate_arn=None and load_balancer.domain_name=None in a production environment:"
        r" it would serve plain HTTP; allowed: set load_balancer.certificate_arn, or load_balancer.domain_name with"
        r" load_balancer.hosted_zone_name",
    ):
        EnvironmentConfig(name="prod", app_name="flask-app", region="us-east-1", account_id="123456789012", production=True,
                          deletion_protection=True)  # fmt: skip
    for tls in ({"certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b-2c3d"},
                {"domain_name": "app.example.com", "hosted_zone_name": "example.com"}):  # fmt: skip
        env = EnvironmentConfig(name="prod", app_name="flask-app", region="us-east-1", account_id="123456789012", production=True,
                                deletion_protection=True, load_balancer=tls)  # fmt: skip
        assert env.load_balancer.tls and env.load_balancer.redirect_http_to_https


def test_shipped_environments_all_have_tls_and_kms() -> None:
    envs = load_environments()
    names = {name: env.load_balancer.domain_name for name, env in envs.items()}
    assert names == {"local": "flask-app.local.test", "dev": "dev.flask-app.example.com",
                     "staging": "staging.flask-app.example.com", "prod": "flask-app.example.com"}  # fmt: skip
    for env in envs.values():
        assert env.load_balancer.creates_certificate and env.load_balancer.redirect_http_to_https
        assert env.registry.encryption == "KMS"
    assert envs["local"].load_balancer.hosted_zone_name == "local.test"
    assert {envs[n].load_balancer.hosted_zone_name for n in ("dev", "staging", "prod")} == {"flask-app.example.com"}


def test_discovery_client_group_shape() -> None:
    with pytest.raises(
        ValueError, match=r"discovery_client_security_group_ids\[1\]='sg-XYZ' is not a security group id; allowed: sg-"
    ):
        ServiceConfig(service_discovery_namespace="internal", discovery_client_security_group_ids=("sg-12345678", "sg-XYZ"))


def test_discovery_client_groups_unique() -> None:
    with pytest.raises(ValueError, match=r"repeats a group; allowed: each group once"):
        ServiceConfig(service_discovery_namespace="internal",
                      discovery_client_security_group_ids=("sg-12345678", "sg-12345678"))  # fmt: skip


def test_discovery_client_groups_need_a_namespace() -> None:
    with pytest.raises(
        ValueError, match=r"discovery_client_security_group_ids=\['sg-12345678'\] without service_discovery_namespace"
    ):
        ServiceConfig(discovery_client_security_group_ids=("sg-12345678",))


def test_defaults_admit_no_discovery_clients_and_encrypt_images_with_kms() -> None:
    env = EnvironmentConfig(name="dev", app_name="flask-app", region="us-east-1", account_id="123456789012")
    assert env.service.discovery_client_security_group_ids == ()
    assert env.registry.encryption == "KMS"


def test_production_forbids_public_tasks() -> None:
    with pytest.raises(ValueError, match=r"network.tasks_in_public_subnets=true in a production environment"):
        EnvironmentConfig(name="prod", app_name="flask-app", region="us-east-1", account_id="123456789012", production=True,
                          deletion_protection=True, network={"tasks_in_public_subnets": True})  # fmt: skip


def test_spot_not_on_arm64() -> None:
    with pytest.raises(ValueError, match=r"fargate_spot_percent=50 with container.cpu_architecture='ARM64'"):
        EnvironmentConfig(name="dev", app_name="flask-app", region="us-east-1", account_id="123456789012",
                          container={"cpu_architecture": "ARM64"}, scaling={"fargate_spot_percent": 50})  # fmt: skip


def test_nat_none_needs_another_way_out() -> None:
    with pytest.raises(ValueError, match=r"nat_mode='none' leaves private tasks unable to pull images"):
        EnvironmentConfig(name="dev", app_name="flask-app", region="us-east-1", account_id="123456789012", network={"nat_mode": "none"})


def test_alb_name_length_limit() -> None:
    with pytest.raises(ValueError, match=r"the alb name 'a-very-long-application-name-staging-alb' is 40 characters; allowed: at most 32"):
        EnvironmentConfig(name="staging", app_name="a-very-long-application-name", region="us-east-1", account_id="123456789012")


def test_app_name_shape() -> None:
    with pytest.raises(ValueError, match=r"app_name='Flask_App'; allowed: lowercase letters"):
        EnvironmentConfig(name="dev", app_name="Flask_App", region="us-east-1", account_id="123456789012")


def test_region_shape() -> None:
    with pytest.raises(ValueError, match=r"region='mars-1' is not an AWS region name"):
        EnvironmentConfig(name="dev", app_name="flask-app", region="mars-1", account_id="123456789012")


def test_environment_name_shape() -> None:
    with pytest.raises(ValueError, match=r"name='Prod!'"):
        EnvironmentConfig(name="Prod!", app_name="flask-app", region="us-east-1", account_id="123456789012")


# --- loader: messages name environment, field, value and allowed values ------------------

def test_unknown_environment_name() -> None:
    with pytest.raises(ConfigError, match=r"environment 'qa' is not defined; allowed: local, dev, staging, prod"):
        load_environment("qa")


def test_missing_required_field(tmp_path: Path) -> None:
    path = tmp_path / "environments.toml"
    path.write_text('[environments.dev]\napp_name = "flask-app"\n')
    with pytest.raises(ConfigError, match=r"dev: region is missing: a required field"):
        load_environments(path)


def test_unknown_field(tmp_path: Path) -> None:
    path = write_config(tmp_path, "[environments.dev.container]\nmemory = 512\n")
    with pytest.raises(ConfigError, match=r"dev: container.memory=512 is not a known field"):
        load_environments(path)


def test_wrong_type(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[environments.dev.scaling]\nmax_capacity = "lots"\n')
    with pytest.raises(ConfigError, match=r"dev\.scaling\.max_capacity='lots': Input should be a valid integer"):
        load_environments(path)


def test_range_bound_names_allowed_value(tmp_path: Path) -> None:
    path = write_config(tmp_path, "[environments.dev.network]\naz_count = 9\n")
    with pytest.raises(ConfigError, match=r"dev\.network\.az_count=9: .*; allowed: <= 6"):
        load_environments(path)


def test_prod_example_from_the_issue(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, "[environments.prod]\nproduction = true\ndeletion_protection = true\n"
        "[environments.prod.container]\ncpu = 1024\nmemory_mib = 512\n"
    )  # fmt: skip
    with pytest.raises(ConfigError, match=r"prod\.container: memory_mib=512 is not valid with cpu=1024; allowed: 2048\.\.8192 in steps of 1024"):
        load_environments(path)


def test_all_problems_reported_together(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, "[environments.dev.logging]\nretention_days = 45\n[environments.prod.scaling]\nmin_capacity = 9\n"
    )
    with pytest.raises(ConfigError) as info:
        load_environments(path)
    assert len(info.value.problems) == 2
    assert info.value.problems[0].startswith("dev.logging") and info.value.problems[1].startswith("prod.scaling")


def test_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "environments.toml"
    path.write_text("[defaults\n")
    with pytest.raises(ConfigError, match=r"not valid TOML"):
        load_environments(path)


def test_a_file_without_environments_is_an_error(tmp_path: Path) -> None:
    path = write_config(tmp_path, "")
    with pytest.raises(ConfigError, match=r"defines no environment; allowed: at least one \[environments.<name>\] table"):
        load_environments(path)


def test_load_balancer_needs_two_azs() -> None:
    with pytest.raises(ValueError, match=r"az_count=1: the load balancer needs subnets in at least two .*allowed: 2..6"):
        NetworkConfig(az_count=1)


def test_service_alarm_email_moved_to_the_alarms_table() -> None:
    with pytest.raises(ValueError, match=r"alarm_email='oncall@corp\.test' moved to the environment's alarms table;"
                       r" allowed: \[environments\.<env>\.alarms\] emails = \['oncall@corp\.test'\]"):  # fmt: skip
        ServiceConfig(alarm_email="oncall@corp.test")


def test_discovery_namespace_must_be_a_dns_name() -> None:
    with pytest.raises(ValueError, match=r"service_discovery_namespace='in ternal' is not a DNS name; allowed: lowercase"):
        ServiceConfig(service_discovery_namespace="in ternal")


@pytest.mark.parametrize("table", ["environment", "secrets"])
def test_reserved_container_variables(table: str) -> None:
    value = "arn:aws:ssm:us-east-1:123456789012:parameter/p" if table == "secrets" else "8080"
    with pytest.raises(ValueError, match=r"%s.PORT='%s': the service sets this variable itself; allowed: any name except"
                       % (table, re.escape(value))):  # fmt: skip
        ContainerConfig(**{table: {"PORT": value}})  # type: ignore[arg-type]


def test_execute_command_needs_a_writable_root() -> None:
    with pytest.raises(ValueError, match=r"enable_execute_command=true with container.readonly_root_filesystem=true"):
        EnvironmentConfig(name="dev", app_name="flask-app", region="us-east-1", account_id="123456789012", service={"enable_execute_command": True})
    ok = EnvironmentConfig(name="dev", app_name="flask-app", region="us-east-1", account_id="123456789012",
                           service={"enable_execute_command": True}, container={"readonly_root_filesystem": False})  # fmt: skip
    assert ok.service.enable_execute_command


def test_tags_follow_the_aws_tag_rules() -> None:
    with pytest.raises(ValueError, match=r"tags key 'aws:owner' starts with 'aws:'; allowed: any other prefix"):
        EnvironmentConfig(name="dev", app_name="flask-app", region="us-east-1", account_id="123456789012", tags={"aws:owner": "me"})
    with pytest.raises(ValueError, match=r"tags.environment is set by the stacks on every resource"):
        EnvironmentConfig(name="dev", app_name="flask-app", region="us-east-1", account_id="123456789012", tags={"environment": "x"})


def test_account_id_is_twelve_digits() -> None:
    with pytest.raises(ValueError, match=r"account_id='12345' is not an AWS account id; allowed: 12 digits"):
        EnvironmentConfig(name="dev", app_name="flask-app", region="us-east-1", account_id="12345")


def test_the_role_lives_in_the_environments_account() -> None:
    with pytest.raises(ValueError, match=r"is a role in account 111122223333, not in account_id=444455556666"):
        EnvironmentConfig(name="dev", app_name="flask-app", region="us-east-1", account_id="444455556666",
                          assume_role={"role_arn": "arn:aws:iam::111122223333:role/x"})  # fmt: skip
    with pytest.raises(ValueError, match=r"assume_role.role_arn='arn:aws:iam::444455556666:user/x' is not an IAM role"):
        EnvironmentConfig(name="dev", app_name="flask-app", region="us-east-1", account_id="444455556666",
                          assume_role={"role_arn": "arn:aws:iam::444455556666:user/x"})  # fmt: skip


def test_role_session_name_and_external_id_follow_sts() -> None:
    with pytest.raises(ValueError, match=r"session_name='a b'; allowed: 2..64 characters"):
        AssumeRoleConfig(role_arn="arn:aws:iam::444455556666:role/x", session_name="a b")
    with pytest.raises(ValueError, match=r"external_id='x'; allowed: 2..1224 characters"):
        AssumeRoleConfig(role_arn="arn:aws:iam::444455556666:role/x", external_id="x")


def test_state_bucket_name_rules() -> None:
    with pytest.raises(ValueError, match=r"bucket name '192.168.1.1' is not valid; allowed: 3..63 lowercase"):
        BackendConfig(bucket="192.168.1.1")
    env = EnvironmentConfig(name="dev", app_name="flask-app", region="eu-west-1", account_id="444455556666")
    assert (env.backend.type, env.state_bucket, env.state_key("dev")) == (
        "s3", "tfstate-444455556666-eu-west-1", "ecs-fargate/flask-app/dev.tfstate")
