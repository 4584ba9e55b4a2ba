"""Before a push: is the tag already in the repository, and is it the same image?

Example::

    from ops import image_remote
    local = image_remote.local_image("flask-app:3f9c2ab")                 # docker image inspect
    remote = image_remote.ecr_image(ecr_client, "flask-app-dev", "3f9c2ab")  # or registry_image(...)
    decision = image_remote.decide(local, remote, repository=url, tag="3f9c2ab")
    # decision.action: "push" (tag absent), "skip" (same image), or ImageError (another image)

The repositories' tags are immutable and a tag is never reused, so a push of a tag that exists
either has nothing to do (the same image) or must stop (another image under that name).

How the local image is compared before it is pushed: Docker writes the registry manifest, and so
learns the image's registry digest, only while pushing (the layers are compressed then); after a
push or a pull ``docker image inspect`` lists it in ``RepoDigests``. Before that the comparison
uses the image's config: a registry manifest names its image config blob by digest
(``config.digest``), and for an image pushed by Docker Engine that blob is the image's config as
the engine holds it, whose digest is the local image id. So the tag holds the same image when

* one of the local ``RepoDigests`` of this repository is the tag's manifest digest, or
* the local image id is the manifest's ``config.digest`` (same config: same layers, by their
  uncompressed ``diff_ids``, and the same metadata), or
* the local image id is the manifest digest itself (engines with the containerd image store,
  whose image id is the manifest's digest).

Anything else is another image. The tag's manifest comes from ECR's ``BatchGetImage`` (its digest
is ECR's ``imageDigest``), or from a plain registry's ``GET /v2/<name>/manifests/<tag>`` (its
``Docker-Content-Digest`` header), with basic or bearer-token auth.
"""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from ops.context import OpsError

#: Manifest media types this project's images are pushed as (Docker schema 2, OCI), and the lists
#: (multi-platform) a registry may answer with.
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
)


class RemoteCheckError(OpsError):
    """The tag check itself failed (registry unreachable, unexpected answer); nothing was pushed."""


@dataclass(frozen=True)
class LocalImage:
    """A local image: ``docker image inspect``'s ``Id`` and ``RepoDigests`` (``repo@sha256:...``)."""

    id: str
    repo_digests: tuple[str, ...] = ()

    def registry_digest(self, repository: str) -> str | None:
        """The manifest digest this image has in ``repository``, when Docker knows it (pushed or pulled)."""
        for reference in self.repo_digests:
            repo, _, digest = reference.partition("@")
            if repo == repository:
                return digest
        return None


@dataclass(frozen=True)
class RemoteImage:
    """What a repository holds under a tag: the manifest digest and the config digest it names."""

    digest: str
    config_digest: str | None = None


@dataclass(frozen=True)
class TagDecision:
    action: str  # "push" or "skip"
    message: str
    digest: str | None = None  # the tag's digest in the repository, when it is there


def decide(local: LocalImage, remote: RemoteImage | None, *, repository: str, tag: str) -> TagDecision:
    """Push, skip (the same image is there), or ImageError (another image holds the tag)."""
    from ops.image import ImageError

    ref = "%s:%s" % (repository, tag)
    if remote is None:
        return TagDecision("push", "%s is not in the repository yet; pushing" % ref)
    known = local.registry_digest(repository)
    if remote.digest == known:
        how = "the local image's registry digest"
    elif local.id in (remote.config_digest, remote.digest):
        how = (
            "config digest %s = the local image id" % local.id
            if local.id == remote.config_digest
            else "the local image id"
        )
    else:
        local_text = "registry digest %s, image id %s" % (known, local.id) if known else "image id %s" % local.id
        remote_text = (
            "digest " + remote.digest + (", config digest %s" % remote.config_digest if remote.config_digest else "")
        )
        raise ImageError(
            "%s already exists with another image: the repository has %s; the local image has %s. Tags are"
            " immutable and never reused; nothing was pushed. To deploy the image already there: SKIP_IMAGE=1"
            " IMAGE_TAG=%s; to ship this build: commit the change for a new sha (or ALLOW_DIRTY=1 for a"
            " <sha>-dirty-<hash> tag outside production) and build again" % (ref, remote_text, local_text, tag)
        )
    return TagDecision(
        "skip",
        "%s already exists with the same image (%s, %s); push skipped" % (ref, remote.digest, how),
        digest=remote.digest,
    )


# ---- the local image -----------------------------------------------------------------------


def local_image(reference: str, docker: str = "docker") -> LocalImage:
    """``docker image inspect`` of ``reference``: its id and RepoDigests."""
    from ops.image import ImageError

    result = subprocess.run([docker, "image", "inspect", "--format", "{{json .}}", reference],
                            capture_output=True, text=True, check=False)  # fmt: skip
    if result.returncode != 0:
        raise ImageError("docker image inspect %s failed: %s" % (reference, result.stderr.strip()[-500:]))
    data = json.loads(result.stdout)
    return LocalImage(id=str(data["Id"]), repo_digests=tuple(data.get("RepoDigests") or ()))


# ---- ECR -------------------------------------------------------------------------------------


def _config_digest(manifest_text: str | None) -> str | None:
    if not manifest_text:
        return None
    try:
        manifest = json.loads(manifest_text)
    except ValueError:
        return None
    config = manifest.get("config") if isinstance(manifest, dict) else None
    digest = config.get("digest") if isinstance(config, dict) else None
    return str(digest) if digest else None


def ecr_image(client: Any, repository_name: str, tag: str, registry_id: str | None = None) -> RemoteImage | None:
    """The image ECR holds under ``tag`` in ``repository_name`` (``BatchGetImage``), or None."""
    ids = {"registryId": registry_id} if registry_id else {}
    answer = client.batch_get_image(repositoryName=repository_name, imageIds=[{"imageTag": tag}],
                                    acceptedMediaTypes=list(MANIFEST_TYPES), **ids)  # fmt: skip
    images = answer.get("images") or []
    if not images:
        failures = answer.get("failures") or []
        codes = {f.get("failureCode") for f in failures}
        if failures and not codes <= {"ImageNotFound", "ImageTagDoesNotMatchDigest"}:
            raise RemoteCheckError("ECR BatchGetImage %s:%s failed: %s" % (repository_name, tag, failures))
        return None
    found = images[0]
    return RemoteImage(
        digest=str(found["imageId"]["imageDigest"]), config_digest=_config_digest(found.get("imageManifest"))
    )


# ---- a plain registry (Docker registry HTTP API v2) -------------------------------------------


def _challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.partition(" ")
    params: dict[str, str] = {}
    for part in rest.split(","):
        key, _, value = part.strip().partition("=")
        if key:
            params[key.lower()] = value.strip('"')
    return scheme.lower(), params


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def registry_image(
    repository: str,
    tag: str,
    *,
    user: str | None = None,
    password: str | None = None,
    scheme: str = "http",
    timeout: float = 30.0,
) -> RemoteImage | None:
    """The image ``host:port/name`` holds under ``tag`` (``GET /v2/<name>/manifests/<tag>``), or None.

    ``scheme`` is ``http`` for a registry on the loopback address (as Docker itself treats it) and
    ``https`` elsewhere; auth is HTTP basic, or a bearer token from the realm the registry names.
    """
    host, _, name = repository.partition("/")
    url = "%s://%s/v2/%s/manifests/%s" % (scheme, host, name, urllib.parse.quote(tag))
    headers = {"Accept": ", ".join(MANIFEST_TYPES)}
    for attempt in range(2):
        request = urllib.request.Request(url, headers=headers, method="GET")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read().decode()
                digest = response.headers.get("Docker-Content-Digest")
                if not digest:
                    raise RemoteCheckError("%s answered without a Docker-Content-Digest header" % url)
                return RemoteImage(digest=digest, config_digest=_config_digest(body))
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            if exc.code == 401 and attempt == 1:
                raise RemoteCheckError("GET %s: the registry refused the credentials (HTTP 401)" % url) from None
            if exc.code == 401:
                headers["Authorization"] = _authorization(
                    exc.headers.get("WWW-Authenticate", ""), user, password, url, timeout
                )
                continue
            raise RemoteCheckError(
                "GET %s answered HTTP %d: %s" % (url, exc.code, exc.read().decode(errors="replace")[:300])
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            raise RemoteCheckError("cannot reach %s: %s" % (url, exc)) from None
    raise AssertionError("unreachable: the second attempt returns or raises")


def _authorization(challenge: str, user: str | None, password: str | None, url: str, timeout: float) -> str:
    scheme, params = _challenge(challenge)
    if scheme == "basic":
        if not (user and password):
            raise RemoteCheckError("%s needs credentials (HTTP 401); set REGISTRY_USER and REGISTRY_PASSWORD" % url)
        return _basic(user, password)
    if scheme == "bearer" and params.get("realm"):
        query = {k: v for k, v in params.items() if k in ("service", "scope")}
        token_url = params["realm"] + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(
            token_url, headers={"Authorization": _basic(user, password)} if user and password else {}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answer = json.loads(response.read().decode())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise RemoteCheckError("cannot get a registry token from %s: %s" % (params["realm"], exc)) from None
        token = answer.get("token") or answer.get("access_token")
        if not token:
            raise RemoteCheckError("the registry token service %s answered no token" % params["realm"])
        return "Bearer " + str(token)
    raise RemoteCheckError(
        "%s answered HTTP 401 with an auth challenge this check cannot follow: %r" % (url, challenge)
    )


def registry_scheme(host: str) -> str:
    """``http`` for a registry on the loopback address (Docker's insecure default), else ``https``."""
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    return "http" if name in ("127.0.0.1", "localhost", "[::1]") or name.startswith("127.") else "https"


def repository_name(repository: str) -> str:
    """``<account>.dkr.ecr.<region>.amazonaws.com/<name>`` -> ``<name>``."""
    return repository.split("/", 1)[1]


def registry_id(repository: str) -> str:
    """The account id of an ECR repository URL (its first host label)."""
    return repository.split(".", 1)[0]
