#!/usr/bin/env bash
# make test-image: the CI proof of the image, with a real Docker engine and a real registry.
#
#  1. installs (apt, only what is missing) docker.io, docker-registry, debootstrap,
#     apache2-utils (htpasswd) and curl; hadolints the Dockerfile;
#  2. starts its own dockerd (overlay2, --iptables=false, own socket and exec root);
#  3. starts a registry on 127.0.0.1 with htpasswd (bcrypt) auth;
#  4. makes the local bookworm + python3 base image (scripts/image/base_image.sh, cached);
#  5. runs `make build BASE_IMAGE=<that image>` (--platform linux/amd64, the local environment's tasks);
#  6. runs the image the way the ECS task does (read-only root, /tmp tmpfs, no
#     capabilities) and waits for /health and for Docker's HEALTHCHECK to say healthy;
#  7. checks it runs as uid 10001, not root, and that its logs are JSON;
#  8. checks the registry refuses an anonymous push, then `make push REGISTRY=...`
#     (which logs in with --password-stdin) and reads the digest back from the registry API;
#     the manifest's config digest is the image id; a second push of the same image is
#     skipped, and another image under the same tag is refused;
#  9. deletes the local image, pulls it back by digest (same image id) and runs it again;
# 10. stops everything it started, by PID, on success and on failure (trap).
#
# The last line says what was proven. Environment knobs: IMAGE_NAME (flask-app),
# ALLOW_DIRTY=1 (build a -dirty tag from uncommitted app changes), TEST_IMAGE_DATA_ROOT
# (Docker data root kept between runs as a cache; default /var/lib/flask-app-test-image).
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=${PY:-.venv/bin/python}
MAKE_CMD=${MAKE:-make}
IMAGE_NAME=${IMAGE_NAME:-flask-app}
DATA_ROOT=${TEST_IMAGE_DATA_ROOT:-/var/lib/flask-app-test-image}
LABEL=flask-app.test-image=1
CONTAINER_PORT=3000
EXPECTED_UID=10001

STATE=$(mktemp -d /tmp/test-image.XXXXXX)
export DOCKER_HOST="unix://$STATE/docker.sock"
export DOCKER_CONFIG="$STATE/docker-config"   # registry credentials never land in ~/.docker
mkdir -p "$DOCKER_CONFIG"

pids=()        # processes this script started, stopped in reverse order
names=()       # their names, for the log
containers=()  # containers this script started
started=$(date +%s)

step() { printf '\n--- test-image [%3ds]: %s\n' "$(( $(date +%s) - started ))" "$*"; }
fail() { echo "test-image: FAILED: $*" >&2; exit 1; }

stop_pid() {  # pid name: SIGTERM, wait up to 30 s, then SIGKILL
  local pid=$1 name=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "test-image: $name (pid $pid) ignored SIGTERM for 30 s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  echo "test-image: stopped $name (pid $pid)"
}

cleanup() {
  local rc=$? i
  set +e
  trap - EXIT INT TERM
  if [ "$rc" -ne 0 ]; then
    for c in "${containers[@]}"; do
      echo "--- docker logs $c (tail)" >&2
      docker logs --tail 20 "$c" >&2 2>&1
    done
    for f in "$STATE"/dockerd.log "$STATE"/registry.log; do
      [ -s "$f" ] && { echo "--- $f (tail)" >&2; tail -n 20 "$f" >&2; }
    done
  fi
  for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1; done
  for (( i=${#pids[@]}-1; i>=0; i-- )); do stop_pid "${pids[i]}" "${names[i]}"; done
  rm -rf "$STATE"
  if [ "$rc" -ne 0 ]; then echo "test-image: FAILED (exit $rc) after $(( $(date +%s) - started )) s" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---- 1. packages and lint ---------------------------------------------------------------------
step "1/10 packages (apt, only what is missing) and hadolint"
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v curl >/dev/null || need+=(curl)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  # Keep the packages' maintainer scripts from starting a system dockerd or registry
  # (this lane runs its own): the standard Debian policy-rc.d hook, only for this install.
  policy_added=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy_added=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  [ -z "$policy_added" ] || rm -f /usr/sbin/policy-rc.d
fi
command -v docker >/dev/null || fail "no docker CLI after installing docker.io"
echo "dockerd: $(dockerd --version)"
echo "registry: $(docker-registry --version 2>&1 | head -n 1)"
scripts/image/hadolint.sh

# ---- 2. dockerd -------------------------------------------------------------------------------
step "2/10 dockerd (overlay2, --iptables=false) on $DOCKER_HOST"
mkdir -p "$DATA_ROOT"
dockerd --host "$DOCKER_HOST" --data-root "$DATA_ROOT" --exec-root "$STATE/exec" \
  --pidfile "$STATE/dockerd.pid" --storage-driver overlay2 --iptables=false --ip-forward=false \
  >"$STATE/dockerd.log" 2>&1 &
pids+=("$!"); names+=("dockerd")
for _ in $(seq 1 120); do
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
  kill -0 "${pids[-1]}" 2>/dev/null || fail "dockerd exited at start"
  sleep 0.5
done
docker version --format 'docker engine {{.Server.Version}}, client {{.Client.Version}}' || fail "dockerd did not answer in 60 s"
[ "$(docker info --format '{{.Driver}}')" = overlay2 ] || fail "storage driver is not overlay2"
# Containers left by a run that was killed before its trap ran.
stale=$(docker ps -aq --filter "label=$LABEL")
[ -z "$stale" ] || docker rm -f $stale >/dev/null

# ---- 3. registry with htpasswd auth -----------------------------------------------------------
REG_PORT=$(free_port)
REGISTRY="127.0.0.1:$REG_PORT"
REG_USER=ci
REG_PASSWORD=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
step "3/10 registry on $REGISTRY with htpasswd auth"
printf '%s' "$REG_PASSWORD" | htpasswd -Bin "$REG_USER" >"$STATE/htpasswd" 2>/dev/null
mkdir -p "$STATE/registry-data"
cat >"$STATE/registry.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $STATE/registry-data
  delete:
    enabled: true
http:
  addr: $REGISTRY
  secret: $("$PY" -c 'import secrets; print(secrets.token_hex(16))')
auth:
  htpasswd:
    realm: test-image
    path: $STATE/htpasswd
YAML
docker-registry serve "$STATE/registry.yml" >"$STATE/registry.log" 2>&1 &
pids+=("$!"); names+=("docker-registry")
for _ in $(seq 1 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/" || true)
  [ "$code" = 401 ] && break
  sleep 0.1
done
[ "$code" = 401 ] || fail "registry did not answer 401 (auth required) on /v2/, got '$code'"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "$REG_USER:$REG_PASSWORD" "http://$REGISTRY/v2/")
[ "$code" = 200 ] || fail "registry refused the htpasswd user (HTTP $code)"
echo "registry: /v2/ is 401 without credentials, 200 with them"

# ---- 4. base image ----------------------------------------------------------------------------
step "4/10 local bookworm + python3 base image (debootstrap, cached)"
BASE_IMAGE=$(scripts/image/base_image.sh)
echo "BASE_IMAGE=$BASE_IMAGE ($(docker run --rm "$BASE_IMAGE" python3 --version))"

# ---- 5. make build ----------------------------------------------------------------------------
TAG=$("$PY" -m ops.image tag)
step "5/10 make build BASE_IMAGE=$BASE_IMAGE (tag $TAG)"
"$MAKE_CMD" --no-print-directory build BASE_IMAGE="$BASE_IMAGE" IMAGE_NAME="$IMAGE_NAME"
LOCAL_REF="$IMAGE_NAME:$TAG"
IMAGE_ID=$(docker image inspect --format '{{.Id}}' "$LOCAL_REF")
[ "$(docker image inspect --format '{{.Os}}/{{.Architecture}}' "$LOCAL_REF")" = linux/amd64 ] \
  || fail "the image is not linux/amd64, the platform of the local environment's tasks"
[ "$(docker image inspect --format '{{.Config.User}}' "$LOCAL_REF")" = "$EXPECTED_UID:$EXPECTED_UID" ] \
  || fail "image USER is not $EXPECTED_UID:$EXPECTED_UID"
docker image inspect --format '{{json .Config.ExposedPorts}}' "$LOCAL_REF" | grep -q "\"$CONTAINER_PORT/tcp\"" \
  || fail "image does not EXPOSE $CONTAINER_PORT"
if docker image inspect "$IMAGE_NAME:latest" >/dev/null 2>&1 && \
   [ "$(docker image inspect --format '{{.Id}}' "$IMAGE_NAME:latest")" = "$IMAGE_ID" ]; then
  fail "the build tagged $IMAGE_NAME:latest"
fi

# ---- helpers for 6-9 --------------------------------------------------------------------------
run_app() {  # container-name host-port image: run it like the ECS task
  docker run -d --name "$1" --label "$LABEL" \
    --read-only --tmpfs /tmp:rw,nosuid,nodev,size=64m \
    --cap-drop ALL --security-opt no-new-privileges \
    -e APP_ENV=dev -e APP_NAME="$IMAGE_NAME" \
    -p "127.0.0.1:$2:$CONTAINER_PORT" "$3" >/dev/null
  containers+=("$1")
}

wait_healthy() {  # container-name host-port: /health 200 and HEALTHCHECK "healthy", 90 s at most
  local name=$1 port=$2 deadline=$(( $(date +%s) + 90 )) http=000 status=starting
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$(docker inspect --format '{{.State.Running}}' "$name")" = true ] || fail "container $name exited"
    http=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health" || true)
    status=$(docker inspect --format '{{.State.Health.Status}}' "$name")
    [ "$status" = unhealthy ] && fail "Docker HEALTHCHECK says $name is unhealthy"
    if [ "$http" = 200 ] && [ "$status" = healthy ]; then
      echo "$name: GET /health 200 and HEALTHCHECK healthy after $(( 90 - deadline + $(date +%s) )) s"
      return 0
    fi
    sleep 1
  done
  fail "$name not healthy in 90 s (GET /health: $http, HEALTHCHECK: $status)"
}

check_index() {  # host-port: GET / shows the tag and the environment
  curl -fsS "http://127.0.0.1:$1/" | "$PY" -c '
import json, sys
body = json.load(sys.stdin)
want = {"service": sys.argv[1], "version": sys.argv[2], "environment": "dev"}
assert body == want, f"GET / = {body}, want {want}"
print("GET / =", json.dumps(body))' "$IMAGE_NAME" "$TAG"
}

# ---- 6. run it, healthy -----------------------------------------------------------------------
APP_PORT=$(free_port)
C1="test-image-$$-built"
step "6/10 run $LOCAL_REF (read-only root, tmpfs /tmp, no capabilities) on 127.0.0.1:$APP_PORT"
run_app "$C1" "$APP_PORT" "$LOCAL_REF"
wait_healthy "$C1" "$APP_PORT"
check_index "$APP_PORT"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APP_PORT/ready")" = 200 ] || fail "/ready is not 200"

# ---- 7. non-root, read-only, JSON logs --------------------------------------------------------
step "7/10 runs as non-root; root filesystem read-only; logs are JSON"
uid=$(docker exec "$C1" id -u)
[ "$uid" = "$EXPECTED_UID" ] || fail "docker exec id -u = $uid, want $EXPECTED_UID"
pid1=$(docker exec "$C1" sh -c 'grep ^Uid: /proc/1/status' | awk '{print $2, $3, $4, $5}')
[ "$pid1" = "$EXPECTED_UID $EXPECTED_UID $EXPECTED_UID $EXPECTED_UID" ] || fail "PID 1 (gunicorn) uids are '$pid1'"
if docker exec "$C1" sh -c 'touch /srv/app/written 2>/dev/null'; then fail "the root filesystem is writable"; fi
echo "uid $uid; gunicorn master (PID 1) real/effective/saved/fs uid $pid1; writing /srv/app fails"
docker logs "$C1" 2>&1 | "$PY" -c '
import json, sys
docs = [json.loads(line) for line in sys.stdin if line.strip()]
access = [d for d in docs if d.get("logger") == "gunicorn.access"]
assert access and all(d.get("request_id") for d in access), "access lines without request_id"
print(f"{len(docs)} log lines, all JSON; {len(access)} access lines, each with a request_id")'

# ---- 8. push ----------------------------------------------------------------------------------
REPO="$REGISTRY/$IMAGE_NAME"
step "8/10 push to $REPO (htpasswd auth)"
docker tag "$LOCAL_REF" "$REPO:anonymous-check"
if docker push "$REPO:anonymous-check" >"$STATE/anon-push.log" 2>&1; then fail "the registry accepted an anonymous push"; fi
docker rmi "$REPO:anonymous-check" >/dev/null
echo "anonymous push refused: $(grep -m1 -io 'no basic auth credentials\|unauthorized[^"]*' "$STATE/anon-push.log" || tail -n1 "$STATE/anon-push.log")"
REGISTRY_USER="$REG_USER" REGISTRY_PASSWORD="$REG_PASSWORD" \
  "$MAKE_CMD" --no-print-directory push REGISTRY="$REGISTRY" IMAGE_NAME="$IMAGE_NAME" | tee "$STATE/push.log"
DIGEST=$(sed -n 's/^digest \(sha256:[0-9a-f]\{64\}\)$/\1/p' "$STATE/push.log")
[ -n "$DIGEST" ] || fail "make push printed no digest"
api_digest=$(curl -fsS -I -u "$REG_USER:$REG_PASSWORD" \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$REGISTRY/v2/$IMAGE_NAME/manifests/$TAG" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
[ "$api_digest" = "$DIGEST" ] || fail "registry API says $IMAGE_NAME:$TAG is '$api_digest', make push said $DIGEST"
echo "registry API: $IMAGE_NAME:$TAG -> $api_digest"
# What the check before a push relies on: the manifest names the image's config by the local image id.
config_digest=$(curl -fsS -u "$REG_USER:$REG_PASSWORD" -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$REGISTRY/v2/$IMAGE_NAME/manifests/$TAG" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["config"]["digest"])')
[ "$config_digest" = "$IMAGE_ID" ] || fail "the manifest's config digest $config_digest is not the image id $IMAGE_ID"
echo "registry manifest: config digest = the local image id ($IMAGE_ID)"
# The tag is there now: the same image again is skipped, another image under the tag is refused.
REGISTRY_USER="$REG_USER" REGISTRY_PASSWORD="$REG_PASSWORD" \
  "$MAKE_CMD" --no-print-directory push REGISTRY="$REGISTRY" IMAGE_NAME="$IMAGE_NAME" | tee "$STATE/push-again.log"
grep -q "^$REPO:$TAG already exists with the same image ($DIGEST, .*); push skipped$" "$STATE/push-again.log" \
  || fail "a second make push of the same image was not skipped"
grep -q "^digest $DIGEST$" "$STATE/push-again.log" || fail "the skipped push did not print the digest $DIGEST"
printf 'FROM %s\nLABEL flask-app.test-image.other=1\n' "$LOCAL_REF" | DOCKER_BUILDKIT=0 docker build -q -t "$LOCAL_REF" - >/dev/null
if REGISTRY_USER="$REG_USER" REGISTRY_PASSWORD="$REG_PASSWORD" \
  "$MAKE_CMD" --no-print-directory push REGISTRY="$REGISTRY" IMAGE_NAME="$IMAGE_NAME" >"$STATE/push-other.log" 2>&1; then
  fail "make push of another image under the existing tag $TAG was not refused"
fi
grep -q "$REPO:$TAG already exists with another image: the repository has digest $DIGEST" "$STATE/push-other.log" \
  || { cat "$STATE/push-other.log" >&2; fail "the refusal does not name the tag and the repository's digest"; }
echo "push of another image under $TAG refused: $(grep -o 'already exists with another image[^.]*' "$STATE/push-other.log")"
other_id=$(docker image inspect --format '{{.Id}}' "$LOCAL_REF")
docker tag "$IMAGE_ID" "$LOCAL_REF" && docker rmi "$other_id" >/dev/null

# ---- 9. pull back and run again ---------------------------------------------------------------
step "9/10 delete the local image, pull $REPO@$DIGEST, run it again"
docker rm -f "$C1" >/dev/null
docker rmi "$LOCAL_REF" "$REPO:$TAG" >/dev/null
if docker image inspect "$IMAGE_ID" >/dev/null 2>&1; then fail "image $IMAGE_ID still present after docker rmi"; fi
docker pull "$REPO@$DIGEST"
pulled_id=$(docker image inspect --format '{{.Id}}' "$REPO@$DIGEST")
[ "$pulled_id" = "$IMAGE_ID" ] || fail "pulled image id $pulled_id differs from the built $IMAGE_ID"
APP_PORT2=$(free_port)
C2="test-image-$$-pulled"
run_app "$C2" "$APP_PORT2" "$REPO@$DIGEST"
wait_healthy "$C2" "$APP_PORT2"
check_index "$APP_PORT2"
[ "$(docker exec "$C2" id -u)" = "$EXPECTED_UID" ] || fail "the pulled image does not run as $EXPECTED_UID"
docker stop --time 25 "$C2" >/dev/null
exit_code=$(docker inspect --format '{{.State.ExitCode}}' "$C2")
[ "$exit_code" = 0 ] || fail "docker stop (SIGTERM): exit code $exit_code, want 0"
echo "docker stop: gunicorn shut down on SIGTERM with exit code 0"
docker rm "$C2" >/dev/null
docker rmi "$REPO@$DIGEST" >/dev/null
docker image prune -f >/dev/null   # keep the cached data root from growing run after run

# ---- 10. stop everything (the trap does it; say what was proven first) ------------------------
step "10/10 stop everything this run started (by PID)"
for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
containers=()
for (( i=${#pids[@]}-1; i>=0; i-- )); do stop_pid "${pids[i]}" "${names[i]}"; done
pids=(); names=()
rm -rf "$STATE"
echo "test-image: PROVEN in $(( $(date +%s) - started )) s: dockerd $(dockerd --version | awk '{print $3}' | tr -d ,) built $IMAGE_NAME:$TAG on $BASE_IMAGE (legacy builder, no network, hadolint clean), ran it healthy (GET /health 200 + HEALTHCHECK healthy) as uid $EXPECTED_UID with a read-only root, pushed it to an htpasswd registry on $REGISTRY ($DIGEST; pushed again: skipped; another image under the tag: refused), pulled it back by digest (same image id) and ran it healthy again"
