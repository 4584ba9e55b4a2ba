"""Registry and cluster constructs: defaults, properties and validation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from envconfig.model import RegistryConfig
from tests.conftest import resources, synth_construct


def registry(**config: Any) -> dict[str, Any]:
    from modules.registry import Registry, RegistryProps

    return synth_construct(lambda s: Registry(s, "Registry", props=RegistryProps(name="app-dev", **config)))


def cluster(**props: Any) -> dict[str, Any]:
    from modules.cluster import Cluster, ClusterProps

    return synth_construct(lambda s: Cluster(s, "Cluster", props=ClusterProps(name="app-dev", **props)))


def test_registry_defaults() -> None:
    out = registry()
    (repo,) = resources(out, "aws_ecr_repository").values()
    assert repo["name"] == "app-dev"
    assert repo["image_tag_mutability"] == "IMMUTABLE"
    assert repo["image_scanning_configuration"] == {"scan_on_push": True}
    # KMS with the AWS-managed aws/ecr key: no kms_key, so nothing to manage or pay for
    assert repo["encryption_configuration"] == [{"encryption_type": "KMS"}]
    assert repo["force_delete"] is False
    (policy,) = resources(out, "aws_ecr_lifecycle_policy").values()
    rules = json.loads(policy["policy"])["rules"]
    assert rules[0]["selection"] == {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7}
    assert rules[1]["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30}


def test_registry_properties() -> None:
    out = registry(force_delete=True, encryption="AES256", keep_last_images=5, untagged_expiry_days=2)
    (repo,) = resources(out, "aws_ecr_repository").values()
    assert repo["force_delete"] is True and repo["encryption_configuration"] == [{"encryption_type": "AES256"}]
    rules = json.loads(next(iter(resources(out, "aws_ecr_lifecycle_policy").values()))["policy"])["rules"]
    assert rules[0]["selection"]["countNumber"] == 2 and rules[1]["selection"]["countNumber"] == 5


def test_registry_config_validation() -> None:
    with pytest.raises(ValueError, match=r"keep_last_images"):
        RegistryConfig(keep_last_images=0)
    with pytest.raises(ValueError, match=r"encryption"):
        RegistryConfig(encryption="DES")  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["keep_last_images", "untagged_expiry_days"])
def test_registry_props_validation(field: str) -> None:
    from modules.registry import RegistryProps

    with pytest.raises(ValueError, match=r"RegistryProps\.%s=0; allowed: at least 1" % field):
        RegistryProps(name="x", **{field: 0})


def test_registry_props_defaults_are_the_config_defaults() -> None:
    from modules.registry import RegistryProps

    defaults = RegistryConfig()
    props = RegistryProps(name="x")
    assert (props.untagged_expiry_days, props.keep_last_images, props.force_delete, props.encryption) == (
        defaults.untagged_expiry_days, defaults.keep_last_images, defaults.force_delete, defaults.encryption,
    )  # fmt: skip


def test_cluster_defaults() -> None:
    out = cluster()
    (c,) = resources(out, "aws_ecs_cluster").values()
    assert c["name"] == "app-dev" and c["setting"] == [{"name": "containerInsights", "value": "enabled"}]
    (cp,) = resources(out, "aws_ecs_cluster_capacity_providers").values()
    assert cp["capacity_providers"] == ["FARGATE", "FARGATE_SPOT"]
    assert cp["default_capacity_provider_strategy"] == [{"base": 0, "capacity_provider": "FARGATE", "weight": 1}]


def test_cluster_spot_share() -> None:
    out = cluster(fargate_spot_percent=30, container_insights=False)
    (cp,) = resources(out, "aws_ecs_cluster_capacity_providers").values()
    assert cp["default_capacity_provider_strategy"] == [
        {"base": 1, "capacity_provider": "FARGATE", "weight": 70},
        {"base": 0, "capacity_provider": "FARGATE_SPOT", "weight": 30},
    ]
    (c,) = resources(out, "aws_ecs_cluster").values()
    assert c["setting"] == [{"name": "containerInsights", "value": "disabled"}]


def test_cluster_all_spot() -> None:
    from rules.capacity import StrategyItem, capacity_provider_strategy

    assert capacity_provider_strategy(100) == [StrategyItem("FARGATE_SPOT", 1, 0)]


def test_cluster_props_validate_spot_range() -> None:
    from modules.cluster import ClusterProps

    with pytest.raises(ValueError, match=r"fargate_spot_percent=101; allowed: 0\.\.100"):
        ClusterProps(name="x", fargate_spot_percent=101)


def test_naming_helper_limits() -> None:
    from rules.naming import physical_name

    assert physical_name("flask-app", "prod", "tg", limit=32) == "flask-app-prod-tg"
    with pytest.raises(ValueError, match=r"is 34 characters; allowed: at most 32"):
        physical_name("a-very-long-application", "prod", "alb-x", limit=32)
    with pytest.raises(ValueError, match=r"must be lowercase letters"):
        physical_name("Flask", "prod")
