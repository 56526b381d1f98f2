#!/usr/bin/env bash
# Makes what the container tests need on a machine that reaches no image registry: the Docker daemon (Debian's
# docker.io, started here when none answers) and a local JRE base image for the Dockerfile, built from Debian
# packages with mmdebstrap. Idempotent: every step is skipped when its result is already there.
# Prints the base image's name on standard output; progress and timings go to standard error.
set -euo pipefail

BASE_IMAGE=${TRIBUTARY_TEST_BASE_IMAGE:-tributary-test/jre:17}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/tributary-dockerd.log}

log() { echo "[prepare-docker] $*" >&2; }

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
if ((${#missing[@]})); then
  start=$SECONDS
  log "installing ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  log "installed in $((SECONDS - start)) s"
fi

# Waits up to $1 seconds for the daemon to answer; fails early if the daemon process $2 died.
daemon_answers() {
  for _ in $(seq "$1"); do
    docker info >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 1
  done
  return 1
}

if ! docker info >/dev/null 2>&1; then
  start=$SECONDS
  # overlay2 where the kernel and the file system allow it (fast, shares layers); vfs, which copies every layer
  # whole but works anywhere, otherwise.
  for driver in overlay2 vfs; do
    log "starting dockerd --storage-driver=$driver (log: $DOCKERD_LOG)"
    nohup dockerd --storage-driver="$driver" >>"$DOCKERD_LOG" 2>&1 &
    pid=$!
    if daemon_answers 60 "$pid"; then
      break
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  docker info >/dev/null 2>&1 || { log "no Docker daemon would start:"; tail -20 "$DOCKERD_LOG" >&2; exit 1; }
  log "dockerd ($(docker info --format '{{.Driver}}')) answered after $((SECONDS - start)) s"
fi

if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  start=$SECONDS
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  log "building $BASE_IMAGE: Debian bookworm with openjdk-17-jre-headless"
  mmdebstrap --quiet --variant=apt --include=openjdk-17-jre-headless bookworm "$work/rootfs.tar" >&2
  docker import "$work/rootfs.tar" "$BASE_IMAGE" >/dev/null
  log "$BASE_IMAGE made in $((SECONDS - start)) s"
fi

# Images the container tests built in earlier runs on this machine are untagged once a run builds them again; left
# alone they fill the disk (a build then fails with "no space left on device").
docker image prune --force >/dev/null
log "disk free for images: $(df -h --output=avail "$(docker info --format '{{.DockerRootDir}}')" | tail -1 | tr -d ' ')"

echo "$BASE_IMAGE"
