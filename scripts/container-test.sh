#!/usr/bin/env bash
# `make container-test [TARGET=ci|runtime]`: build the Dockerfile's images and test each one:
#   ci:      the project's whole suite (the README's test command), JUnit XML in results/container/;
#   runtime: the user example (examples/ci/tests, mounted as a user mounts theirs, run with the
#            command the README shows) and a short campaign with `aca-sim run`, outputs in
#            results/container-runtime/.
# Default: both, ci first. Prints each image's size and the build and run times; exits 0 only
# when everything it ran passed.
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
# base detection), ACA_IMAGE (the images' name, default aca_sim: aca_sim:ci, aca_sim:runtime),
# ACA_RESULTS (default results/container), ACA_CONTAINER_TEST_ARGS (extra pytest options for
# the ci suite, e.g. "-m 'not slow'").
set -euo pipefail
cd "$(dirname "$0")/.."

targets=${1:-all}
case "$targets" in
  all) targets="ci runtime" ;;
  ci | runtime) ;;
  *) echo "container-test: TARGET must be ci or runtime (or empty for both), got '$targets'" >&2
     exit 2 ;;
esac
name=${ACA_IMAGE:-aca_sim}
results=${ACA_RESULTS:-results/container}
runtime_results=${results}-runtime
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
report=()   # one line per image: size, build and run times, outcome
status=0

build_image() {  # build_image TARGET: the Dockerfile's stage TARGET as $name:TARGET
  local target=$1 started size
  say "building $name:$target (Dockerfile --target $target, BASE_IMAGE=$base)"
  started=$(date +%s)
  $engine build "${build_flags[@]}" --build-arg "BASE_IMAGE=$base" --target "$target" \
    -t "$name:$target" -f Dockerfile . || fail "$engine build --target $target failed (exit $?)"
  built_s=$(seconds_since "$started")
  size=$($engine image inspect --format '{{.Size}}' "$name:$target")
  size_mb=$((size / 1000000))
  echo "built $name:$target in $built_s s; size $size_mb MB"
}

run_in() {  # run_in IMAGE ARGS...: a container with no network, as the README runs them
  local image=$1
  shift
  $engine run --rm "${flags[@]}" --network none --shm-size 1g "$@" "$image"
}

# --------------------------------------------------------------------------- ci: the suite
test_ci() {
  local started code=0
  mkdir -p "$results"
  rm -f "$results/junit.xml"
  say "running the test suite in $name:ci (no network; JUnit XML to $results/)"
  started=$(date +%s)
  command=(make test "PYTEST_ARGS=--junitxml=/results/junit.xml ${ACA_CONTAINER_TEST_ARGS:-}")
  $engine run --rm "${flags[@]}" --network none --shm-size 1g \
    -v "$(realpath "$results"):/results" "$name:ci" "${command[@]}" || code=$?
  echo "suite finished in $(seconds_since "$started") s with exit status $code"
  if [ ! -f "$results/junit.xml" ]; then
    echo "no JUnit report was written to $results/junit.xml"
    [ "$code" -ne 0 ] || code=1
  fi
  outcome="suite exit $code in $(seconds_since "$started") s"
  return "$code"
}

# --------------------------------------------------------------------------- runtime: a user's CI
test_runtime() {
  local started code=0 campaign=0
  rm -rf "$runtime_results"
  mkdir -p "$runtime_results"
  say "running examples/ci/tests in $name:runtime, mounted as a user's tests (no network)"
  started=$(date +%s)
  # The README's command for a user's folder, plus a JUnit report.
  command=(pytest /work/tests)
  $engine run --rm "${flags[@]}" --network none --shm-size 1g \
    -v "$(realpath examples/ci/tests):/work/tests:ro" -v "$(realpath "$runtime_results"):/results" \
    "$name:runtime" "${command[@]}" --junitxml=/results/junit.xml || code=$?
  echo "user example finished in $(seconds_since "$started") s with exit status $code"
  say "a short campaign headless in $name:runtime (aca-sim run --campaign short)"
  started=$(date +%s)
  $engine run --rm "${flags[@]}" --network none --shm-size 1g \
    -v "$(realpath "$runtime_results"):/results" "$name:runtime" \
    aca-sim run --campaign short --run-dir /results/short || campaign=$?
  echo "campaign finished in $(seconds_since "$started") s with exit status $campaign"
  [ -f "$runtime_results/short/summary.md" ] || { echo "the campaign wrote no summary.md"; campaign=1; }
  outcome="user example exit $code, short campaign exit $campaign"
  [ "$code" -eq 0 ] && [ "$campaign" -eq 0 ]
}

for target in $targets; do
  build_image "$target"
  outcome=""
  if "test_$target"; then verdict=passed; else verdict=FAILED; status=1; fi
  report+=("$name:$target  $size_mb MB  built in $built_s s  $outcome  $verdict")
done

say "images"
printf '%s\n' "${report[@]}"
exit "$status"
