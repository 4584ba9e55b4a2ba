"""BlueGreen: blue/green and canary releases of one web service through CodeDeploy (as aws-cdk's ``EcsDeploymentGroup``).

Smallest example::

    from modules.blue_green import BlueGreen, BlueGreenProps

    release = BlueGreen(stack, "BlueGreen", props=BlueGreenProps(
        name="flask-app-prod", cluster_name=cluster.cluster_name, service_name=service.service_name,
        vpc_id=network.vpc_id, alb_arn=lb.alb_arn, alb_security_group_id=lb.security_group_id,
        production_listener_arns=tuple(ref.arn for ref in lb.forwarding_refs),
        blue_target_group_arn=target.target_group_arn, blue_target=target_props,
        test_listener_port=8443, test_ingress_cidrs=("10.20.0.0/16",)))
    release.application_name, release.deployment_group_name, release.test_listener_arn

The service must use ``ServiceOptions(deployment_controller="CODE_DEPLOY")`` and register with the
blue target group; pass its ``service_name`` (a reference), so the deployment group waits for it.

What it builds:

* the green target group ``{name}-tg2``, the same shape as the blue one (``blue_target``: type
  ``ip``, HTTP on the container port, the same health check, thresholds and deregistration
  delay); CodeDeploy registers the new task set there and swaps the two on every release;
* a test listener on the ALB at ``test_listener_port`` (HTTPS with ``certificate_arn``, else
  HTTP), forwarding to the green target group (empty until the first release) until CodeDeploy
  points it at the new task set,
  with ``ignore_changes=[default_action]`` (CodeDeploy swaps its target; Terraform must not swap
  it back), and ingress on that port in the ALB security group from ``test_ingress_cidrs`` only;
* a CodeDeploy application ``{name}`` (compute platform ECS) and its service role
  ``{name}-codedeploy``, trusted by ``codedeploy.amazonaws.com`` of this account only, with the
  AWS managed policy ``AWSCodeDeployRoleForECS``;
* a custom deployment config ``{name}-ECSLinear<p>PercentEvery<m>Minutes`` /
  ``{name}-ECSCanary<p>Percent<m>Minutes`` when ``traffic`` matches no predefined ECS config
  (:class:`rules.releases.TrafficShift`);
* the deployment group ``service_name``: blue/green with traffic control, rerouting at once
  (``CONTINUE_DEPLOYMENT``) or after an approval within ``approval_wait_minutes``
  (``STOP_DEPLOYMENT``), the blue task set deleted ``termination_wait_minutes`` after success,
  both listeners and target groups, rollback on failure and, with ``alarm_names``, when one of
  them fires (aws-cdk does the same: without alarms there is nothing to stop on).

Each release is a CodeDeploy deployment of this group whose AppSpec names the new task
definition revision (:func:`rules.releases.appspec`); the production listeners' default action
also changes on every release, so the load balancer must leave it to CodeDeploy too
(:meth:`modules.load_balancer.LoadBalancer.leave_targets_to_codedeploy`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.codedeploy_app import CodedeployApp
from cdktf_cdktf_provider_aws.codedeploy_deployment_config import (
    CodedeployDeploymentConfig,
    CodedeployDeploymentConfigTrafficRoutingConfig,
    CodedeployDeploymentConfigTrafficRoutingConfigTimeBasedCanary,
    CodedeployDeploymentConfigTrafficRoutingConfigTimeBasedLinear,
)
from cdktf_cdktf_provider_aws.codedeploy_deployment_group import (
    CodedeployDeploymentGroup,
    CodedeployDeploymentGroupAlarmConfiguration,
    CodedeployDeploymentGroupAutoRollbackConfiguration,
    CodedeployDeploymentGroupBlueGreenDeploymentConfig,
    CodedeployDeploymentGroupBlueGreenDeploymentConfigDeploymentReadyOption,
    CodedeployDeploymentGroupBlueGreenDeploymentConfigTerminateBlueInstancesOnDeploymentSuccess,
    CodedeployDeploymentGroupDeploymentStyle,
    CodedeployDeploymentGroupEcsService,
    CodedeployDeploymentGroupLoadBalancerInfo,
    CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfo,
    CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoProdTrafficRoute,
    CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroup,
    CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoTestTrafficRoute,
)
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from modules.listener_target import TargetProps, http_target_group
from modules.load_balancer import TLS_POLICY
from rules.naming import LIMITS, length_problem
from rules.releases import (
    APPROVAL_WAIT_MINUTES,
    MAX_ALARMS,
    TERMINATION_WAIT_MINUTES,
    TrafficShift,
    ingress_cidrs_problem,
    listener_port_problem,
    range_problem,
)

#: The AWS managed policy CodeDeploy's service role needs for ECS deployments (CodeDeploy User
#: Guide, "Step 3: Create a service role for CodeDeploy").
CODEDEPLOY_ECS_POLICY = "AWSCodeDeployRoleForECS"

#: What CodeDeploy rolls back on: a failed deployment always; a deployment its alarms stopped when
#: the group watches alarms.
ROLLBACK_ON_FAILURE = "DEPLOYMENT_FAILURE"
ROLLBACK_ON_ALARM = "DEPLOYMENT_STOP_ON_ALARM"


@dataclass(frozen=True, kw_only=True)
class BlueGreenProps:
    """Inputs of :class:`BlueGreen`."""

    name: str
    """Physical name prefix, ``{app}-{env}``: the green target group is ``{name}-tg2`` (at most 32 characters),
    the CodeDeploy application ``{name}``, its role ``{name}-codedeploy``, a custom deployment config
    ``{name}-ECS...``."""
    cluster_name: str
    """Name of the ECS cluster the service runs in."""
    service_name: str
    """Name of the ECS service (``deployment_controller="CODE_DEPLOY"``); also the deployment group's name.
    Pass the service's attribute (a reference), so the group is created after the service."""
    vpc_id: str
    """VPC of the green target group (the blue one's)."""
    alb_arn: str
    """The load balancer the test listener is added to."""
    alb_security_group_id: str
    """The load balancer's security group; the test port's ingress rules are added to it."""
    production_listener_arns: tuple[str, ...]
    """The listeners whose default action forwards to the blue target group (``LoadBalancer.forwarding_refs``);
    CodeDeploy moves them to the new task set. At least one."""
    blue_target_group_arn: str
    """The target group the service registers with (blue at first); the test listener forwards to it."""
    blue_target: TargetProps
    """The props the blue target group was made from: the green one copies its port, health check and draining,
    and CodeDeploy names it by ``target_group_name``. Must be the listeners' default target (no hosts or paths)."""
    test_listener_port: int
    """Port of the test listener, on which the new task set answers before it takes production traffic;
    1..65535 except 80 and 443 (the production listeners')."""
    test_ingress_cidrs: tuple[str, ...]
    """IPv4 blocks allowed to reach ``test_listener_port``: the testers' or CI runners'. Required, and never
    ``0.0.0.0/0``: the test listener serves a version nobody has checked yet."""
    certificate_arn: str | None = None
    """ACM certificate of the test listener, which then speaks HTTPS (policy ``TLS_POLICY``); plain HTTP unless
    set."""
    traffic: TrafficShift = field(default_factory=TrafficShift)
    """How production traffic moves to the new task set; all at once (``CodeDeployDefault.ECSAllAtOnce``)
    unless set, or ``TrafficShift("linear" | "canary", percent=..., minutes=...)``."""
    termination_wait_minutes: int = 5
    """Minutes the blue task set keeps running after a successful release (a quick way back); 5 unless set,
    0..2880."""
    approval_wait_minutes: int | None = None
    """Wait for someone to continue the deployment (``STOP_DEPLOYMENT``) at most this long, 1..2880 minutes,
    after the new task set passed its test-traffic hooks; production traffic moves as soon as the new task set
    is ready (``CONTINUE_DEPLOYMENT``) unless set."""
    alarm_names: tuple[str, ...] = ()
    """CloudWatch alarms that stop and roll back a release when they fire (at most 10); none unless set, and
    then a release rolls back only when it fails."""

    def __post_init__(self) -> None:
        green = "%s-tg2" % self.name
        problem = length_problem(green, LIMITS["target_group"])
        if problem:
            raise ValueError("BlueGreenProps.name=%r makes the green target group name %s" % (self.name, problem))
        self.traffic.config_name(self.name)  # a custom config's name must be valid too
        if not self.production_listener_arns:
            raise ValueError(
                "BlueGreenProps.production_listener_arns=(); allowed: the ARNs of the listeners that forward to the"
                " blue target group (at least one)"
            )
        if self.blue_target.routed:
            raise ValueError(
                "BlueGreenProps.blue_target has hosts=%r, paths=%r; allowed: the listeners' default target (no hosts"
                " or paths): this construct releases through the listeners' default action"
                % (list(self.blue_target.hosts), list(self.blue_target.paths))
            )
        problem = listener_port_problem(self.test_listener_port)
        if problem:
            raise ValueError("BlueGreenProps.test_listener_port=%s" % problem)
        problem = ingress_cidrs_problem(self.test_ingress_cidrs)
        if problem:
            raise ValueError("BlueGreenProps.test_ingress_cidrs=%s" % problem)
        problem = range_problem(self.termination_wait_minutes, TERMINATION_WAIT_MINUTES, "minutes")
        if problem:
            raise ValueError("BlueGreenProps.termination_wait_minutes=%s" % problem)
        if self.approval_wait_minutes is not None:
            problem = range_problem(self.approval_wait_minutes, APPROVAL_WAIT_MINUTES, "minutes")
            if problem:
                raise ValueError("BlueGreenProps.approval_wait_minutes=%s" % problem)
        if len(self.alarm_names) > MAX_ALARMS:
            raise ValueError(
                "BlueGreenProps.alarm_names has %d alarms; allowed: at most %d per deployment group"
                % (len(self.alarm_names), MAX_ALARMS)
            )

    @property
    def green_target_group_name(self) -> str:
        """``{name}-tg2``."""
        return "%s-tg2" % self.name


class BlueGreen(Construct):
    """Green target group, test listener, CodeDeploy application, role, config and deployment group."""

    application_name: str
    deployment_group_name: str
    deployment_config_name: str
    """The predefined config's name, or the custom one's (a reference to it)."""
    green_target_group_arn: str
    green_target_group_arn_suffix: str
    green_target_group_name: str
    test_listener_arn: str
    service_role_arn: str

    def __init__(self, scope: Construct, id_: str, *, props: BlueGreenProps) -> None:
        super().__init__(scope, id_)
        blue = props.blue_target

        # ---- the green target group: the blue one's shape
        green = http_target_group(
            self, "GreenTargetGroup", name=props.green_target_group_name, port=blue.port, vpc_id=props.vpc_id,
            health_check_path=blue.health_check_path, options=blue,
        )  # fmt: skip

        # ---- the test listener, reachable from the listed blocks only
        port = props.test_listener_port
        tls = props.certificate_arn is not None
        ingress = [
            VpcSecurityGroupIngressRule(
                self,
                "TestIngress-%d" % i,
                security_group_id=props.alb_security_group_id,
                description="Test listener (%s %d) from %s" % ("HTTPS" if tls else "HTTP", port, cidr),
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4=cidr,
            )
            for i, cidr in enumerate(props.test_ingress_cidrs)
        ]
        test_listener = LbListener(
            self,
            "TestListener",
            load_balancer_arn=props.alb_arn,
            port=port,
            protocol="HTTPS" if tls else "HTTP",
            ssl_policy=TLS_POLICY if tls else None,
            certificate_arn=props.certificate_arn,
            # The green group at first, as aws-cdk's EcsDeploymentGroup example wires it: CodeDeploy finds the
            # blue (original) group through the production listeners and points the test listener at the new
            # task set's group on every release, so its first target only decides that nothing answers there
            # before the first release, and both groups sit behind a listener Terraform knows.
            default_action=[LbListenerDefaultAction(type="forward", target_group_arn=green.arn)],
            lifecycle=TerraformResourceLifecycle(ignore_changes=["default_action"]),
            depends_on=ingress,
            tags={"Name": "%s-test" % props.name},
        )

        # ---- CodeDeploy: application, service role, deployment config
        app = CodedeployApp(self, "Application", name=props.name, compute_platform="ECS", tags={"Name": props.name})
        account_id = DataAwsCallerIdentity(self, "CallerIdentity").account_id
        partition = DataAwsPartition(self, "Partition").partition
        trust = DataAwsIamPolicyDocument(
            self,
            "RoleTrust",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="CodeDeployAssume",
                    actions=["sts:AssumeRole"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=["codedeploy.amazonaws.com"])
                    ],
                    # Confused-deputy guard: only CodeDeploy acting for this account.
                    condition=[DataAwsIamPolicyDocumentStatementCondition(test="StringEquals", variable="aws:SourceAccount",
                                                                          values=[account_id])],
                )
            ],
        )  # fmt: skip
        role = IamRole(
            self,
            "ServiceRole",
            name="%s-codedeploy" % props.name,
            description="CodeDeploy releases %s (blue/green)" % props.name,
            assume_role_policy=trust.json,
        )
        policy = IamRolePolicyAttachment(
            self,
            "ServiceRolePolicy",
            role=role.name,
            policy_arn="arn:%s:iam::aws:policy/%s" % (partition, CODEDEPLOY_ECS_POLICY),
        )
        traffic = props.traffic
        config_name = traffic.predefined_config_name
        if config_name is None:
            routing = CodedeployDeploymentConfigTrafficRoutingConfig(
                type=traffic.routing_type,
                time_based_linear=(
                    CodedeployDeploymentConfigTrafficRoutingConfigTimeBasedLinear(
                        percentage=traffic.percent, interval=traffic.minutes
                    )
                    if traffic.strategy == "linear"
                    else None
                ),
                time_based_canary=(
                    CodedeployDeploymentConfigTrafficRoutingConfigTimeBasedCanary(
                        percentage=traffic.percent, interval=traffic.minutes
                    )
                    if traffic.strategy == "canary"
                    else None
                ),
            )
            config_name = CodedeployDeploymentConfig(
                self,
                "DeploymentConfig",
                deployment_config_name=traffic.custom_config_name(props.name),
                compute_platform="ECS",
                traffic_routing_config=routing,
            ).deployment_config_name

        # ---- the deployment group
        if props.approval_wait_minutes is None:
            ready = CodedeployDeploymentGroupBlueGreenDeploymentConfigDeploymentReadyOption(
                action_on_timeout="CONTINUE_DEPLOYMENT"
            )
        else:
            ready = CodedeployDeploymentGroupBlueGreenDeploymentConfigDeploymentReadyOption(
                action_on_timeout="STOP_DEPLOYMENT", wait_time_in_minutes=props.approval_wait_minutes
            )
        events = [ROLLBACK_ON_FAILURE, *([ROLLBACK_ON_ALARM] if props.alarm_names else [])]
        group = CodedeployDeploymentGroup(
            self,
            "DeploymentGroup",
            app_name=app.name,
            deployment_group_name=props.service_name,
            service_role_arn=role.arn,
            deployment_config_name=config_name,
            deployment_style=CodedeployDeploymentGroupDeploymentStyle(
                deployment_option="WITH_TRAFFIC_CONTROL", deployment_type="BLUE_GREEN"
            ),
            blue_green_deployment_config=CodedeployDeploymentGroupBlueGreenDeploymentConfig(
                deployment_ready_option=ready,
                terminate_blue_instances_on_deployment_success=(
                    CodedeployDeploymentGroupBlueGreenDeploymentConfigTerminateBlueInstancesOnDeploymentSuccess(
                        action="TERMINATE", termination_wait_time_in_minutes=props.termination_wait_minutes
                    )
                ),
            ),
            ecs_service=CodedeployDeploymentGroupEcsService(
                cluster_name=props.cluster_name, service_name=props.service_name
            ),
            load_balancer_info=CodedeployDeploymentGroupLoadBalancerInfo(
                target_group_pair_info=CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfo(
                    prod_traffic_route=CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoProdTrafficRoute(
                        listener_arns=list(props.production_listener_arns)
                    ),
                    test_traffic_route=CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoTestTrafficRoute(
                        listener_arns=[test_listener.arn]
                    ),
                    target_group=[
                        CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroup(
                            name=blue.target_group_name
                        ),
                        CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroup(name=green.name),
                    ],
                )
            ),
            auto_rollback_configuration=CodedeployDeploymentGroupAutoRollbackConfiguration(enabled=True, events=events),
            alarm_configuration=(
                CodedeployDeploymentGroupAlarmConfiguration(alarms=list(props.alarm_names), enabled=True)
                if props.alarm_names
                else None
            ),
            # CodeDeploy checks its role's permissions when the group is created.
            depends_on=[policy],
            tags={"Name": "%s-release" % props.name},
        )

        self.application_name = app.name
        self.deployment_group_name = group.deployment_group_name
        self.deployment_config_name = config_name
        self.green_target_group_arn = green.arn
        self.green_target_group_arn_suffix = green.arn_suffix
        self.green_target_group_name = green.name
        self.test_listener_arn = test_listener.arn
        self.service_role_arn = role.arn
