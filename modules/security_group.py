"""A security group that can be replaced without cutting traffic.

Example::

    from modules.security_group import replaceable_security_group

    group = replaceable_security_group(
        scope, "TaskSecurityGroup", name="flask-app-dev-tasks", vpc_id="vpc-0abc",
        description="ECS tasks: the app port from the load balancer only",
    )
    group.id

As terraform-aws-ecs does it (``modules/service/main.tf``): ``name_prefix`` instead of a fixed name,
so a replacement can be created while the old group still exists (``create_before_destroy``); the
new group gets ``<name>-<suffix>`` and the ``Name`` tag keeps ``<name>``. Pass a description that
never changes: a change of description replaces the group. Rules are separate resources
(``aws_vpc_security_group_{ingress,egress}_rule``) so each can change on its own.
"""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from constructs import Construct


def replaceable_security_group(scope: Construct, id_: str, *, name: str, description: str, vpc_id: str) -> SecurityGroup:
    """``aws_security_group`` with ``name_prefix="<name>-"``, create-before-destroy and a ``Name`` tag."""
    return SecurityGroup(
        scope,
        id_,
        name_prefix="%s-" % name,
        description=description,
        vpc_id=vpc_id,
        tags={"Name": name},
        lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
    )
