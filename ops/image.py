"""Build, tag and push the app's image: ``make build`` / ``make push`` (see docs/image.md).

Example::

    python -m ops.image build --name flask-app                        # flask-app:<short sha>
    python -m ops.image push --name flask-app --env dev                # ECR repo of dev-registry
    python -m ops.image push --name flask-app --registry 127.0.0.1:5000  # any registry

Rules:

* The tag is the short git sha of HEAD. A tree whose build inputs (Dockerfile,
  .dockerignore, requirements-app.txt, app/) differ from HEAD is refused, unless
  ``--allow-dirty``; the tag is then ``<sha>-dirty-<hash>``, the hash a content hash of the
  uncommitted build inputs (untracked ones included), so it can never pass for the commit and
  two different uncommitted trees never share a tag. ``latest`` is never used.
* The image is built for the platform of the environment's tasks (``--env``: every workload's
  ``container.cpu_architecture``, ``linux/amd64`` or ``linux/arm64``), and the built image's
  platform is checked.
* The Docker build needs no network: the pinned wheels of requirements-app.txt are
  downloaded first into .build/wheels (for CPython 3.11 on x86_64 and aarch64),
  and the legacy builder runs with ``--network none``.
* ``push`` finds the repository URL in the ``<env>-registry`` stack's Terraform
  outputs (``repository_url``) or, without state, computes
  ``<account>.dkr.ecr.<region>.amazonaws.com/<app>-<env>`` from STS and the
  environment's region; it logs in with ``aws ecr get-login-password | docker login
  --password-stdin`` (boto3's GetAuthorizationToken when the aws CLI is missing),
  checks whether the tag is already there (:mod:`ops.image_remote`: the same image skips the
  push, another image stops it), pushes, and prints the pushed digest. ``--registry host:port`` pushes to
  ``host:port/<name>`` instead, logging in only when REGISTRY_USER and
  REGISTRY_PASSWORD are set.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops import image_remote
from ops.context import REPO_ROOT, OpsError
from rules.images import BUILD_INPUTS, DIFF_HASH_LENGTH, deploy_tag, image_platform, tag_problem

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig

WHEEL_DIR = Path(".build/wheels")
WHEEL_PYTHON_VERSION = "3.11"
WHEEL_PLATFORMS = ("manylinux2014_x86_64", "manylinux2014_aarch64")

_REGISTRY_RE = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
_NAME_RE = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
_ECR_URL_RE = re.compile(r"^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/\S+$")
_DIGEST_RE = re.compile(r"digest: (sha256:[0-9a-f]{64})")


class ImageError(OpsError):
    """A build or push step cannot go on; the message says why and what to do."""


# ---- names and tags -----------------------------------------------------------------------


def validate_tag(tag: str) -> str:
    """``tag`` when it may be deployed (:func:`rules.images.tag_problem`), else ImageError."""
    problem = tag_problem(tag)
    if problem:
        raise ImageError(problem)
    return tag


def validate_name(name: str) -> str:
    if not _NAME_RE.fullmatch(name):
        raise ImageError(f"IMAGE_NAME={name!r} is not valid; allowed: lower-case letters, digits, '.', '_', '-', '/'")
    return name


def validate_registry(registry: str) -> str:
    if not _REGISTRY_RE.fullmatch(registry):
        raise ImageError(f"REGISTRY={registry!r} is not valid; allowed: host or host:port, e.g. 127.0.0.1:5000")
    return registry


def _git(root: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ImageError("git is not installed; the image tag is the short git sha") from None
    if result.returncode != 0:
        raise ImageError(f"git {' '.join(args)} failed in {root}: {result.stderr.strip()}")
    return result.stdout


def short_sha(root: Path = REPO_ROOT) -> str:
    return _git(root, "rev-parse", "--short", "HEAD").strip()


def dirty_inputs(root: Path = REPO_ROOT) -> list[str]:
    """Build inputs that differ from HEAD (modified, staged, deleted or untracked; both paths of a rename)."""
    out = _git(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", *BUILD_INPUTS)
    fields = out.split("\0")
    paths: list[str] = []
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if len(entry) < 4:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC" or entry[1] in "RC":  # -z: the source path follows as its own field
            paths.append(fields[i])
            i += 1
    return paths


def diff_hash(root: Path, paths: Sequence[str]) -> str:
    """Content hash of the uncommitted build inputs ``paths`` (from :func:`dirty_inputs`).

    Each path counts with what the build would copy: the file's bytes and whether it is executable,
    a symlink's target, or its absence (deleted). Together with the commit sha in the tag this names
    the uncommitted tree exactly: the same changes give the same hash, any other change another one.
    """
    h = hashlib.sha256()
    for path in sorted(set(paths)):
        file = root / path
        if file.is_symlink():
            state = "link:" + os.readlink(file)
        elif file.is_file():
            executable = "x" if os.access(file, os.X_OK) else "-"
            state = "file%s:%s" % (executable, hashlib.sha256(file.read_bytes()).hexdigest())
        else:
            state = "deleted"
        h.update(("%s\0%s\n" % (path, state)).encode())
    return h.hexdigest()[:DIFF_HASH_LENGTH]


def image_tag(root: Path = REPO_ROOT, *, allow_dirty: bool = False) -> str:
    """The deploy tag: the short sha of HEAD, or ``<sha>-dirty-<hash>`` with allow_dirty on a dirty tree.

    The one tag computation: ``make build``/``make push``, deploy, plan and apply all call it;
    the rules (shape, ``latest``, the dirty tree) are :mod:`rules.images`.
    """
    dirty = dirty_inputs(root)
    try:
        return deploy_tag(short_sha(root), dirty=dirty, allow_dirty=allow_dirty,
                          diff_hash=diff_hash(root, dirty) if dirty and allow_dirty else None)
    except ValueError as exc:
        raise ImageError(str(exc)) from None


# ---- wheels ------------------------------------------------------------------------------


def _wheel_key(requirements: Path, python_version: str, platforms: Sequence[str]) -> str:
    h = hashlib.sha256(requirements.read_bytes())
    h.update(f"{python_version}|{','.join(platforms)}".encode())
    return h.hexdigest()[:16]


def download_wheels(
    requirements: Path,
    dest: Path,
    *,
    python_version: str = WHEEL_PYTHON_VERSION,
    platforms: Sequence[str] = WHEEL_PLATFORMS,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> Path:
    """Download the pinned wheels (binary only, no dependency resolution) into ``dest``.

    Skips the download when ``dest`` already holds the wheels for the same
    requirements, Python version and platforms.
    """
    key = _wheel_key(requirements, python_version, platforms)
    stamp = dest / f".stamp-{key}"
    if stamp.exists():
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for platform in platforms:
        result = run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "--only-binary=:all:", "--no-deps", "--implementation", "cp", "--python-version", python_version,
             "--platform", platform, "--dest", str(dest), "-r", str(requirements)],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise ImageError(f"pip download of {requirements} for {platform} failed:\n{result.stderr.strip()[-2000:]}")
    stamp.touch()
    return dest


# ---- docker --------------------------------------------------------------------------------


def docker_binary() -> str:
    found = shutil.which("docker")
    if not found:
        raise ImageError("docker is not installed (Debian: apt-get install docker.io)")
    return found


def _docker(args: Sequence[str], *, input_text: str | None = None, check: bool = True,
            capture: bool = True, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [docker_binary(), *args], input=input_text, text=True, check=False,
        capture_output=capture, env=dict(env) if env is not None else None,
    )
    if check and result.returncode != 0:
        detail = ((result.stderr or "") + (result.stdout or "")).strip()[-2000:] if capture else ""
        raise ImageError(f"docker {args[0]} failed (exit {result.returncode}){': ' + detail if detail else ''}")
    return result


def platform_for(env: EnvironmentConfig) -> str:
    """``linux/amd64`` or ``linux/arm64``: the platform of the environment's tasks (every workload's
    ``container.cpu_architecture``; :func:`rules.images.image_platform`)."""
    architectures = {"container": env.container.cpu_architecture}
    architectures.update({"workloads.%s.container" % n: w.container.cpu_architecture for n, w in env.workloads.items()})
    try:
        return image_platform(architectures)
    except ValueError as exc:
        raise ImageError("ENV=%s: %s" % (env.name, exc)) from None


def build(*, name: str, tag: str, base_image: str | None, platform: str, root: Path = REPO_ROOT) -> str:
    """``docker build --platform`` with the legacy builder and no network; returns the image id.

    The legacy builder of some engines (Debian's dockerd 20.10) accepts ``--platform`` and still
    builds for the base image's platform when that image is local, so the built image's
    ``Os/Architecture`` is checked against ``platform`` afterwards.
    """
    validate_name(name)
    validate_tag(tag)
    download_wheels(root / "requirements-app.txt", root / WHEEL_DIR)
    args = ["build", "--network", "none", "--platform", platform, "--tag", f"{name}:{tag}",
            "--build-arg", f"APP_VERSION={tag}"]  # fmt: skip
    if base_image:
        args += ["--build-arg", f"BASE_IMAGE={base_image}"]
    args.append(str(root))
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    print(f"==> docker build --platform {platform} {name}:{tag} (base: {base_image or 'Dockerfile default'})", flush=True)
    _docker(args, capture=False, env=env)
    image_id, built = _docker(
        ["image", "inspect", "--format", "{{.Id}} {{.Os}}/{{.Architecture}}", f"{name}:{tag}"]
    ).stdout.split()
    if built != platform:
        _docker(["image", "rm", f"{name}:{tag}"], check=False)  # never pushed by mistake
        raise ImageError(
            f"docker built {name}:{tag} for {built}, but the tasks run {platform}: the engine ignored --platform"
            f" (the base image {base_image or 'of the Dockerfile'} is {built}); use a {platform} base image and an"
            f" engine that can run {platform} (natively, or with QEMU binfmt for cross-builds), or build on a"
            f" {platform} machine; the tag {name}:{tag} was removed"
        )
    print(f"built {name}:{tag} ({image_id}, platform {built})")
    return image_id


# ---- registry URL and login -----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where to push: ``repository`` (host/path) and how to log in."""

    repository: str
    source: str  # how the repository URL was found, for the log line
    ecr_region: str | None = None  # set for ECR: log in with get-login-password

    @property
    def host(self) -> str:
        return self.repository.split("/", 1)[0]


def ecr_url(account: str, region: str, repository_name: str) -> str:
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{repository_name}"


def _registry_stack_outputs(env: EnvironmentConfig, out_dir: Path) -> tuple[dict[str, Any] | None, str]:
    from ops import aws, tf
    from ops.context import stack_dir as stack_directory
    from rules.stacks import registry_stack_name

    stack_dir = stack_directory(registry_stack_name(env.name), out_dir)
    if not stack_dir.is_dir():
        return None, f"{stack_dir} does not exist (not synthesized)"
    try:
        outputs = tf.Stack(stack_dir, env=aws.subprocess_env(env), log=sys.stderr).outputs()
    except tf.TerraformError as exc:
        return None, f"terraform output failed in {stack_dir}: {str(exc).splitlines()[0]}"
    if not outputs.get("repository_url"):
        return None, f"{stack_dir} has no repository_url output in its state (not applied)"
    return outputs, f"terraform output of {stack_dir.name}"


def resolve_target(*, env_name: str, name: str, registry: str | None, out_dir: Path,
                   account_lookup: Callable[[EnvironmentConfig], str] | None = None) -> Target:
    """The repository to push to: REGISTRY override, registry stack output, or computed ECR URL."""
    if registry:
        return Target(repository=f"{validate_registry(registry)}/{validate_name(name)}", source="REGISTRY")
    from envconfig import ConfigError, load_environment
    from rules.naming import LIMITS

    try:
        env = load_environment(env_name)
    except ConfigError as exc:
        raise ImageError(str(exc)) from None
    if env.emulator:
        raise ImageError(
            f"ENV={env_name} runs against the local AWS emulator, which has no image registry; "
            "pass REGISTRY=host:port (e.g. a local registry) to push there"
        )
    outputs, why = _registry_stack_outputs(env, out_dir)
    if outputs is not None:
        url = str(outputs["repository_url"])
        if not _ECR_URL_RE.fullmatch(url):
            raise ImageError(f"{env_name}-registry output repository_url={url!r} is not an ECR repository URL")
        return Target(repository=url, source=why, ecr_region=env.region)
    account = (account_lookup or _sts_account)(env)
    url = ecr_url(account, env.region, env.physical_name(limit=LIMITS["ecr_repository"]))
    return Target(repository=url, source=f"computed from STS and region {env.region} ({why})", ecr_region=env.region)


def _sts_account(env: EnvironmentConfig) -> str:
    from ops import aws

    try:
        aws.require_credentials(env)  # the credentials act in env.account_id, or this raises
    except aws.CredentialsError as exc:
        raise ImageError(f"cannot compute the ECR repository URL: {exc}") from None
    return str(env.account_id)


def login_ecr(target: Target, env_name: str) -> None:
    """``aws ecr get-login-password | docker login --password-stdin``; boto3 if the CLI is missing."""
    assert target.ecr_region is not None
    from envconfig import load_environment
    from ops import aws

    env = load_environment(env_name)
    proc_env = aws.subprocess_env(env)
    aws_cli = shutil.which("aws")
    docker = docker_binary()
    login = [docker, "login", "--username", "AWS", "--password-stdin", target.host]
    if aws_cli:
        print(f"==> aws ecr get-login-password | docker login --password-stdin {target.host}", flush=True)
        with subprocess.Popen([aws_cli, "ecr", "get-login-password", "--region", target.ecr_region],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=proc_env) as get_pw:
            assert get_pw.stdout is not None
            result = subprocess.run(login, stdin=get_pw.stdout, capture_output=True, text=True, check=False)
            get_pw.stdout.close()
            err = get_pw.stderr.read().decode(errors="replace") if get_pw.stderr else ""
            get_pw.wait()
        if get_pw.returncode != 0:
            raise ImageError(f"aws ecr get-login-password failed (exit {get_pw.returncode}): {err.strip()[-1000:]}")
    else:
        print(f"==> boto3 ecr.get_authorization_token | docker login --password-stdin {target.host} "
              "(aws CLI not found)", flush=True)
        token = aws.client(env, "ecr").get_authorization_token()["authorizationData"][0]["authorizationToken"]
        user, _, password = base64.b64decode(token).decode().partition(":")
        result = subprocess.run([docker, "login", "--username", user, "--password-stdin", target.host],
                                input=password, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ImageError(f"docker login {target.host} failed: {(result.stderr or result.stdout).strip()[-1000:]}")


def login_registry(host: str, user: str, password: str) -> None:
    print(f"==> docker login --password-stdin {host} (as {user})", flush=True)
    _docker(["login", "--username", user, "--password-stdin", host], input_text=password)


# ---- push ------------------------------------------------------------------------------------


def parse_push_digest(output: str) -> str | None:
    found = _DIGEST_RE.findall(output)
    return found[-1] if found else None


def require_local_image(name: str, tag: str) -> str:
    local = f"{name}:{tag}"
    result = _docker(["image", "inspect", local], check=False)
    if result.returncode != 0:
        if "Cannot connect to the Docker daemon" in (result.stderr or ""):
            raise ImageError(f"the Docker daemon is not reachable: {result.stderr.strip()}")
        raise ImageError(f"image {local} does not exist locally; run `make build` first")
    return local


def remote_image(target: Target, tag: str, *, env_name: str, registry_user: str | None = None,
                 registry_password: str | None = None) -> image_remote.RemoteImage | None:
    """What the repository holds under ``tag`` (ECR's BatchGetImage, or the registry's v2 API), or None."""
    if target.ecr_region is None:
        return image_remote.registry_image(target.repository, tag, user=registry_user, password=registry_password,
                                           scheme=image_remote.registry_scheme(target.host))  # fmt: skip
    from botocore.exceptions import BotoCoreError, ClientError

    from envconfig import load_environment
    from ops import aws

    name = image_remote.repository_name(target.repository)
    try:
        client = aws.client(load_environment(env_name), "ecr")
        return image_remote.ecr_image(client, name, tag, image_remote.registry_id(target.repository))
    except (ClientError, BotoCoreError) as exc:
        raise ImageError(f"cannot check whether {target.repository}:{tag} exists (ECR BatchGetImage): {exc}") from None


def push(*, name: str, tag: str, target: Target, env_name: str,
         registry_user: str | None = None, registry_password: str | None = None) -> str:
    """Tag ``name:tag`` as ``<repository>:tag``, push it and return the pushed digest.

    First checks whether the repository already holds ``tag`` (:mod:`ops.image_remote`): the same
    image skips the push (and returns the digest there), another image stops with an ImageError.
    """
    validate_tag(tag)
    local = require_local_image(name, tag)
    if target.ecr_region is not None:
        login_ecr(target, env_name)
    elif registry_user and registry_password:
        login_registry(target.host, registry_user, registry_password)
    elif registry_user or registry_password:
        raise ImageError("set both REGISTRY_USER and REGISTRY_PASSWORD, or neither")
    remote = f"{target.repository}:{tag}"
    existing = remote_image(target, tag, env_name=env_name, registry_user=registry_user,
                            registry_password=registry_password)  # fmt: skip
    decision = image_remote.decide(image_remote.local_image(local, docker_binary()), existing,
                                   repository=target.repository, tag=tag)  # fmt: skip
    print(decision.message, flush=True)
    if decision.action == "skip" and decision.digest:
        print(f"digest {decision.digest}")
        print(f"image  {target.repository}@{decision.digest}")
        return decision.digest
    print(f"==> docker push {remote} (repository from {target.source})", flush=True)
    _docker(["tag", local, remote])
    result = _docker(["push", remote])
    sys.stdout.write(result.stdout)
    digest = parse_push_digest(result.stdout)
    if digest is None:
        repo_digests = _docker(["image", "inspect", "--format", "{{range .RepoDigests}}{{println .}}{{end}}",
                                remote]).stdout.split()
        digest = next((d.split("@", 1)[1] for d in repo_digests if d.startswith(target.repository + "@")), None)
    if digest is None:
        raise ImageError(f"pushed {remote} but could not read its digest")
    print(f"pushed {remote}")
    print(f"digest {digest}")
    print(f"image  {target.repository}@{digest}")
    return digest


# ---- CLI -------------------------------------------------------------------------------------


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.image", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_tag = sub.add_parser("tag", help="print the deploy tag (short git sha)")
    p_build = sub.add_parser("build", help="build <name>:<short sha> with the legacy builder")
    p_push = sub.add_parser("push", help="push <name>:<tag> and print the digest")
    sub.add_parser("wheels", help="download the pinned wheels into .build/wheels")
    for p in (p_tag, p_build, p_push):
        p.add_argument("--allow-dirty", action="store_true", default=_truthy(os.environ.get("ALLOW_DIRTY")),
                       help="accept build inputs that differ from HEAD (tag <sha>-dirty-<hash>)")
        p.add_argument("--tag", default=os.environ.get("IMAGE_TAG") or None, help="override the tag (never 'latest')")
    for p in (p_build, p_push):
        p.add_argument("--name", default=os.environ.get("IMAGE_NAME") or "flask-app", help="local image name")
    p_build.add_argument("--base-image", default=os.environ.get("BASE_IMAGE") or None,
                         help="base image for both stages (default: the Dockerfile's pinned python slim)")
    p_build.add_argument("--env", default=os.environ.get("ENV") or "local",
                         help="environment whose tasks' cpu_architecture sets --platform")
    p_push.add_argument("--env", default=os.environ.get("ENV") or "local", help="environment (its <env>-registry)")
    p_push.add_argument("--registry", default=os.environ.get("REGISTRY") or None,
                        help="push to host:port/<name> instead of the environment's ECR repository")
    p_push.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or "cdktf.out"),
                        help="synth output directory")
    args = parser.parse_args(argv)
    try:
        if args.command == "wheels":
            print(download_wheels(REPO_ROOT / "requirements-app.txt", REPO_ROOT / WHEEL_DIR))
            return 0
        tag = validate_tag(args.tag) if args.tag else image_tag(allow_dirty=args.allow_dirty)
        if args.command == "tag":
            print(tag)
        elif args.command == "build":
            from envconfig import ConfigError, load_environment

            try:
                env = load_environment(args.env)
            except ConfigError as exc:
                raise ImageError(str(exc)) from None
            platform = platform_for(env)
            print(f"platform {platform} (the tasks' cpu_architecture in ENV={env.name})", flush=True)
            build(name=args.name, tag=tag, base_image=args.base_image, platform=platform)
        elif args.command == "push":
            require_local_image(args.name, tag)  # before any AWS call
            target = resolve_target(env_name=args.env, name=args.name, registry=args.registry, out_dir=args.out)
            push(name=args.name, tag=tag, target=target, env_name=args.env,
                 registry_user=os.environ.get("REGISTRY_USER") or None,
                 registry_password=os.environ.get("REGISTRY_PASSWORD") or None)
    except OpsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
