# CI container for aca_sim: Debian bookworm with Python 3.11.
# The build runs the set-up that `make demo` and `make test` (the README's two commands) do
# first; the default command is the README's test command, writing JUnit XML to /results.
#   docker build -t aca_sim-ci .
#   docker run --rm -v "$PWD/results:/results" aca_sim-ci
FROM python:3.11-slim-bookworm

# make drives everything; scripts/install-system-packages.sh (run by make) adds cmake and g++.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends make \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /aca_sim
COPY . .
RUN make setup

# DDS discovery stays inside the container's loopback.
ENV ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
VOLUME /results
CMD ["make", "test", "PYTEST_ARGS=--junitxml=/results/junit.xml"]
