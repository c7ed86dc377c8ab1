# Container images of aca_sim: Debian bookworm with Python 3.11, from one build stage.
#   build:   compilers, cmake, Node.js; `make setup` (the set-up the README's two commands do
#            first) makes .venv (ROS 2 Jazzy wheels, the interface packages) and
#            web/node_modules; scripts/slim-venv.sh then strips it.
#   runtime: (target) for users' own integration tests against the simulator: the base and
#            the build stage's venv cut down to what aca_sim runs with plus pytest
#            (scripts/runtime_venv.py, requirements-runtime.txt): ROS 2, the interfaces,
#            PyBullet, planning, recording, the launch runner. No compiler, browser, Mesa,
#            Node.js or Ray; no source tree. Its command: pytest /work/tests (mount yours).
#   ci:      (target, the default) the project's own suite: the base, the packages `make test`
#            runs with (make, Xvfb with Mesa, chromium headless shell) and /aca_sim with its
#            .venv, package and tests: no compiler, build tree, pip or npm cache, apt lists.
#            Its command is the README's test command, writing JUnit XML to /results.
#   docker build --target ci -t aca_sim:ci .
#   docker run --rm --network none -v "$PWD/results:/results" aca_sim:ci
#   docker build --target runtime -t aca_sim:runtime .
#   docker run --rm --network none -v "$PWD/tests:/work/tests:ro" aca_sim:runtime pytest /work/tests
# `make container-test` (scripts/container-test.sh) builds both with docker or podman, runs
# the suite in ci and examples/ci plus a short campaign in runtime, and makes a base with
# debootstrap where no registry can be reached (BASE_IMAGE).
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    npm_config_cache=/tmp/npm-cache
WORKDIR /aca_sim
COPY scripts/install-system-packages.sh scripts/
# The image installs the run-time system packages itself (below): mark them done for make.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends make ca-certificates \
 && bash scripts/install-system-packages.sh build \
 && mkdir -p build && touch build/.system-packages
# The slow part (the ROS wheels, the interface builds) in a layer of its own, rebuilt only
# when the requirements or the interfaces change; the rest of the set-up after the sources.
COPY Makefile requirements.txt ./
COPY interfaces interfaces
RUN make interfaces
COPY . .
RUN make setup
RUN bash scripts/slim-venv.sh .venv \
 && find build -mindepth 1 -maxdepth 1 ! -name .system-packages -exec rm -rf {} + \
 && rm -rf /tmp/npm-cache

# The runtime venv: the build stage's, without what only the set-up, the project's own
# suite or Monte Carlo studies use; aca_sim installed for real (no source tree needed).
FROM build AS runtime-venv
RUN .venv/bin/python scripts/runtime_venv.py requirements-runtime.txt \
 && .venv/bin/python -m compileall -q -j 0 .venv/lib

FROM ${BASE_IMAGE} AS runtime
COPY --from=runtime-venv /aca_sim/.venv /aca_sim/.venv
# The venv's programs first (aca-sim, sim_node, pytest, python); DDS discovery inside the
# container's loopback; ROS logs and Matplotlib's cache in /tmp (any user id can run it);
# message fields checked (an out-of-range value fails instead of wrapping); no pytest cache
# in a mounted (maybe read-only) test folder.
ENV PATH=/aca_sim/.venv/bin:$PATH VIRTUAL_ENV=/aca_sim/.venv \
    ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST ROS_PYTHON_CHECK_FIELDS=1 \
    ROS_LOG_DIR=/tmp/ros_log MPLCONFIGDIR=/tmp/matplotlib PYTEST_ADDOPTS="-p no:cacheprovider"
WORKDIR /work
CMD ["pytest", "/work/tests"]

FROM ${BASE_IMAGE} AS ci
ENV DEBIAN_FRONTEND=noninteractive
COPY scripts/install-system-packages.sh /tmp/
# Documentation, manual pages, translations and Chromium's Vulkan validation layer are left
# out of every package (dpkg path-exclude), then the run-time packages are installed.
RUN printf '%s\n' \
      'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \
      'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' \
      'path-exclude=/usr/share/locale/*' 'path-exclude=/usr/lib/chromium/locales/*' \
      'path-include=/usr/lib/chromium/locales/en-US.pak' \
      'path-exclude=/usr/lib/chromium/libVkLayer_khronos_validation.so' \
      > /etc/dpkg/dpkg.cfg.d/aca-sim-slim \
 && apt-get update -qq \
 && bash /tmp/install-system-packages.sh run \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old /var/log/* \
           /tmp/install-system-packages.sh
WORKDIR /aca_sim
COPY --from=build /aca_sim /aca_sim
# DDS discovery stays inside the container's loopback.
ENV ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
VOLUME /results
CMD ["make", "test", "PYTEST_ARGS=--junitxml=/results/junit.xml"]
