"""Validate data against a shape of botocore's ECS service model (the API's own schema).

Example::

    from tests.ecs_shapes import container_definition_shape, validate
    validate({"name": "app", "imgae": "x"}, container_definition_shape())
    # ["$.imgae: unknown key; allowed: cpu, command, ..."]

The walk is recursive over structures, lists and maps; scalars are checked for their type,
enums for their values, structures for unknown and missing required keys. Values that are
Terraform interpolations (``${...}``) are accepted wherever a string is expected.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore.loaders import create_loader
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape


@cache
def ecs_model() -> ServiceModel:
    return ServiceModel(create_loader().load_service_model("ecs", "service-2"), "ecs")


def register_task_definition_input() -> StructureShape:
    shape = ecs_model().operation_model("RegisterTaskDefinition").input_shape
    assert isinstance(shape, StructureShape)
    return shape


def container_definition_shape() -> StructureShape:
    member = register_task_definition_input().members["containerDefinitions"]
    assert isinstance(member, ListShape)
    shape = member.member
    assert isinstance(shape, StructureShape) and shape.name == "ContainerDefinition"
    return shape


def validate(value: Any, shape: Shape, path: str = "$") -> list[str]:
    """Problems with ``value`` as an instance of ``shape``; empty when it conforms."""
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            return ["%s: expected an object (%s), got %s" % (path, shape.name, type(value).__name__)]
        problems = []
        for key in value:
            if key not in shape.members:
                problems.append("%s.%s: unknown key; allowed: %s" % (path, key, ", ".join(sorted(shape.members))))
        for key in shape.required_members:
            if key not in value:
                problems.append("%s.%s: required key is missing" % (path, key))
        for key, item in value.items():
            if key in shape.members:
                problems += validate(item, shape.members[key], "%s.%s" % (path, key))
        return problems
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            return ["%s: expected a list, got %s" % (path, type(value).__name__)]
        return [p for i, item in enumerate(value) for p in validate(item, shape.member, "%s[%d]" % (path, i))]
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            return ["%s: expected a map, got %s" % (path, type(value).__name__)]
        problems = []
        for key, item in value.items():
            problems += validate(key, shape.key, "%s{key %r}" % (path, key))
            problems += validate(item, shape.value, "%s[%r]" % (path, key))
        return problems
    if kind == "string":
        if not isinstance(value, str):
            return ["%s: expected a string, got %r" % (path, value)]
        enum = getattr(shape, "enum", None)
        if enum and value not in enum and not value.startswith("${"):
            return ["%s: %r is not one of %s" % (path, value, ", ".join(enum))]
        return []
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            return ["%s: expected an integer, got %r" % (path, value)]
        return []
    if kind == "boolean":
        return [] if isinstance(value, bool) else ["%s: expected a boolean, got %r" % (path, value)]
    if kind in ("double", "float"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return [] if ok else ["%s: expected a number, got %r" % (path, value)]
    return ["%s: shape type %s is not checked by this validator" % (path, kind)]
