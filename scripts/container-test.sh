#!/usr/bin/env bash
# `make container-test`: build the CI image (Dockerfile) and run the test suite in it, with the
# results folder mounted for the JUnit XML; exit with the suite's status.
#
# Engine: docker where an engine answers (`docker info`), otherwise podman (installed with
# runc, uidmap and debootstrap from Debian's packages when missing), run with
# `--runtime runc` and explicit ulimits, because crun and the default rlimits fail in
# some sandboxes ("cgroups in hybrid mode not supported", "setrlimit RLIMIT_NOFILE").
# Base: python:3.11-slim-bookworm when it can be pulled; where no registry answers, a
# Debian bookworm base made once with debootstrap from the mirror apt uses here
# (aca_sim-base:bookworm) and reused. The host's CA bundle is mounted read-only into podman's
# build (not baked into the image) so that pip and npm work behind a TLS-inspecting proxy.
#
# Environment: ACA_CONTAINER_ENGINE=docker|podman (default: detect), ACA_BASE_IMAGE (skip the
# base detection), ACA_IMAGE (default aca_sim-ci), ACA_RESULTS (default results/container),
# ACA_CONTAINER_TEST_ARGS (extra pytest options, e.g. "-m 'not slow'").
set -euo pipefail
cd "$(dirname "$0")/.."

image=${ACA_IMAGE:-aca_sim-ci}
results=${ACA_RESULTS:-results/container}
default_base=python:3.11-slim-bookworm
debootstrap_base=aca_sim-base:bookworm
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'container-test: %s\n' "$*" >&2; exit 1; }
seconds_since() { echo $(( $(date +%s) - $1 )); }

# --------------------------------------------------------------------------- engine
engine=${ACA_CONTAINER_ENGINE:-}
if [ -z "$engine" ]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    engine=docker
  else
    engine=podman
  fi
fi
flags=()
if [ "$engine" = podman ]; then
  needed=()
  for package in podman runc uidmap debootstrap; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
      || needed+=("$package")
  done
  if [ ${#needed[@]} -gt 0 ]; then
    say "installing ${needed[*]} (no docker engine answers here)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${needed[@]}" \
      || fail "apt-get install ${needed[*]} failed (exit $?)"
  fi
  flags=(--runtime runc --ulimit nofile=20000:20000 --ulimit nproc=8192:8192)
elif [ "$engine" != docker ]; then
  fail "ACA_CONTAINER_ENGINE must be docker or podman, got '$engine'"
fi
say "engine: $engine ($($engine --version))"

image_exists() { $engine image inspect "$1" >/dev/null 2>&1; }

# --------------------------------------------------------------------------- base image
apt_mirror() {  # the Debian mirror apt is configured with (deb822 or one-line sources)
  local mirror
  mirror=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
             | awk '{print $2}' | grep -v security | head -n1)
  [ -n "$mirror" ] || mirror=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
             2>/dev/null | awk '{print $2}' | grep -v security | head -n1)
  echo "${mirror:-http://deb.debian.org/debian}"
}

build_debootstrap_base() {
  local root mirror started
  mirror=$(apt_mirror)
  root=$(mktemp -d /tmp/aca_sim-base.XXXXXX)
  started=$(date +%s)
  say "no registry answers: making $debootstrap_base with debootstrap from $mirror"
  $sudo debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$root" "$mirror" >"$root.log" 2>&1 \
    || { tail -n 20 "$root.log" >&2; fail "debootstrap failed (log: $root.log)"; }
  $sudo rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
  $sudo tar -C "$root" -c . | $engine import - "$debootstrap_base" >/dev/null \
    || fail "$engine import of the debootstrap tree failed"
  $sudo rm -rf "$root" "$root.log"
  echo "made $debootstrap_base in $(seconds_since "$started") s"
}

base=${ACA_BASE_IMAGE:-}
if [ -z "$base" ]; then
  if image_exists "$default_base"; then
    base=$default_base
  elif image_exists "$debootstrap_base"; then
    base=$debootstrap_base
    say "base: $base (made earlier with debootstrap)"
  elif timeout 60 $engine pull -q "$default_base" >/dev/null 2>&1; then
    base=$default_base
  else
    build_debootstrap_base
    base=$debootstrap_base
  fi
fi
say "base: $base"

# --------------------------------------------------------------------------- build
build_flags=("${flags[@]}")
ca=/etc/ssl/certs/ca-certificates.crt
if [ "$engine" = podman ] && [ -f "$ca" ]; then
  build_flags+=(-v "$ca:$ca:ro")
fi
say "building $image (Dockerfile, BASE_IMAGE=$base)"
started=$(date +%s)
$engine build "${build_flags[@]}" --build-arg "BASE_IMAGE=$base" -t "$image" -f Dockerfile . \
  || fail "$engine build failed (exit $?): see the step above"
size=$($engine image inspect --format '{{.Size}}' "$image")
echo "built $image in $(seconds_since "$started") s; size $((size / 1000000)) MB"

# --------------------------------------------------------------------------- test
mkdir -p "$results"
rm -f "$results/junit.xml"
say "running the test suite in $image (no network; JUnit XML to $results/)"
started=$(date +%s)
command=(make test "PYTEST_ARGS=--junitxml=/results/junit.xml ${ACA_CONTAINER_TEST_ARGS:-}")
status=0
$engine run --rm "${flags[@]}" --network none --shm-size 1g \
  -v "$(realpath "$results"):/results" "$image" "${command[@]}" || status=$?
echo "suite finished in $(seconds_since "$started") s with exit status $status"
[ -f "$results/junit.xml" ] || fail "no JUnit report was written to $results/junit.xml"
exit "$status"
