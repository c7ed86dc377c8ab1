# CI image for aca_sim: Debian bookworm with Python 3.11, built in two stages.
#   build: compilers, cmake, Node.js; `make setup` (the set-up the README's two commands do
#          first) makes .venv (ROS 2 Jazzy wheels, the interface packages) and web/node_modules;
#          scripts/slim-venv.sh then strips it.
#   test:  the base, the packages `make test` runs with (make, Xvfb with Mesa, chromium
#          headless shell) and /aca_sim with its .venv, package and tests: no compiler, no build
#          tree, no pip or npm cache, no apt lists.
# Its command is the README's test command, writing JUnit XML to /results:
#   docker build -t aca_sim-ci .
#   docker run --rm --network none -v "$PWD/results:/results" aca_sim-ci
# `make container-test` (scripts/container-test.sh) does both with docker or podman, and
# builds a base with debootstrap where no registry can be reached (BASE_IMAGE).
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

FROM ${BASE_IMAGE} AS test
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
