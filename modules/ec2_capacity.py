"""Ec2Capacity: an ECS capacity provider backed by an Auto Scaling group of ECS-optimized EC2 instances.

Smallest example::

    from modules.ec2_capacity import Ec2Capacity, Ec2CapacityProps

    capacity = Ec2Capacity(stack, "Ec2Capacity", props=Ec2CapacityProps(
        name="flask-app-dev-ec2", cluster_name="flask-app-dev", vpc_id=network.vpc_id,
        subnet_ids=tuple(network.private_subnet_ids), instance_types=("m6i.large",), max_size=4))
    capacity.capacity_provider_name     # for ClusterProps.ec2_capacity_providers and service strategies
    capacity.auto_scaling_group_name, capacity.instance_role_arn, capacity.security_group_id

What it builds:

* the AMI: the public SSM parameter of the ECS-optimized Amazon Linux 2023 AMI for ``cpu_architecture``
  (:data:`rules.ec2.AMI_PARAMETERS`), read at plan time, so new instances get the AMI AWS recommends
  today (a new AMI shows in the plan as a new launch template version; running instances keep theirs
  until they are replaced);
* the instance role ``{name}-instance``, trusted by ``ec2.amazonaws.com``, with exactly the managed policy
  ``AmazonEC2ContainerServiceforEC2Role`` (the ECS agent registers the instance, pulls nothing for tasks:
  tasks pull with their own execution role), plus ``AmazonSSMManagedInstanceCore`` only when
  ``ssm_access=True``; its instance profile ``{name}-instance``;
* the instance security group ``{name}-instances-*``: no ingress, egress HTTPS only (the ECS, ECR, SSM and
  CloudWatch endpoints). Tasks use ``awsvpc``: each has its own ENI and security group, so this group
  guards only the instance itself;
* the launch template ``{name}-*``: the AMI, the instance profile and security group, IMDSv2 required
  with a hop limit of 1 (the agent, on the host network, reaches the metadata service; containers
  behind a bridge cannot, and ``ECS_AWSVPC_BLOCK_IMDS`` keeps ``awsvpc`` tasks from it too, so tasks
  get credentials from their task role only), an encrypted gp3 root volume of ``root_volume_gib``
  (the AWS-managed EBS key unless ``ebs_kms_key_arn`` is set), detailed monitoring, instance and
  volume tags, and user data that writes to ``/etc/ecs/ecs.config``: ``ECS_CLUSTER=<cluster_name>``,
  ``ECS_ENABLE_SPOT_INSTANCE_DRAINING=true``, ``ECS_CONTAINER_STOP_TIMEOUT`` and ``ECS_AWSVPC_BLOCK_IMDS=true``;
* the Auto Scaling group ``{name}`` in ``subnet_ids`` (private subnets: the template gives no public
  IP), ``min_size``..``max_size`` instances of ``instance_types`` from a mixed instances policy
  (``on_demand_base_capacity`` On-Demand first, then ``on_demand_percentage_above_base`` percent
  On-Demand, the rest Spot by ``price-capacity-optimized``), scale-in protection (managed termination
  protection requires it; ``force_delete`` so a destroy does not wait on protected instances), the
  ``AmazonECSManaged`` tag propagated to instances, and
  ``desired_capacity`` left to ECS managed scaling (ignored in drift);
* the capacity provider ``{name}``: managed scaling (target ``target_capacity_percent`` of the
  instances' capacity in use, step sizes, warm-up), managed termination protection (an instance with
  tasks is not scaled in) and managed draining (tasks move off an instance before Auto Scaling
  terminates it).

Not built here: the cluster's association with the provider (:class:`modules.cluster.Cluster` takes
``capacity_provider_name`` in ``ec2_capacity_providers``), the tasks' EC2 compatibility
(:class:`modules.task.TaskProps` ``requires_compatibilities``) and a service's placement strategies
(:func:`rules.ec2.placement_strategies`). Without the account setting ``awsvpcTrunking`` an instance runs
only as many ``awsvpc`` tasks as it has ENIs less one (2 on a ``large``).

Destroying: scale-in protection and managed termination protection keep instances with tasks alive,
so remove or scale the services on this capacity to zero first.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Fn, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.autoscaling_group import (
    AutoscalingGroup,
    AutoscalingGroupMixedInstancesPolicy,
    AutoscalingGroupMixedInstancesPolicyInstancesDistribution,
    AutoscalingGroupMixedInstancesPolicyLaunchTemplate,
    AutoscalingGroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecification,
    AutoscalingGroupMixedInstancesPolicyLaunchTemplateOverride,
    AutoscalingGroupTag,
)
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.ecs_capacity_provider import (
    EcsCapacityProvider,
    EcsCapacityProviderAutoScalingGroupProvider,
    EcsCapacityProviderAutoScalingGroupProviderManagedScaling,
)
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateIamInstanceProfile,
    LaunchTemplateMetadataOptions,
    LaunchTemplateMonitoring,
    LaunchTemplateTagSpecifications,
)
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from modules.security_group import replaceable_security_group
from rules.ec2 import (
    CONTAINER_STOP_TIMEOUT_SECONDS,
    HEALTH_CHECK_GRACE_PERIOD_SECONDS,
    INSTANCE_WARMUP_SECONDS,
    ROOT_VOLUME_GIB,
    SPOT_ALLOCATION_STRATEGY,
    TARGET_CAPACITY_PERCENT,
    ami_parameter,
    architecture_problem,
    capacity_provider_name_problem,
    range_problem,
    scaling_step_problems,
    size_problems,
    spot_mix_problems,
)
from rules.naming import LIMITS

__all__ = ["ECS_INSTANCE_POLICY", "SSM_INSTANCE_POLICY", "Ec2Capacity", "Ec2CapacityProps", "ecs_config"]

#: AWS managed policies of the instance role (names under ``arn:<partition>:iam::aws:policy/``).
ECS_INSTANCE_POLICY = "service-role/AmazonEC2ContainerServiceforEC2Role"
SSM_INSTANCE_POLICY = "AmazonSSMManagedInstanceCore"
#: Root device of the ECS-optimized Amazon Linux 2023 AMI.
ROOT_DEVICE = "/dev/xvda"


@dataclass(frozen=True, kw_only=True)
class Ec2CapacityProps:
    """Inputs of :class:`Ec2Capacity`."""

    name: str
    """Physical name of the capacity provider and the Auto Scaling group, and prefix of the others
    (``{name}-instance`` role and profile, ``{name}-instances`` security group, ``{name}-`` launch
    template), ``{app}-{env}-{capacity}``; must not start with ``aws``, ``ecs`` or ``fargate``."""
    cluster_name: str
    """Cluster the instances join (``ECS_CLUSTER``); a literal or :attr:`modules.cluster.Cluster.cluster_name`."""
    vpc_id: str
    """VPC of the instance security group."""
    subnet_ids: tuple[str, ...]
    """Subnets the instances launch in (private subnets; one or more, across Availability Zones)."""
    instance_types: tuple[str, ...]
    """Instance types of the mixed instances policy, in On-Demand priority order; all of ``cpu_architecture``
    and listed in :data:`rules.ec2.INSTANCE_TYPES`."""
    max_size: int
    """Most instances managed scaling may run (1..100)."""
    cpu_architecture: str = "X86_64"
    """Architecture of the tasks (``X86_64`` or ``ARM64``): picks the AMI and must match every instance type;
    ``X86_64`` unless set."""
    min_size: int = 0
    """Fewest instances; 0 (no instance while no task needs one) unless set."""
    on_demand_base_capacity: int = 0
    """Instances launched On-Demand before any Spot; 0 unless set (0..max_size)."""
    on_demand_percentage_above_base: int = 100
    """Percent of the instances above the base launched On-Demand, the rest Spot; 100 (no Spot) unless set."""
    target_capacity_percent: int = 100
    """Share of the instances' capacity managed scaling keeps in use; 100 (no spare instance) unless set
    (lower keeps headroom for faster task starts)."""
    minimum_scaling_step_size: int = 1
    """Fewest instances managed scaling adds or removes at once; 1 (the ECS default) unless set."""
    maximum_scaling_step_size: int = 10000
    """Most instances managed scaling adds or removes at once; 10000 (the ECS default) unless set."""
    instance_warmup_seconds: int = 300
    """Time after launch before a new instance counts in the capacity metrics; 300 s (the ECS default) unless set."""
    health_check_grace_period_seconds: int = 300
    """Time after launch before Auto Scaling checks an instance's health; 300 s (its default) unless set."""
    container_stop_timeout_seconds: int = 30
    """``ECS_CONTAINER_STOP_TIMEOUT``: how long the agent waits after SIGTERM before it kills a container
    that sets no stop timeout of its own; 30 s (the agent's default) unless set (2..120)."""
    root_volume_gib: int = 30
    """Size of the encrypted gp3 root volume (images and container layers live there); 30 GiB (the AMI's
    snapshot, the least allowed) unless set."""
    ebs_kms_key_arn: str | None = None
    """Customer-managed KMS key of the root volume; the AWS-managed ``aws/ebs`` key when unset."""
    ssm_access: bool = False
    """Attach ``AmazonSSMManagedInstanceCore`` for Session Manager access to the instances; off unless set."""

    def __post_init__(self) -> None:
        problems: list[tuple[str, str]] = []
        problem = capacity_provider_name_problem(self.name)
        if problem:
            problems.append(("name", problem))
        role = "%s-instance" % self.name
        if not problem and len(role) > LIMITS["iam_role"]:
            problems.append(("name", "%r makes the IAM role name %r %d characters; allowed: at most %d"
                             % (self.name, role, len(role), LIMITS["iam_role"])))  # fmt: skip
        if not self.subnet_ids:
            problems.append(("subnet_ids", "(); allowed: one or more subnet ids"))
        problem = architecture_problem(self.cpu_architecture, self.instance_types)
        if problem:
            field, _, rest = problem.partition("=")
            problems.append((field, rest))
        problems += size_problems(self.min_size, self.max_size)
        if not problems:
            problems += spot_mix_problems(
                self.on_demand_base_capacity, self.on_demand_percentage_above_base, self.max_size
            )
        problems += scaling_step_problems(self.minimum_scaling_step_size, self.maximum_scaling_step_size)
        ranges = (
            ("target_capacity_percent", self.target_capacity_percent, TARGET_CAPACITY_PERCENT),
            ("instance_warmup_seconds", self.instance_warmup_seconds, INSTANCE_WARMUP_SECONDS),
            ("health_check_grace_period_seconds", self.health_check_grace_period_seconds, HEALTH_CHECK_GRACE_PERIOD_SECONDS),
            ("container_stop_timeout_seconds", self.container_stop_timeout_seconds, CONTAINER_STOP_TIMEOUT_SECONDS),
            ("root_volume_gib", self.root_volume_gib, ROOT_VOLUME_GIB),
        )  # fmt: skip
        for field, value, bounds in ranges:
            problem = range_problem(value, bounds)
            if problem:
                problems.append((field, problem))
        if problems:
            field, problem = problems[0]
            raise ValueError("Ec2CapacityProps.%s=%s" % (field, problem))


def ecs_config(*, cluster_name: str, container_stop_timeout_seconds: int) -> str:
    """Lines of ``/etc/ecs/ecs.config`` (the ECS agent's settings) for instances of this capacity."""
    return "\n".join((
        "ECS_CLUSTER=%s" % cluster_name,
        "ECS_ENABLE_SPOT_INSTANCE_DRAINING=true",
        "ECS_CONTAINER_STOP_TIMEOUT=%ds" % container_stop_timeout_seconds,
        "ECS_AWSVPC_BLOCK_IMDS=true",
    ))  # fmt: skip


class Ec2Capacity(Construct):
    """AMI, instance role and profile, security group, launch template, Auto Scaling group and capacity provider."""

    capacity_provider_name: str
    auto_scaling_group_name: str
    auto_scaling_group_arn: str
    instance_role_arn: str
    security_group_id: str
    launch_template_id: str

    def __init__(self, scope: Construct, id_: str, *, props: Ec2CapacityProps) -> None:
        super().__init__(scope, id_)
        ami = DataAwsSsmParameter(self, "Ami", name=ami_parameter(props.cpu_architecture))
        partition = DataAwsPartition(self, "Partition").partition

        # ---- IAM: the ECS agent's instance role
        trust = DataAwsIamPolicyDocument(
            self,
            "InstanceAssumeRole",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="Ec2Assume",
                    actions=["sts:AssumeRole"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=["ec2.amazonaws.com"])
                    ],
                )
            ],
        )
        role = IamRole(
            self,
            "InstanceRole",
            name="%s-instance" % props.name,
            description="ECS container instances of %s: the ECS agent registers them in the cluster" % props.name,
            assume_role_policy=trust.json,
        )
        policies = [("EcsInstancePolicy", ECS_INSTANCE_POLICY)]
        if props.ssm_access:
            policies.append(("SsmInstancePolicy", SSM_INSTANCE_POLICY))
        for construct_id, policy in policies:
            IamRolePolicyAttachment(
                self, construct_id, role=role.name, policy_arn="arn:%s:iam::aws:policy/%s" % (partition, policy)
            )
        profile = IamInstanceProfile(
            self, "InstanceProfile", name="%s-instance" % props.name, role=role.name, tags={"Name": props.name}
        )

        # ---- security group: egress only; tasks have their own (awsvpc)
        security_group_id = replaceable_security_group(
            self, "InstanceSecurityGroup", name="%s-instances" % props.name, vpc_id=props.vpc_id,
            description="ECS container instances: no ingress, HTTPS out to the AWS endpoints",
        ).id  # fmt: skip
        VpcSecurityGroupEgressRule(
            self,
            "InstanceEgressHttps",
            security_group_id=security_group_id,
            description="HTTPS out: ECS, ECR, SSM, CloudWatch (via endpoints or NAT)",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
        )

        # ---- launch template
        user_data = "#!/bin/bash\ncat <<'EOF' >> /etc/ecs/ecs.config\n%s\nEOF\n" % ecs_config(
            cluster_name=props.cluster_name, container_stop_timeout_seconds=props.container_stop_timeout_seconds
        )
        tags = {"Name": props.name}
        launch_template = LaunchTemplate(
            self,
            "LaunchTemplate",
            name_prefix="%s-" % props.name,
            description="ECS-optimized Amazon Linux 2023 instances of %s" % props.name,
            image_id=ami.insecure_value,
            iam_instance_profile=LaunchTemplateIamInstanceProfile(arn=profile.arn),
            vpc_security_group_ids=[security_group_id],
            metadata_options=LaunchTemplateMetadataOptions(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            block_device_mappings=[
                LaunchTemplateBlockDeviceMappings(
                    device_name=ROOT_DEVICE,
                    ebs=LaunchTemplateBlockDeviceMappingsEbs(
                        volume_type="gp3",
                        volume_size=props.root_volume_gib,
                        encrypted="true",
                        kms_key_id=props.ebs_kms_key_arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            monitoring=LaunchTemplateMonitoring(enabled=True),
            user_data=Fn.base64encode(user_data),
            update_default_version=True,
            tag_specifications=[
                LaunchTemplateTagSpecifications(resource_type=kind, tags=tags) for kind in ("instance", "volume")
            ],
            tags=tags,
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )

        # ---- Auto Scaling group: ECS managed scaling owns desired_capacity
        group = AutoscalingGroup(
            self,
            "AutoScalingGroup",
            name=props.name,
            vpc_zone_identifier=list(props.subnet_ids),
            min_size=props.min_size,
            max_size=props.max_size,
            health_check_type="EC2",
            health_check_grace_period=props.health_check_grace_period_seconds,
            protect_from_scale_in=True,
            # Destroy without waiting for the instances: they are protected from scale-in (managed termination
            # protection needs it), and once the capacity provider is gone nothing lifts that, so the provider's
            # drain would wait until its timeout. The services are gone first; the instances then terminate.
            force_delete=True,
            mixed_instances_policy=AutoscalingGroupMixedInstancesPolicy(
                instances_distribution=AutoscalingGroupMixedInstancesPolicyInstancesDistribution(
                    on_demand_allocation_strategy="prioritized",
                    on_demand_base_capacity=props.on_demand_base_capacity,
                    on_demand_percentage_above_base_capacity=props.on_demand_percentage_above_base,
                    spot_allocation_strategy=SPOT_ALLOCATION_STRATEGY,
                ),
                launch_template=AutoscalingGroupMixedInstancesPolicyLaunchTemplate(
                    launch_template_specification=AutoscalingGroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecification(
                        launch_template_id=launch_template.id, version=Token.as_string(launch_template.latest_version)
                    ),
                    override=[
                        AutoscalingGroupMixedInstancesPolicyLaunchTemplateOverride(instance_type=instance_type)
                        for instance_type in props.instance_types
                    ],
                ),
            ),
            tag=[
                AutoscalingGroupTag(key="AmazonECSManaged", value="true", propagate_at_launch=True),
                AutoscalingGroupTag(key="Name", value=props.name, propagate_at_launch=True),
            ],
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_capacity"]),
        )

        # ---- capacity provider
        provider = EcsCapacityProvider(
            self,
            "CapacityProvider",
            name=props.name,
            auto_scaling_group_provider=EcsCapacityProviderAutoScalingGroupProvider(
                auto_scaling_group_arn=group.arn,
                managed_termination_protection="ENABLED",
                managed_draining="ENABLED",
                managed_scaling=EcsCapacityProviderAutoScalingGroupProviderManagedScaling(
                    status="ENABLED",
                    target_capacity=props.target_capacity_percent,
                    minimum_scaling_step_size=props.minimum_scaling_step_size,
                    maximum_scaling_step_size=props.maximum_scaling_step_size,
                    instance_warmup_period=props.instance_warmup_seconds,
                ),
            ),
            tags=tags,
        )

        self.capacity_provider_name = provider.name
        self.auto_scaling_group_name = group.name
        self.auto_scaling_group_arn = group.arn
        self.instance_role_arn = role.arn
        self.security_group_id = security_group_id
        self.launch_template_id = launch_template.id
