#!/usr/bin/env bash
# Make the base image offline when it is neither local nor pullable.
#
# usage: bootstrap-base.sh IMAGE[:TAG] [SUITE]
# The image is tagged with the name a registry would serve (debian:sid-slim by default), so the
# node Dockerfile stays an ordinary `FROM debian:sid-slim` for users who have a registry.
# Idempotent: does nothing when the image exists locally or can be pulled.
set -euo pipefail

image="${1:-debian:sid-slim}"
suite="${2:-sid}"

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image: present"
  exit 0
fi
if timeout 20 docker pull -q "$image" >/dev/null 2>&1; then
  echo "base image $image: pulled"
  exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "debootstrap missing: installing it with apt-get"
    apt-get -o Acquire::Check-Valid-Until=false update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  else
    echo "error: $image is not local, cannot be pulled, and debootstrap is not installed." >&2
    echo "Install debootstrap (apt-get install debootstrap) or load the image with docker load." >&2
    exit 1
  fi
fi

rootfs="$(mktemp -d /tmp/vipchaos-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
echo "base image $image: bootstrapping $suite with debootstrap (about 20-60 s)"
start=$(date +%s)
debootstrap --variant=minbase "$suite" "$rootfs" >"$rootfs.log" 2>&1 || {
  echo "error: debootstrap $suite failed; last lines:" >&2
  tail -20 "$rootfs.log" >&2
  rm -f "$rootfs.log"
  exit 1
}
rm -f "$rootfs.log"
# Drop what a slim image would not carry; keep apt usable.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import \
  -c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' \
  -m "vipchaos offline bootstrap of Debian $suite (debootstrap minbase)" - "$image" >/dev/null
echo "base image $image: imported in $(( $(date +%s) - start )) s"
