#!/usr/bin/env bash
# Make (or reuse) a local Debian bookworm + python3 base image and print its reference.
#
#   DOCKER_HOST=unix:///path/docker.sock scripts/image/base_image.sh
#   -> local/bookworm-python3:<key>
#
# Docker Hub is not reachable from CI, so `make test-image` cannot pull python:*-slim.
# This builds an equivalent base from Debian's own packages with debootstrap and
# `docker import`s it. The rootfs tarball is cached under $BASE_IMAGE_CACHE
# (default /var/cache/flask-app-image), keyed by a hash of everything that shapes it
# (this script, suite, mirror, package list), so later runs only import it, and a
# run whose Docker data root still holds the image does nothing at all.
#
# Needs: root, debootstrap, docker (CLI and a running daemon). Progress goes to stderr;
# stdout is only the image reference.
set -euo pipefail

SUITE=${BASE_SUITE:-bookworm}
MIRROR=${BASE_MIRROR:-http://deb.debian.org/debian}
# python3-venv: `python3 -m venv` (with ensurepip) in the Dockerfile's build stage.
# ca-certificates and tzdata: what the official python slim image also carries.
PACKAGES=${BASE_PACKAGES:-python3,python3-venv,ca-certificates,tzdata}
CACHE_DIR=${BASE_IMAGE_CACHE:-/var/cache/flask-app-image}

say() { printf '%s\n' "base-image: $*" >&2; }

key=$( { cat "${BASH_SOURCE[0]}"; printf '%s\n' "$SUITE" "$MIRROR" "$PACKAGES"; } | sha256sum | cut -c1-16)
ref="local/${SUITE}-python3:${key}"
tarball="$CACHE_DIR/${SUITE}-python3-${key}.tar.gz"

if docker image inspect "$ref" >/dev/null 2>&1; then
  say "reusing image $ref"
  echo "$ref"
  exit 0
fi

if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || { say "debootstrap is not installed (apt-get install debootstrap)"; exit 1; }
  mkdir -p "$CACHE_DIR"
  rootfs=$(mktemp -d "${TMPDIR:-/tmp}/base-rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  say "debootstrap $SUITE (minbase + $PACKAGES) from $MIRROR; takes a few minutes once"
  started=$(date +%s)
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$MIRROR" >"$rootfs.log" 2>&1 || {
    tail -n 30 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
  rm -f "$rootfs.log"
  # Slim it like the official images: no apt lists, caches, docs or man pages.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
         "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log
  tar -C "$rootfs" --numeric-owner -czf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
  say "cached $(du -h "$tarball" | cut -f1) rootfs at $tarball in $(( $(date +%s) - started )) s"
else
  say "importing cached rootfs $tarball"
fi

docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' \
  --message "debootstrap $SUITE + $PACKAGES" \
  "$tarball" "$ref" >/dev/null
say "imported $ref"
echo "$ref"
