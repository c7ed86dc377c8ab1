# aca_sim: `make demo` runs the main job, `make test` runs the tests. Both set up what they need
# (system packages, .venv with ROS 2 Jazzy from PyPI, the interface package) on first use only.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(abspath $(VENV))/bin/python
BUILD  := build
PYTHON ?= python3

# DDS discovery never leaves this machine unless the user asked for it.
export ROS_AUTOMATIC_DISCOVERY_RANGE ?= LOCALHOST

# Interface packages built into the venv: ours, and the subsets of those that have no wheel.
IFACE_SOURCES = interfaces/cmake/pypi_ros_python.cmake $(addprefix interfaces/$(1)/,CMakeLists.txt package.xml) \
                $(wildcard interfaces/$(1)/msg/*.msg interfaces/$(1)/srv/*.srv interfaces/$(1)/action/*.action)

STAMP_SYSTEM := $(BUILD)/.system-packages
STAMP_DEPS   := $(VENV)/.stamp-requirements
STAMP_IFACE  := $(VENV)/.stamp-aca-interfaces
STAMP_CTRL   := $(VENV)/.stamp-control-msgs
STAMP_TF     := $(VENV)/.stamp-tf2-msgs
STAMP_MOVEIT := $(VENV)/.stamp-moveit-msgs
STAMP_PKG    := $(VENV)/.stamp-aca-sim
STAMP_WEB    := web/node_modules/.package-lock.json

.PHONY: help setup interfaces demo test lint bench clean container-test
help:
	@echo "make demo   run the main job (headless)"
	@echo "make test   run the test suite and the linter"
	@echo "make bench  print the benchmark table"
	@echo "make setup  only set up .venv (done by demo and test when needed)"
	@echo "make container-test  build the ci and runtime images and test them (docker or podman)"
	@echo "make clean  remove .venv, build/ and run outputs"

setup: $(STAMP_PKG) $(STAMP_WEB)

# The venv with the ROS wheels and the interface packages only (a layer of the CI image).
interfaces: $(STAMP_IFACE) $(STAMP_CTRL) $(STAMP_TF) $(STAMP_MOVEIT)

$(STAMP_SYSTEM): scripts/install-system-packages.sh
	@mkdir -p $(BUILD)
	bash scripts/install-system-packages.sh
	@touch $@

$(STAMP_DEPS): requirements.txt | $(STAMP_SYSTEM)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt 2> >(grep -v "is ignored: it is neither" >&2)
	@touch $@

# Interfaces: ament_cmake + rosidl, installed into the venv prefix (see ../shared/design/ros-from-pypi.md).
# build_interfaces(package): configure, build and install one interface package.
define build_interfaces
	@echo "building $(1) (a minute or two the first time)"
	AMENT_PREFIX_PATH=$(abspath $(VENV)) cmake -S interfaces/$(1) -B $(BUILD)/$(1) \
	  -DCMAKE_PREFIX_PATH=$(abspath $(VENV)) -DCMAKE_INSTALL_PREFIX=$(abspath $(VENV)) \
	  -DPython3_EXECUTABLE=$(PY) -DACA_PYPI_ROS=ON -DBUILD_TESTING=OFF > $(BUILD)/$(1).log
	AMENT_PREFIX_PATH=$(abspath $(VENV)) cmake --build $(BUILD)/$(1) -j2 >> $(BUILD)/$(1).log
	cmake --install $(BUILD)/$(1) >> $(BUILD)/$(1).log
endef

$(STAMP_IFACE): $(STAMP_DEPS) $(call IFACE_SOURCES,aca_interfaces)
	$(call build_interfaces,aca_interfaces)
	@touch $@

# control_msgs has no wheel: a subset, field for field as upstream (tests/ros/test_type_hashes.py),
# kept out of colcon's way by its COLCON_IGNORE so it never shadows a real control_msgs.
$(STAMP_CTRL): $(STAMP_DEPS) $(call IFACE_SOURCES,control_msgs)
	$(call build_interfaces,control_msgs)
	@touch $@

# tf2_msgs likewise (TFMessage only; tests/ros/test_type_hashes.py checks its hash).
$(STAMP_TF): $(STAMP_DEPS) $(call IFACE_SOURCES,tf2_msgs)
	$(call build_interfaces,tf2_msgs)
	@touch $@

# moveit_msgs likewise (RobotTrajectory, ServoStatus, ServoCommandType; hashes tested there).
$(STAMP_MOVEIT): $(STAMP_DEPS) $(call IFACE_SOURCES,moveit_msgs)
	$(call build_interfaces,moveit_msgs)
	@touch $@

$(STAMP_PKG): $(STAMP_IFACE) $(STAMP_CTRL) $(STAMP_TF) $(STAMP_MOVEIT) setup.py setup.cfg package.xml scripts/install_ament_layout.py
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . 2> >(grep -v "is ignored: it is neither" >&2)
	$(PY) scripts/install_ament_layout.py
	@touch $@

# The teleop page's three.js and urdf-loader, exactly as web/package-lock.json pins them.
$(STAMP_WEB): web/package.json web/package-lock.json | $(STAMP_SYSTEM)
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

demo: $(STAMP_PKG)
	$(VENV)/bin/aca-sim run

# PYTEST_ARGS: extra pytest options, e.g. PYTEST_ARGS=--junitxml=results/junit.xml (the CI image).
PYTEST_ARGS ?=
# Lint first: a style error fails the run in seconds, not after the whole suite.
# TEST_WORKERS: parallel pytest workers (pytest-xdist; 0 = all in one process). Each test file
# stays on one worker, so its module fixtures (shared worlds and campaign runs) run once; files
# go out in collection order, the long integration files first; every worker claims ROS domain
# IDs of its own (aca_sim.ros_env's lock files), so workers never meet over DDS.
# A hung test's worker is ended by the watchdog in tests/conftest.py (its threads' stacks on
# stderr); --max-worker-restart 0 then ends the run: xdist would give the same file, hung test
# included, to each replacement worker.
TEST_WORKERS ?= 2
test: lint $(STAMP_WEB)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --max-worker-restart 0 $(PYTEST_ARGS)

# The container images (Dockerfile) built and tested: scripts/container-test.sh. TARGET=ci
# (the whole suite) or TARGET=runtime (the user example and a short campaign); both if unset.
TARGET ?=
container-test:
	bash scripts/container-test.sh $(TARGET)

bench: $(STAMP_PKG)
	$(PY) bench/run.py

lint: $(STAMP_PKG)
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/ruff format --check src tests bench examples

clean:
	rm -rf $(VENV) $(BUILD) runs .pytest_cache .ruff_cache src/*.egg-info web/node_modules
