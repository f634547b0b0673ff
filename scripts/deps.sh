#!/usr/bin/env bash
# Makes a fresh Debian machine ready to build, run and test wharf: installs
# what is missing from Debian's packages (as root) and starts the Docker
# engine when none answers. Safe to run again: it only does what is missing.
set -euo pipefail

need=()
command -v dockerd >/dev/null || need+=(docker.io)
[ -x /bin/busybox ] && file /bin/busybox 2>/dev/null | grep -q 'statically linked' || need+=(busybox-static)
[ -x /usr/bin/aws ] || need+=(awscli)
command -v jq >/dev/null || need+=(jq)
command -v curl >/dev/null || need+=(curl)
command -v file >/dev/null || need+=(file)
if [ ${#need[@]} -gt 0 ]; then
  echo "deps: installing ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "deps: run as root (or install: ${need[*]})" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "deps: starting dockerd"
  if [ "$(id -u)" -ne 0 ]; then echo "deps: no Docker engine answers; start one (as root: dockerd &)" >&2; exit 1; fi
  nohup setsid dockerd >/var/log/dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "deps: dockerd did not start; see /var/log/dockerd.log" >&2; tail -20 /var/log/dockerd.log >&2; exit 1; }
fi
echo "deps: Docker $(docker version --format '{{.Server.Version}}') ready"
