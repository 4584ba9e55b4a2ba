"""Registry: the ECR repository the service's image is pushed to.

Smallest example::

    from modules.registry import Registry, RegistryProps

    repo = Registry(stack, "Registry", props=RegistryProps(name="flask-app-dev"))
    repo.repository_url  # -> "<account>.dkr.ecr.<region>.amazonaws.com/flask-app-dev" (token)

What it builds: an ECR repository with scan on push, IMMUTABLE tags, encryption at rest
(``KMS`` with the AWS-managed ``aws/ecr`` key unless ``encryption = "AES256"``; no key to
manage and no KMS charge for it), ``force_delete`` only when set (never in
production: the config model rejects it), and a lifecycle policy that expires untagged images
after ``untagged_expiry_days`` and keeps only the newest ``keep_last_images``.

ECR cannot change a repository's encryption in place: switching ``encryption`` replaces the
repository (and needs it empty, or ``force_delete``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class RegistryProps:
    """Inputs of :class:`Registry`."""

    name: str
    """Repository name, ``{app}-{env}``."""
    untagged_expiry_days: int = 7
    """Untagged images expire this many days after their push; 7 unless set."""
    keep_last_images: int = 30
    """Only the newest this many images are kept; 30 unless set."""
    force_delete: bool = False
    """Let destroy delete a repository that still has images; off unless set (destroy then fails on a
    non-empty repository)."""
    encryption: Literal["AES256", "KMS"] = "KMS"
    """Encryption at rest: KMS with the AWS-managed ``aws/ecr`` key unless set to ``AES256``."""

    def __post_init__(self) -> None:
        for field, value in (("untagged_expiry_days", self.untagged_expiry_days),
                             ("keep_last_images", self.keep_last_images)):  # fmt: skip
            if value < 1:
                raise ValueError("RegistryProps.%s=%r; allowed: at least 1" % (field, value))


def lifecycle_policy(config: RegistryProps) -> str:
    """The ECR lifecycle policy document (JSON): expire untagged first, then cap the image count."""
    rules = [
        {
            "rulePriority": 1,
            "description": "Expire untagged images after %d days" % config.untagged_expiry_days,
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": config.untagged_expiry_days,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": "Keep the newest %d images" % config.keep_last_images,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": config.keep_last_images},
            "action": {"type": "expire"},
        },
    ]
    return json.dumps({"rules": rules}, sort_keys=True)


class Registry(Construct):
    """ECR repository with scanning, immutable tags, encryption and a lifecycle policy."""

    repository_url: str
    repository_arn: str
    repository_name: str

    def __init__(self, scope: Construct, id_: str, *, props: RegistryProps) -> None:
        super().__init__(scope, id_)
        repo = EcrRepository(
            self,
            "Repository",
            name=props.name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
            encryption_configuration=[EcrRepositoryEncryptionConfiguration(encryption_type=props.encryption)],
            force_delete=props.force_delete,
            tags={"Name": props.name},
        )
        self.repository_name = repo.name
        EcrLifecyclePolicy(
            self, "LifecyclePolicy", repository=self.repository_name, policy=lifecycle_policy(props)
        )
        self.repository_url = repo.repository_url
        self.repository_arn = repo.arn
