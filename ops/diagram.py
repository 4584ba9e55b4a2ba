"""``make diagram``: a picture of an environment, drawn from its synthesized stacks.

Example::

    python -m ops.diagram --env prod          # .build/diagram/prod.svg, prod.png, prod.json
    python -m ops.diagram --env prod --docs   # docs/diagram/prod.* (the README's picture; make diagram ENV=prod DOCS=1)

    from ops import diagram
    graph = diagram.build(diagram.resources_from_stacks([registry_json, service_json]), title="prod")
    graph.to_json()                           # the deterministic model: nodes, edges, clusters
    diagram.render(graph, Path("out"), "prod")  # out/prod.svg + out/prod.png (needs graphviz's `dot`)

Two parts:

* **the model** (pure, no graphviz): the resources of ``cdk.tf.json`` (or of a ``terraform show
  -json`` plan, :func:`resources_from_plan`) become a :class:`Graph` of nodes, edges and nested
  clusters: clients -> Route 53 -> load balancers (WAF, listeners) -> services -> their tasks'
  containers (sidecars marked) -> CloudWatch log groups; the VPC with a cluster per availability
  zone (public and private subnets, NAT gateways), the internet gateway and the VPC endpoints; the
  ECS cluster with its services, task definitions, EC2 capacity (Auto Scaling group); SQS queues
  and their dead-letter queues, EventBridge Scheduler schedules, the ECR repository, application
  autoscaling, Cloud Map, CodeDeploy, and SNS topics with the alarms that notify them. Every
  managed resource belongs to exactly one node or cluster (the VPC and the ECS cluster are boxes;
  IAM roles, security groups, alarms ... join the part that references them, else one they
  reference), so a plan can mark the parts it changes (:func:`mark`). Ids are derived from
  Terraform addresses and everything is sorted, so the same stacks always give the same model;
* **the rendering** (:func:`render`): the model drawn with the ``diagrams`` package's AWS icons
  through Graphviz, as SVG (icons embedded, so the file stands alone) and PNG. Graphviz's ``dot``
  is a system package (``apt-get install -y graphviz``); without it :func:`require_graphviz` raises
  :class:`GraphvizMissing` naming it.

``make plan`` calls :func:`write_plan_diagram`: the environment's diagram with the resources the
plan creates, changes, replaces or destroys marked (colour and label), written next to
``summary.md``, which links it.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from ops.context import DEFAULT_OUT, REPO_ROOT, OpsError, relative, stack_dir, stack_names
from rules.s3 import BUCKET_SETTINGS

DEFAULT_DIR = REPO_ROOT / ".build" / "diagram"
DOCS_DIR = REPO_ROOT / "docs" / "diagram"
INSTALL_GRAPHVIZ = "apt-get install -y graphviz (Debian/Ubuntu; brew install graphviz on macOS)"
FORMATS = ("svg", "png")

# A plan's actions (ops.plan's names), strongest first: a node shows the strongest of its resources'.
ACTIONS = ("replace", "destroy", "create", "update")
ACTION_STYLE: dict[str, tuple[str, str]] = {  # action -> (label suffix, colour)
    "replace": ("-/+ replace", "#D6336C"),
    "destroy": ("- destroy", "#C92A2A"),
    "create": ("+ create", "#2F9E44"),
    "update": ("~ update", "#E67700"),
}

# Network resources drawn as the VPC itself (its box), not as nodes of their own.
NETWORK_PLUMBING = frozenset({
    "aws_route_table", "aws_route", "aws_route_table_association", "aws_default_security_group",
    "aws_default_network_acl", "aws_default_route_table", "aws_network_acl", "aws_eip",
})  # fmt: skip

_TOKEN = re.compile(r"\$\{([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)")
_REMOTE_OUTPUT = re.compile(r"\$\{data\.terraform_remote_state\.[A-Za-z0-9_-]+\.outputs\.([A-Za-z0-9_-]+)")
_INDEX = re.compile(r"\[[^\]]*\]$")


class DiagramError(OpsError):
    """The diagram cannot be drawn; the message says why and what to do."""


class GraphvizMissing(DiagramError):
    """Graphviz (``dot``) or the ``diagrams`` package is not installed."""


# --------------------------------------------------------------------------------------------
# Resources: what the model is built from
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """One managed resource: ``type.name``, its arguments, and the addresses it references."""

    type: str
    name: str
    values: Mapping[str, Any]
    refs: frozenset[str]

    @property
    def address(self) -> str:
        return "%s.%s" % (self.type, self.name)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _token_refs(value: Any, outputs: Mapping[str, frozenset[str]]) -> set[str]:
    """Addresses referenced by ``${type.name...}`` tokens in ``value`` (through remote-state outputs too)."""
    found: set[str] = set()
    for text in _strings(value):
        for rtype, name in _TOKEN.findall(text):
            if rtype not in ("var", "data", "local", "module", "each", "count", "path", "self"):
                found.add("%s.%s" % (rtype, name))
        for output in _REMOTE_OUTPUT.findall(text):
            found |= outputs.get(output, frozenset())
    return found


def resources_from_stacks(docs: Iterable[Mapping[str, Any]]) -> list[Resource]:
    """The managed resources of synthesized stacks (``cdk.tf.json``), references resolved.

    A reference to another stack's output (``data.terraform_remote_state...outputs.<name>``,
    CDKTF's cross-stack references) counts as a reference to what that output names.
    """
    docs = list(docs)
    outputs: dict[str, frozenset[str]] = {}
    for doc in docs:
        for name, output in (doc.get("output") or {}).items():
            outputs[name] = frozenset(_token_refs(output.get("value"), {}))
    found: list[Resource] = []
    for doc in docs:
        for rtype, bodies in sorted((doc.get("resource") or {}).items()):
            for name, body in sorted(bodies.items()):
                values = {k: v for k, v in body.items() if k not in ("//", "depends_on", "lifecycle", "provider")}
                refs = _token_refs(values, outputs) - {"%s.%s" % (rtype, name)}
                found.append(Resource(rtype, name, values, frozenset(refs)))
    return found


def _expression_values(expr: Any) -> tuple[Any, set[str]]:
    """(value, references) of a ``terraform show -json`` configuration expression tree."""
    if isinstance(expr, list):
        pairs = [_expression_values(item) for item in expr]
        return [v for v, _ in pairs], set().union(*(r for _, r in pairs)) if pairs else set()
    if not isinstance(expr, Mapping):
        return expr, set()
    if "constant_value" in expr or "references" in expr:
        named = {_INDEX.sub("", ".".join(str(ref).split(".")[:2])) for ref in expr.get("references") or []}
        skip = ("var.", "data.", "local.", "module.", "count.", "each.")
        return expr.get("constant_value"), {ref for ref in named if not ref.startswith(skip)}
    values: dict[str, Any] = {}
    refs: set[str] = set()
    for key, item in expr.items():
        values[key], more = _expression_values(item)
        refs |= more
    return values, refs


def resources_from_plan(plan: Mapping[str, Any]) -> list[Resource]:
    """The managed resources of a ``terraform show -json`` plan: its configuration, with the
    planned values where they are known, plus what the plan destroys (from the prior state)."""
    after: dict[str, Mapping[str, Any]] = {}
    for rc in plan.get("resource_changes") or []:
        change = rc.get("change") or {}
        base = _INDEX.sub("", str(rc.get("address")))
        if rc.get("mode", "managed") == "managed" and base not in after:
            after[base] = change.get("after") or change.get("before") or {}
    found: dict[str, Resource] = {}
    module = (plan.get("configuration") or {}).get("root_module") or {}
    for item in module.get("resources") or []:
        if item.get("mode", "managed") != "managed":
            continue
        values, refs = _expression_values(item.get("expressions") or {})
        merged = {**values, **{k: v for k, v in after.get(item["address"], {}).items() if v is not None}}
        found[item["address"]] = Resource(item["type"], item["name"], merged, frozenset(refs - {item["address"]}))
    for base, values in after.items():  # destroyed: no longer in the configuration
        if base not in found:
            rtype, _, name = base.partition(".")
            found[base] = Resource(rtype, name, values, frozenset())
    return [found[key] for key in sorted(found)]


def plan_actions(plan: Mapping[str, Any]) -> dict[str, str]:
    """Address (without count/for_each index) -> the strongest action of ``plan`` on it."""
    from ops.plan import _action_name

    actions: dict[str, str] = {}
    for rc in plan.get("resource_changes") or []:
        if rc.get("mode", "managed") != "managed":
            continue
        action = _action_name(list((rc.get("change") or {}).get("actions") or []))
        if action not in ACTIONS:
            continue
        base = _INDEX.sub("", str(rc.get("address")))
        if base not in actions or ACTIONS.index(action) < ACTIONS.index(actions[base]):
            actions[base] = action
    return actions


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # the icon (ICONS)
    label: str
    cluster: str | None = None
    resources: tuple[str, ...] = ()
    change: str | None = None  # an ACTIONS entry when a plan marks the node: the strongest of its resources'
    changed: tuple[str, ...] = ()  # "<action> <address>" for each of its resources the plan changes


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""


@dataclass(frozen=True)
class Cluster:
    """A box around nodes; it can stand for resources itself (the VPC, the ECS cluster)."""

    id: str
    label: str
    parent: str | None = None
    resources: tuple[str, ...] = ()
    change: str | None = None
    changed: tuple[str, ...] = ()


@dataclass
class Graph:
    title: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: set[Edge] = field(default_factory=set)
    clusters: dict[str, Cluster] = field(default_factory=dict)

    def add_node(self, node: Node) -> Node:
        if node.id in self.nodes:
            raise ValueError("diagram node %r defined twice" % node.id)
        self.nodes[node.id] = node
        return node

    def add_cluster(self, cluster: Cluster) -> str:
        self.clusters.setdefault(cluster.id, cluster)
        return cluster.id

    def connect(self, source: str, target: str, label: str = "") -> None:
        if source in self.nodes and target in self.nodes and source != target:
            self.edges.add(Edge(source, target, label))

    def to_json(self) -> str:
        """The model as sorted, indented JSON: the same stacks always give the same text."""
        data = {
            "title": self.title,
            "clusters": [
                {**c.__dict__, "resources": list(c.resources), "changed": list(c.changed)}
                for c in sorted(self.clusters.values(), key=lambda c: c.id)
            ],
            "nodes": [
                {**n.__dict__, "resources": list(n.resources), "changed": list(n.changed)}
                for n in sorted(self.nodes.values(), key=lambda n: n.id)
            ],
            "edges": [e.__dict__ for e in sorted(self.edges, key=lambda e: (e.source, e.target, e.label))],
        }
        return json.dumps(data, indent=1, sort_keys=True) + "\n"

    def owner(self, address: str) -> Node | Cluster | None:
        """The node (or cluster) that stands for ``address`` (its count/for_each index ignored)."""
        base = _INDEX.sub("", address)
        parts: list[Node | Cluster] = [*self.nodes.values(), *self.clusters.values()]
        return next((part for part in parts if base in part.resources), None)


def _node_id(*parts: str) -> str:
    return "__".join(re.sub(r"[^A-Za-z0-9_]", "_", part) for part in parts)


def _short(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _literal(value: Any) -> str | None:
    """``value`` when it is a plain value (no ``${...}`` token), else None."""
    if value is None or (isinstance(value, str) and "${" in value):
        return None
    return str(value)


def _one(value: Any) -> Mapping[str, Any]:
    """A nested block, written by CDKTF as an object and by Terraform's plan as a one-item list."""
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], Mapping) else {}
    return value if isinstance(value, Mapping) else {}


def _many(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        return [value]
    return [item for item in value or [] if isinstance(item, Mapping)]


class _Builder:
    def __init__(self, resources: Sequence[Resource], title: str) -> None:
        self.graph = Graph(title=title)
        self.by_address = {r.address: r for r in resources}
        self.by_type: dict[str, list[Resource]] = {}
        for r in sorted(resources, key=lambda r: r.address):
            self.by_type.setdefault(r.type, []).append(r)
        self.referrers: dict[str, set[str]] = {}
        for r in resources:
            for ref in r.refs:
                self.referrers.setdefault(ref, set()).add(r.address)
        self.owned: dict[str, str] = {}  # address -> node id
        self.containers: dict[str, list[str]] = {}  # task definition address -> container node ids
        self.primary: dict[str, str] = {}  # task definition address -> its main container node id
        self.vpc_cluster: str | None = None

    # helpers ------------------------------------------------------------------------------
    def of(self, rtype: str) -> list[Resource]:
        return self.by_type.get(rtype, [])

    def refs(self, resource: Resource, *types: str) -> list[Resource]:
        return [self.by_address[a] for a in sorted(resource.refs) if a in self.by_address and a.split(".")[0] in types]

    def referrers_of(self, resource: Resource, *types: str) -> list[Resource]:
        found = sorted(self.referrers.get(resource.address, ()))
        return [self.by_address[a] for a in found if a.split(".")[0] in types]

    def node(self, kind: str, resource: Resource, label: str, cluster: str | None, *members: Resource) -> str:
        node_id = _node_id(resource.address)
        addresses = tuple(sorted({resource.address, *(m.address for m in members)} - set(self.owned)))
        self.graph.add_node(Node(node_id, kind, label, cluster, addresses))
        for address in addresses:
            self.owned[address] = node_id
        return node_id

    def connect(self, source: Resource | str, target: Resource | str, label: str = "") -> None:
        def ident(item: Resource | str) -> str:
            return item if isinstance(item, str) else self.owned.get(item.address, _node_id(item.address))

        self.graph.connect(ident(source), ident(target), label)

    @staticmethod
    def name(resource: Resource, fallback: str = "") -> str:
        values = resource.values
        for key in ("name", "family", "bucket"):
            if _literal(values.get(key)):
                return str(values[key])
        tags = values.get("tags") or {}
        if isinstance(tags, Mapping) and _literal(tags.get("Name")):
            return str(tags["Name"])
        return fallback or resource.name

    # the parts ----------------------------------------------------------------------------
    def build(self) -> Graph:
        vpc_cluster = self.network()
        ecs_cluster = self.ecs(vpc_cluster)
        self.registry()
        self.logs()
        self.queues()
        self.tasks(ecs_cluster)
        self.services(ecs_cluster)
        self.load_balancers(vpc_cluster)
        self.schedules()
        self.scaling()
        self.releases()
        self.notifications()
        self.buckets()
        self.event_rules()
        self.assign_the_rest()
        self.alarm_edges()
        return self.graph

    def network(self) -> str | None:
        vpcs = self.of("aws_vpc")
        if not vpcs:
            return None
        vpc = vpcs[0]
        cidr = _literal(vpc.values.get("cidr_block")) or ""
        cluster = self.graph.add_cluster(Cluster(_node_id("cluster", vpc.address), ("VPC %s" % cidr).strip()))
        self.attach(vpc.address, cluster)
        self.vpc_cluster = cluster
        azs: dict[str, list[Resource]] = {}
        for index, subnet in enumerate(self.of("aws_subnet")):
            az = _literal(subnet.values.get("availability_zone")) or "zone %d" % index
            azs.setdefault(az, []).append(subnet)
        subnet_zone: dict[str, str] = {}
        for az, subnets in sorted(azs.items()):
            zone = self.graph.add_cluster(Cluster(_node_id("cluster", "az", az), az, cluster))
            for subnet in subnets:
                tier = str((subnet.values.get("tags") or {}).get("Tier") or "")
                if not tier:
                    tier = (
                        "public"
                        if "public" in subnet.address.lower() or subnet.values.get("map_public_ip_on_launch")
                        else "private"
                    )
                cidr = _literal(subnet.values.get("cidr_block")) or ""
                self.node(
                    "public_subnet" if tier == "public" else "private_subnet",
                    subnet,
                    "%s subnet\n%s" % (tier, cidr),
                    zone,
                )
                subnet_zone[subnet.address] = zone
        for igw in self.of("aws_internet_gateway"):
            self.node("igw", igw, "internet gateway", cluster)
        for nat in self.of("aws_nat_gateway"):
            subnets = self.refs(nat, "aws_subnet")
            zone = subnet_zone.get(subnets[0].address, cluster) if subnets else cluster
            self.node("nat", nat, "NAT gateway", zone, *self.refs(nat, "aws_eip"))
            for igw in self.of("aws_internet_gateway"):
                self.connect(nat, igw)
        # private subnet -> NAT, through its route table's default route
        for route in self.of("aws_route"):
            for nat in self.refs(route, "aws_nat_gateway"):
                for table in self.refs(route, "aws_route_table"):
                    for assoc in self.referrers_of(table, "aws_route_table_association"):
                        for subnet in self.refs(assoc, "aws_subnet"):
                            self.connect(subnet, nat, _literal(route.values.get("destination_cidr_block")) or "")
        endpoints = self.of("aws_vpc_endpoint")
        if endpoints:
            group = self.graph.add_cluster(Cluster(_node_id("cluster", "endpoints"), "VPC endpoints", cluster))
            for endpoint in endpoints:
                service = str(endpoint.values.get("service_name") or endpoint.name)
                short = service.split(".", 3)[-1] if service.startswith("com.amazonaws.") else service
                kind = _literal(endpoint.values.get("vpc_endpoint_type")) or "Gateway"
                self.node("endpoint", endpoint, "%s\n(%s)" % (short, kind.lower()), group)
        for flow in self.of("aws_flow_log"):
            self.node("flow_log", flow, "flow logs", cluster)
        return cluster

    def ecs(self, vpc_cluster: str | None) -> str | None:
        clusters = self.of("aws_ecs_cluster")
        if not clusters:
            return None
        ecs = clusters[0]
        cluster = self.graph.add_cluster(
            Cluster(_node_id("cluster", ecs.address), "ECS cluster %s" % self.name(ecs), vpc_cluster)
        )
        self.attach(ecs.address, cluster)
        for asg in self.of("aws_autoscaling_group"):
            members = [*self.refs(asg, "aws_launch_template"), *self.referrers_of(asg, "aws_ecs_capacity_provider")]
            template = next((m for m in members if m.type == "aws_launch_template"), None)
            policy = _one(asg.values.get("mixed_instances_policy"))
            overrides = _many(_one(policy.get("launch_template")).get("override"))
            types = [str(o.get("instance_type")) for o in overrides if o.get("instance_type")]
            if not types and template is not None and _literal(template.values.get("instance_type")):
                types = [str(template.values["instance_type"])]
            label = "EC2 capacity\n%s\n%s..%s instances" % (
                ", ".join(types) or "Auto Scaling group",
                asg.values.get("min_size", "?"),
                asg.values.get("max_size", "?"),
            )
            self.node("asg", asg, label, cluster, *members)
        return cluster

    def registry(self) -> None:
        for repo in self.of("aws_ecr_repository"):
            scan = _one(repo.values.get("image_scanning_configuration")).get("scan_on_push")
            details = [str(repo.values.get("image_tag_mutability") or "").lower(), "scan on push" if scan else ""]
            self.node("ecr", repo, "ECR %s\n%s" % (self.name(repo), ", ".join(d for d in details if d)), None,
                      *self.referrers_of(repo, "aws_ecr_lifecycle_policy"))  # fmt: skip

    def logs(self) -> None:
        groups = self.of("aws_cloudwatch_log_group")
        if not groups:
            return
        cluster = self.graph.add_cluster(Cluster(_node_id("cluster", "logs"), "CloudWatch Logs"))
        for group in groups:
            days = group.values.get("retention_in_days")
            self.node(
                "log_group", group, "%s\n%s" % (self.name(group), "%s days" % days if days else "kept forever"), cluster
            )
        for flow in self.of("aws_flow_log"):
            for group in self.refs(flow, "aws_cloudwatch_log_group"):
                self.connect(flow, group)

    def queues(self) -> None:
        queues = self.of("aws_sqs_queue")
        if not queues:
            return
        cluster = self.graph.add_cluster(Cluster(_node_id("cluster", "sqs"), "SQS"))
        for queue in queues:
            dead = queue.address in {ref for q in queues for ref in q.refs} or "dead" in queue.address.lower()
            self.node("queue", queue, "%s%s" % (self.name(queue), "\n(dead-letter)" if dead else ""), cluster)
        for queue in queues:
            redrive = queue.values.get("redrive_policy")
            receives = None
            if isinstance(redrive, str):
                try:
                    receives = json.loads(redrive).get("maxReceiveCount")
                except ValueError:
                    receives = None
            for dlq in self.refs(queue, "aws_sqs_queue"):
                self.connect(queue, dlq, "after %s receives" % receives if receives else "redrive")

    def tasks(self, ecs_cluster: str | None) -> None:
        for task in self.of("aws_ecs_task_definition"):
            family = self.name(task)
            size = "%s CPU units / %s MiB" % (task.values.get("cpu", "?"), task.values.get("memory", "?"))
            cluster = self.graph.add_cluster(
                Cluster(_node_id("cluster", task.address), "task %s\n%s" % (family, size), ecs_cluster)
            )
            from_ecr = self.refs(task, "aws_ecr_repository")
            definitions: list[Mapping[str, Any]] = []
            raw = task.values.get("container_definitions")
            if isinstance(raw, str):
                try:
                    loaded = json.loads(raw)
                except ValueError:
                    loaded = []
                definitions = [d for d in loaded if isinstance(d, Mapping)] if isinstance(loaded, list) else []
            ids: list[str] = []
            for index, definition in enumerate(definitions):
                name = str(definition.get("name") or "container-%d" % index)
                node_id = _node_id(task.address, name)
                image = str(definition.get("image") or "")
                shown = "image from ECR" if "${" in image else _short(image.rsplit("/", 1)[-1])
                role = "" if index == 0 else "\n(sidecar)"
                self.graph.add_node(Node(node_id, "container", "%s%s\n%s" % (name, role, shown), cluster, ()))
                ids.append(node_id)
                if "${" in image:
                    for repo in from_ecr:
                        self.connect(repo, node_id, "image")
                self.container_edges(task, definition, node_id)
            if not ids:  # no parsable definitions: the task itself
                node_id = _node_id(task.address, "task")
                self.graph.add_node(Node(node_id, "container", family, cluster, ()))
                ids.append(node_id)
            self.containers[task.address] = ids
            self.primary[task.address] = ids[0]
            # the task definition's own changes show on its main container
            first = self.graph.nodes[ids[0]]
            self.graph.nodes[ids[0]] = replace(first, resources=(task.address,))
            self.owned[task.address] = ids[0]

    def container_edges(self, task: Resource, definition: Mapping[str, Any], node_id: str) -> None:
        options = _one(definition.get("logConfiguration")).get("options") or {}
        group_name = options.get("awslogs-group")
        prefix = options.get("awslogs-stream-prefix")
        label = "logs (%s/...)" % prefix if prefix else "logs"
        for group in self.of("aws_cloudwatch_log_group"):
            named = _literal(group.values.get("name"))
            if (isinstance(group_name, str) and "${%s." % group.address in group_name) or (
                named and named == group_name
            ):
                self.connect(node_id, group, label)
        for env in _many(definition.get("environment")):
            value = str(env.get("value") or "")
            for queue in self.of("aws_sqs_queue"):
                if "${%s." % queue.address in value:
                    self.connect(node_id, queue, str(env.get("name") or ""))

    def services(self, ecs_cluster: str | None) -> None:
        for service in self.of("aws_ecs_service"):
            strategy = [
                str(s.get("capacity_provider")) for s in _many(service.values.get("capacity_provider_strategy"))
            ]
            launch = ", ".join(s if "${" not in s else "EC2" for s in strategy) or str(
                service.values.get("launch_type") or ""
            )
            label = "service %s\n%s task%s%s" % (
                self.name(service), service.values.get("desired_count", "?"),
                "" if service.values.get("desired_count") == 1 else "s", "\n%s" % launch if launch else "")  # fmt: skip
            members = self.refs(service, "aws_security_group")
            self.node("service", service, label, ecs_cluster, *members)
            for task in self.refs(service, "aws_ecs_task_definition"):
                if task.address in self.primary:
                    self.connect(service, self.primary[task.address], "runs")
            for registry in self.refs(service, "aws_service_discovery_service"):
                namespaces = self.refs(registry, "aws_service_discovery_private_dns_namespace")
                name = self.name(namespaces[0]) if namespaces else self.name(registry)
                self.node("cloudmap", registry, "Cloud Map\n%s.%s" % (self.name(registry), name), None, *namespaces)
                self.connect(registry, service, "DNS")
            for provider in self.of("aws_ecs_capacity_provider"):
                if any("${%s." % provider.address in s for s in strategy):
                    self.connect(provider, service, "capacity")

    def load_balancers(self, vpc_cluster: str | None) -> None:
        lbs = self.of("aws_lb") + self.of("aws_alb")
        if not lbs:
            return
        public = [lb for lb in lbs if not lb.values.get("internal")]
        clients = "clients"
        if public:
            self.graph.add_node(Node(clients, "users", "clients", None, ()))
        for lb in lbs:
            network = lb.values.get("load_balancer_type") == "network"
            listeners = self.referrers_of(lb, "aws_lb_listener")
            lines = []
            for listener in sorted(listeners, key=lambda item: int(item.values.get("port") or 0)):
                action = _one(listener.values.get("default_action"))
                redirect = _one(action.get("redirect"))
                target = " -> %s" % redirect.get("protocol") if redirect else ""
                lines.append(
                    "%s :%s%s" % (listener.values.get("protocol", ""), listener.values.get("port", ""), target)
                )
            label = "%s %s\n%s" % ("NLB" if network else "ALB", self.name(lb), "\n".join(lines))
            members = [*listeners, *self.refs(lb, "aws_security_group")]
            for listener in listeners:
                members += self.refs(listener, "aws_acm_certificate_validation", "aws_acm_certificate")
                members += self.referrers_of(listener, "aws_lb_listener_rule")
            self.node("nlb" if network else "alb", lb, label.strip(), vpc_cluster, *members)
            if not lb.values.get("internal"):
                self.connect(clients, lb, "HTTPS" if not network else str(lines[0].split(" ")[0] if lines else ""))
            # load balancer -> service, through listener (rule) -> target group <- service
            for listener in listeners:
                rules = self.referrers_of(listener, "aws_lb_listener_rule")
                routes: list[tuple[str, Resource]] = []
                for group in self.refs(listener, "aws_lb_target_group"):
                    routes.append(
                        ("%s :%s" % (listener.values.get("protocol", ""), listener.values.get("port", "")), group)
                    )
                for rule in rules:
                    patterns = []
                    for condition in _many(rule.values.get("condition")):
                        for key in ("path_pattern", "host_header"):
                            patterns += list(_one(condition.get(key)).get("values") or [])
                    for group in self.refs(rule, "aws_lb_target_group"):
                        routes.append((" ".join(str(p) for p in patterns) or "rule", group))
                for label_text, group in routes:
                    for service in self.referrers_of(group, "aws_ecs_service"):
                        self.connect(lb, service, label_text)
                    if group.address not in self.owned:
                        self.attach(group.address, self.owned[lb.address])
        for record in self.of("aws_route53_record"):
            targets = self.refs(record, "aws_lb", "aws_alb")
            if not targets:
                continue
            zone_label = "Route 53\n%s %s" % (self.name(record), record.values.get("type", ""))
            self.node("route53", record, zone_label.strip(), None)
            if public:
                self.graph.edges.discard(Edge(clients, self.owned[targets[0].address], "HTTPS"))
                self.connect(clients, record, "DNS")
            for lb in targets:
                self.connect(record, lb, "alias")
        for acl in self.of("aws_wafv2_web_acl"):
            members = [
                *self.referrers_of(acl, "aws_wafv2_web_acl_association", "aws_wafv2_web_acl_logging_configuration")
            ]
            self.node("waf", acl, "WAF %s" % self.name(acl), None, *members)
            for member in members:
                for lb in self.refs(member, "aws_lb", "aws_alb"):
                    self.connect(acl, lb, "filters")
                for group in self.refs(member, "aws_cloudwatch_log_group"):
                    self.connect(acl, group, "logs")
                if member.type == "aws_wafv2_web_acl_logging_configuration":
                    for target in _strings(member.values.get("log_destination_configs")):
                        for group in self.of("aws_cloudwatch_log_group"):
                            if "${%s." % group.address in target:
                                self.connect(acl, group, "logs")

    def schedules(self) -> None:
        for schedule in self.of("aws_scheduler_schedule"):
            expression = schedule.values.get("schedule_expression", "")
            zone = schedule.values.get("schedule_expression_timezone")
            label = "schedule %s\n%s%s" % (self.name(schedule), expression, " (%s)" % zone if zone else "")
            self.node("schedule", schedule, label, None)
            for task in self.refs(schedule, "aws_ecs_task_definition"):
                if task.address in self.primary:
                    self.connect(schedule, self.primary[task.address], "runs")
            for queue in self.refs(schedule, "aws_sqs_queue"):
                self.connect(schedule, queue, "failed runs")

    def scaling(self) -> None:
        for target in self.of("aws_appautoscaling_target"):
            policies = self.referrers_of(target, "aws_appautoscaling_policy", "aws_appautoscaling_scheduled_action")
            kinds = sorted({self.policy_kind(p) for p in policies})
            label = "autoscaling %s..%s\n%s" % (
                target.values.get("min_capacity", "?"),
                target.values.get("max_capacity", "?"),
                ", ".join(kinds),
            )
            self.node("autoscaling", target, label.strip(), None, *policies)
            for service in self.refs(target, "aws_ecs_service"):
                self.connect(target, service, "scales")

    @staticmethod
    def policy_kind(policy: Resource) -> str:
        if policy.type == "aws_appautoscaling_scheduled_action":
            return "schedule"
        config = _one(policy.values.get("target_tracking_scaling_policy_configuration"))
        metric = _one(config.get("predefined_metric_specification")).get("predefined_metric_type")
        known = {"ECSServiceAverageCPUUtilization": "CPU", "ECSServiceAverageMemoryUtilization": "memory",
                 "ALBRequestCountPerTarget": "requests"}  # fmt: skip
        if metric:
            return known.get(str(metric), str(metric))
        if config.get("customized_metric_specification"):
            return "backlog per task" if "Backlog" in policy.name else "custom metric"
        return "step" if policy.values.get("step_scaling_policy_configuration") else "policy"

    def releases(self) -> None:
        for group in self.of("aws_codedeploy_deployment_group"):
            config = _literal(group.values.get("deployment_config_name")) or ""
            label = "CodeDeploy blue/green\n%s" % config.removeprefix("CodeDeployDefault.")
            members = [*self.refs(group, "aws_codedeploy_app"), *self.refs(group, "aws_codedeploy_deployment_config")]
            self.node("codedeploy", group, label.strip(), None, *members)
            for service in self.refs(group, "aws_ecs_service"):
                self.connect(group, service, "releases")
            for service in self.of("aws_ecs_service"):
                name = _literal(service.values.get("name"))
                ecs = _one(group.values.get("ecs_service"))
                if name and name == ecs.get("service_name"):
                    self.connect(group, service, "releases")

    def notifications(self) -> None:
        for topic in self.of("aws_sns_topic"):
            subscriptions = self.referrers_of(topic, "aws_sns_topic_subscription")
            protocols = sorted({str(s.values.get("protocol")) for s in subscriptions if s.values.get("protocol")})
            label = "SNS %s\n%s" % (self.name(topic), ", ".join(protocols) or "no subscription")
            self.node("sns", topic, label, None, *subscriptions)

    def buckets(self) -> None:
        """S3 buckets (an ALB's access logs), with their settings; ``load balancer -> bucket``."""
        for bucket in self.of("aws_s3_bucket"):
            settings = self.referrers_of(bucket, *("aws_s3_bucket_%s" % s for s in BUCKET_SETTINGS))
            days = [
                _literal(_one(rule.get("expiration")).get("days"))
                for config in settings if config.type == "aws_s3_bucket_lifecycle_configuration"
                for rule in _many(config.values.get("rule"))
            ]  # fmt: skip
            kept = ", kept %s days" % days[0] if days and days[0] else ""
            self.node("s3", bucket, "S3 %s%s" % (self.name(bucket), kept), None, *settings)
            policies = self.referrers_of(bucket, "aws_s3_bucket_policy")
            for balancer in self.of("aws_lb"):
                targets = {r.address for r in self.refs(balancer, "aws_s3_bucket", "aws_s3_bucket_policy")}
                if targets & {bucket.address, *(p.address for p in policies)}:
                    self.connect(balancer, bucket, "access logs")

    def event_rules(self) -> None:
        """EventBridge rules whose targets are SNS topics (e.g. failed ECS deployments): ``rule -> topic``."""
        for rule in self.of("aws_cloudwatch_event_rule"):
            targets = self.referrers_of(rule, "aws_cloudwatch_event_target")
            topics = [t for target in targets for t in self.refs(target, "aws_sns_topic")]
            if not topics:
                continue  # a rule of another part (a job's failed runs) joins that part
            # the pattern may hold references (the cluster's ARN): read its detail-type, not the whole JSON
            found = re.search(r'"detail-type"\s*:\s*\[([^\]]*)\]', str(rule.values.get("event_pattern", "")))
            detail = re.findall(r'"([^"]*)"', found.group(1)) if found else []
            label = "EventBridge rule %s\n%s" % (self.name(rule), ", ".join(detail))
            self.node("event_rule", rule, label.strip(), None, *targets)
            for topic in sorted({t.address: t for t in topics}.values(), key=lambda t: t.address):
                self.connect(rule, topic, "events")

    def alarm_edges(self) -> None:
        """``<part> -> SNS topic``, labelled with the number of the part's alarms that notify it."""
        counts: dict[tuple[str, str], int] = {}
        for alarm in self.of("aws_cloudwatch_metric_alarm"):
            for topic in self.refs(alarm, "aws_sns_topic"):
                source, target = self.owned.get(alarm.address, ""), self.owned.get(topic.address, "")
                if source in self.graph.nodes and source != target:
                    counts[(source, target)] = counts.get((source, target), 0) + 1
        for (source, target), count in sorted(counts.items()):
            self.graph.connect(source, target, "%d alarm%s" % (count, "" if count == 1 else "s"))

    def assign_the_rest(self) -> None:
        """Every other resource joins the node of a resource that references it (its owner), else of
        one it references; what is left (e.g. an alarm on a literal name) joins one "other" node."""
        pending = sorted(a for a in self.by_address if a not in self.owned)
        if self.vpc_cluster:  # the plumbing of the network belongs to the VPC
            for address in list(pending):
                if address.split(".")[0] in NETWORK_PLUMBING:
                    self.attach(address, self.vpc_cluster)
                    pending.remove(address)
        for prefer_owner in (True, False):
            changed = True
            while changed:
                changed = False
                for address in list(pending):
                    resource = self.by_address[address]
                    # an alarm belongs with what it watches, not with the topic it notifies
                    near = (
                        sorted(self.referrers.get(address, ()))
                        if prefer_owner
                        else sorted(resource.refs, key=lambda a: (a.startswith("aws_sns_topic."), a))
                    )
                    owners = [self.owned[a] for a in near if self.owned.get(a)]
                    if owners:
                        self.attach(address, owners[0])
                        pending.remove(address)
                        changed = True
        if pending:
            node_id = "other_resources"
            types = sorted({a.split(".")[0].removeprefix("aws_") for a in pending})
            self.graph.add_node(
                Node(node_id, "other", "%d more resources\n%s" % (len(pending), _wrap(types)), None, tuple(pending))
            )
            for address in pending:
                self.owned[address] = node_id

    def attach(self, address: str, part_id: str) -> None:
        """``address`` joins the node or cluster ``part_id``."""
        if part_id in self.graph.nodes:
            node = self.graph.nodes[part_id]
            self.graph.nodes[part_id] = replace(node, resources=tuple(sorted({*node.resources, address})))
        else:
            cluster = self.graph.clusters[part_id]
            self.graph.clusters[part_id] = replace(cluster, resources=tuple(sorted({*cluster.resources, address})))
        self.owned[address] = part_id


def _wrap(words: Sequence[str], width: int = 32) -> str:
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + len(word) + 2 <= width:
            lines[-1] += ", " + word
        else:
            lines.append(word)
    return "\n".join(lines[:4]) + ("\n..." if len(lines) > 4 else "")


def build(resources: Sequence[Resource], title: str) -> Graph:
    """The model of ``resources`` (pure): nodes, edges and clusters, each resource in one node."""
    return _Builder(resources, title).build()


def mark(graph: Graph, actions: Mapping[str, str]) -> Graph:
    """A copy of ``graph`` with each node marked by the strongest action ``actions`` (address ->
    create/update/replace/destroy) has on its resources; a changed address no node stands for
    (a resource the plan destroys) gets a node of its own in a "removed by this plan" cluster."""
    marked = Graph(title=graph.title, nodes=dict(graph.nodes), edges=set(graph.edges), clusters=dict(graph.clusters))

    def changes(resources: Sequence[str]) -> dict[str, Any]:
        found = sorted((ACTIONS.index(actions[a]), a) for a in resources if a in actions)
        if not found:
            return {}
        return {"change": ACTIONS[found[0][0]], "changed": tuple("%s %s" % (ACTIONS[i], a) for i, a in found)}

    for node_id, node in graph.nodes.items():
        marked.nodes[node_id] = replace(node, **changes(node.resources))
    for cluster_id, cluster in graph.clusters.items():
        marked.clusters[cluster_id] = replace(cluster, **changes(cluster.resources))
    orphans = sorted(a for a in actions if graph.owner(a) is None)
    if orphans:
        removed = marked.add_cluster(Cluster("cluster__removed", "not in the configuration"))
        for address in orphans:
            marked.add_node(
                Node(_node_id("removed", address), "other", address, removed, (address,), **changes([address]))
            )
    return marked


def change_label(part: Node | Cluster) -> str:
    """``-/+ replace 1, ~ update 2``: what the plan does to the resources of a marked node or cluster."""
    counts: dict[str, int] = {}
    for entry in part.changed:
        action = entry.split(" ", 1)[0]
        counts[action] = counts.get(action, 0) + 1
    return ", ".join("%s %d" % (ACTION_STYLE[a][0], counts[a]) for a in ACTIONS if a in counts)


def changed_nodes(graph: Graph) -> dict[str, str]:
    """Node or cluster id -> action, for the marked parts of ``graph``."""
    parts: list[Node | Cluster] = [*graph.nodes.values(), *graph.clusters.values()]
    return {p.id: p.change for p in parts if p.change}


# --------------------------------------------------------------------------------------------
# Loading an environment's stacks
# --------------------------------------------------------------------------------------------


def load_stacks(env_name: str, out: Path = DEFAULT_OUT) -> list[dict[str, Any]]:
    """The parsed ``cdk.tf.json`` of ``<env>-registry`` and ``<env>`` from ``out``."""
    docs = []
    for stack in stack_names(env_name):
        path = stack_dir(stack, out) / "cdk.tf.json"
        if not path.is_file():
            raise DiagramError("%s does not exist; run `make synth` (make diagram synthesizes first)" % relative(path))
        docs.append(json.loads(path.read_text()))
    return docs


def environment_graph(env_name: str, out: Path = DEFAULT_OUT) -> Graph:
    return build(resources_from_stacks(load_stacks(env_name, out)), title="%s (synthesized stacks)" % env_name)


# --------------------------------------------------------------------------------------------
# Rendering (graphviz)
# --------------------------------------------------------------------------------------------

ICONS: dict[str, tuple[str, str]] = {  # kind -> (diagrams module, class)
    "users": ("diagrams.onprem.client", "Users"),
    "route53": ("diagrams.aws.network", "Route53"),
    "waf": ("diagrams.aws.security", "WAF"),
    "alb": ("diagrams.aws.network", "ElbApplicationLoadBalancer"),
    "nlb": ("diagrams.aws.network", "ElbNetworkLoadBalancer"),
    "service": ("diagrams.aws.compute", "ElasticContainerServiceService"),
    "container": ("diagrams.aws.compute", "ElasticContainerServiceContainer"),
    "log_group": ("diagrams.aws.management", "CloudwatchLogs"),
    "queue": ("diagrams.aws.integration", "SimpleQueueServiceSqsQueue"),
    "schedule": ("diagrams.aws.integration", "EventbridgeScheduler"),
    "ecr": ("diagrams.aws.compute", "ECR"),
    "autoscaling": ("diagrams.aws.management", "AutoScaling"),
    "asg": ("diagrams.aws.compute", "EC2AutoScaling"),
    "codedeploy": ("diagrams.aws.devtools", "Codedeploy"),
    "cloudmap": ("diagrams.aws.network", "CloudMap"),
    "public_subnet": ("diagrams.aws.network", "PublicSubnet"),
    "private_subnet": ("diagrams.aws.network", "PrivateSubnet"),
    "nat": ("diagrams.aws.network", "NATGateway"),
    "igw": ("diagrams.aws.network", "InternetGateway"),
    "endpoint": ("diagrams.aws.network", "Endpoint"),
    "flow_log": ("diagrams.aws.network", "VPCFlowLogs"),
    "sns": ("diagrams.aws.integration", "SimpleNotificationServiceSns"),
    "event_rule": ("diagrams.aws.integration", "EventbridgeRule"),
    "s3": ("diagrams.aws.storage", "SimpleStorageServiceS3Bucket"),
    "other": ("diagrams.aws.general", "General"),
}


def require_graphviz() -> None:
    """Raise :class:`GraphvizMissing` unless graphviz's ``dot`` and the ``diagrams`` package are installed."""
    if shutil.which("dot") is None:
        raise GraphvizMissing(
            "graphviz is not installed: the `dot` program is not on PATH; install it with %s" % INSTALL_GRAPHVIZ
        )
    try:
        import diagrams  # noqa: F401
    except ImportError:
        raise GraphvizMissing(
            "the Python package `diagrams` is not installed in this venv; run `make venv` (requirements.txt pins it)"
        ) from None


def _styled_label(node: Node) -> tuple[str, dict[str, str]]:
    if not node.change:
        return node.label, {}
    colour = ACTION_STYLE[node.change][1]
    # a coloured frame around the icon, and the label in the same colour
    attrs = {"shape": "box", "style": "rounded,bold", "penwidth": "3", "color": colour, "fontcolor": colour}
    return "%s\n[%s]" % (node.label, change_label(node)), attrs


@contextmanager
def _diagram(path: Path, title: str) -> Iterator[Any]:
    from diagrams import Diagram

    graph_attr = {
        "fontsize": "20",
        "pad": "0.5",
        "labelloc": "t",
        "splines": "spline",
        "nodesep": "0.5",
        "ranksep": "1.0",
    }
    with Diagram(title, filename=str(path), outformat=list(FORMATS), show=False, direction="LR",
                 graph_attr=graph_attr) as diagram:  # fmt: skip
        yield diagram


def render(graph: Graph, directory: Path, stem: str) -> list[Path]:
    """Draw ``graph`` into ``directory/<stem>.svg`` and ``.png`` (AWS icons; SVG icons embedded)."""
    require_graphviz()
    import importlib

    import graphviz
    from diagrams import Cluster as DCluster
    from diagrams import Edge as DEdge

    directory.mkdir(parents=True, exist_ok=True)
    children: dict[str | None, list[Cluster]] = {}
    for cluster in graph.clusters.values():
        children.setdefault(cluster.parent, []).append(cluster)
    members: dict[str | None, list[Node]] = {}
    for node in graph.nodes.values():
        members.setdefault(node.cluster, []).append(node)
    drawn: dict[str, Any] = {}

    def draw_nodes(cluster_id: str | None) -> None:
        for node in sorted(members.get(cluster_id, []), key=lambda n: n.id):
            module, name = ICONS.get(node.kind, ICONS["other"])
            icon = getattr(importlib.import_module(module), name)
            label, attrs = _styled_label(node)
            drawn[node.id] = icon(label, nodeid=node.id, **attrs)
        for child in sorted(children.get(cluster_id, []), key=lambda c: c.id):
            # explicit on every cluster: a nested cluster would otherwise inherit a marked parent's colours
            attrs = {
                "fontsize": "14",
                "pencolor": "#AEB6BE",
                "fontcolor": "#2D3436",
                "penwidth": "1",
                "style": "rounded",
            }
            label = child.label
            if child.change:
                colour = ACTION_STYLE[child.change][1]
                label = "%s [%s]" % (label, change_label(child))
                attrs.update(pencolor=colour, fontcolor=colour, penwidth="3", style="rounded,bold")
            with DCluster(label, graph_attr=attrs) as sub:
                sub.name = child.id
                sub.dot.name = child.id  # unique subgraph names, whatever the labels
                draw_nodes(child.id)

    try:
        with _diagram(directory / stem, graph.title):
            draw_nodes(None)
            for edge in sorted(graph.edges, key=lambda e: (e.source, e.target, e.label)):
                drawn[edge.source] >> DEdge(label=edge.label) >> drawn[edge.target]
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError) as exc:
        raise DiagramError("graphviz could not draw %s: %s" % (relative(directory / stem), exc)) from None
    svg = directory / ("%s.svg" % stem)
    _embed_icons(svg)
    return [directory / ("%s.%s" % (stem, fmt)) for fmt in FORMATS]


def _embed_icons(svg: Path) -> None:
    """Replace the icons' file paths in ``svg`` by data URIs, so the file shows anywhere."""
    text = svg.read_text()

    def inline(match: re.Match[str]) -> str:
        path = Path(match.group(2))
        if not path.is_file():
            return match.group(0)
        return '%s"data:image/png;base64,%s"' % (match.group(1), base64.b64encode(path.read_bytes()).decode())

    svg.write_text(re.sub(r'(xlink:href=)"([^"]+\.png)"', inline, text))


def write(graph: Graph, directory: Path, stem: str) -> list[Path]:
    """``<stem>.json`` (the model) and, through graphviz, ``<stem>.svg`` and ``<stem>.png``."""
    directory.mkdir(parents=True, exist_ok=True)
    model = directory / ("%s.json" % stem)
    model.write_text(graph.to_json())
    return [model, *render(graph, directory, stem)]


# --------------------------------------------------------------------------------------------
# make plan: the plan's diagram next to summary.md
# --------------------------------------------------------------------------------------------

PLAN_STEM = "diagram"


def write_plan_diagram(env_name: str, out: Path, folder: Path, plans: Mapping[str, Mapping[str, Any]],
                       log: TextIO = sys.stdout) -> str:  # fmt: skip
    """Draw ``env_name``'s stacks with ``plans``' changes marked into ``folder/diagram.*``.

    Returns the line ``summary.md`` shows: a link to the diagram, or why it was skipped. Without
    graphviz the plan is unaffected: one line on ``log`` says the diagram was skipped and why.
    """
    for stale in (folder / ("%s.%s" % (PLAN_STEM, ext)) for ext in ("json", *FORMATS)):
        stale.unlink(missing_ok=True)
    actions: dict[str, str] = {}
    for plan in plans.values():
        actions.update(plan_actions(plan))
    try:
        graph = mark(environment_graph(env_name, out), actions)
        graph.title = "%s: plan (%d resource%s change)" % (env_name, len(actions), "" if len(actions) == 1 else "s")
        (folder / ("%s.json" % PLAN_STEM)).parent.mkdir(parents=True, exist_ok=True)
        (folder / ("%s.json" % PLAN_STEM)).write_text(graph.to_json())
        render(graph, folder, PLAN_STEM)
    except DiagramError as exc:
        print("   diagram: skipped: %s" % exc, file=log)
        return "Diagram of the plan skipped: %s" % exc
    marked = changed_nodes(graph)
    print(
        "   diagram: %s (%d of %d parts marked)" % (folder / ("%s.svg" % PLAN_STEM), len(marked), len(graph.nodes)),
        file=log,
    )
    legend = ", ".join("%s %s" % (colour_name, ACTION_STYLE[a][0]) for a, colour_name in
                       (("create", "green"), ("update", "orange"), ("replace", "pink"), ("destroy", "red")))  # fmt: skip
    return (
        "Diagram of this plan: [%s.svg](%s.svg) ([png](%s.png)), next to this summary in plans/%s/; changed parts are marked: %s."
        % (
            PLAN_STEM,
            PLAN_STEM,
            PLAN_STEM,
            env_name,
            legend,
        )
    )


# --------------------------------------------------------------------------------------------
# make diagram
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.diagram", description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="local", help="environment name (default: local)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="synth output directory")
    parser.add_argument(
        "--dir", type=Path, default=None, help="where <env>.svg/.png/.json go (default: .build/diagram)"
    )
    parser.add_argument("--docs", action="store_true", help="write into docs/diagram/ (the checked-in picture)")
    parser.add_argument(
        "--config", type=Path, default=None, help="environments file (default: envconfig/environments.toml)"
    )
    parser.add_argument("--no-synth", action="store_true", help="draw cdktf.out as it is, without synthesizing first")
    args = parser.parse_args(argv)
    from ops import context
    from ops import synth as synth_step

    directory = DOCS_DIR if args.docs else (args.dir or DEFAULT_DIR)
    try:
        context.load_config(args.env, args.config)  # an unknown environment fails here, naming the known ones
        require_graphviz()
        if not args.no_synth:
            print("==> synth", flush=True)
            synth_step.run(args.out, sys.stdout, args.config)
        graph = environment_graph(args.env, args.out)
        files = write(graph, directory, args.env)
    except OpsError as exc:
        print("diagram: error: %s" % exc, file=sys.stderr)
        return 1
    for path in files:
        print("   %s" % relative(path))
    print("diagram of %s: %d parts, %d connections" % (args.env, len(graph.nodes), len(graph.edges)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
