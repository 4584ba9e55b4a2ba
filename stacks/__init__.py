"""Terraform stacks, two per environment: ``<env>-registry`` (ECR) and ``<env>`` (everything else).

Stacks own the provider, the backend and the outputs; the constructs in ``modules/`` own
resources only. The registry lives in its own stack so the image can be pushed before the
service that runs it exists (see docs/DESIGN.md).
"""

from stacks.registry import RegistryStack
from stacks.service import ServiceStack

__all__ = ["RegistryStack", "ServiceStack"]
