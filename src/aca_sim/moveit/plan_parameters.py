"""PlanRequestParameters and MultiPipelinePlanRequestParameters, shaped like moveit_py's, and
the parameters they are loaded from (MoveItPy's launch parameters: config/moveit_cpp.yaml
by default, or a config_dict, or launch_params_filepaths).

Keys as MoveItCpp reads them: PlanRequestParameters(robot, "") reads
`plan_request_params.<field>`, PlanRequestParameters(robot, "ompl_rrtc") reads
`ompl_rrtc.plan_request_params.<field>`; a field the parameters do not give takes MoveIt's
default (planner_id "", planning_pipeline "", planning_time 1.0 s, planning_attempts 5,
scaling factors 1.0). Only the "ompl" pipeline plans here: a request for another one fails
with PLANNING_FAILED and a message naming it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import yaml

from aca_sim.motion.arm_planner import PlanParameters
from aca_sim.motion.errors import MoveItErrorCode, PlanningError
from aca_sim.paths import share_path

PIPELINE = "ompl"  # the one planning pipeline this planner has
_MOVEIT_DEFAULTS = {
    "planner_id": "",
    "planning_pipeline": "",
    "planning_time": 1.0,
    "planning_attempts": 5,
    "max_velocity_scaling_factor": 1.0,
    "max_acceleration_scaling_factor": 1.0,
}


class HasParameters(Protocol):
    """What PlanRequestParameters(robot, ns) needs of the robot: its launch parameters."""

    parameters: Mapping[str, Any]


def load_parameters(
    config_dict: Mapping[str, Any] | None = None,
    launch_params_filepaths: Sequence[str | Path] | None = None,
) -> dict[str, Any]:
    """MoveItPy's parameters as dotted keys: config_dict if given, else the YAML files (a
    ROS parameter file's `<node>: ros__parameters:` or plain keys), else the package's
    config/moveit_cpp.yaml. ValueError naming a file that is not a YAML mapping."""
    if config_dict is not None:
        return _flatten(config_dict)
    paths = launch_params_filepaths or [share_path("config", "moveit_cpp.yaml")]
    flat: dict[str, Any] = {}
    for path in paths:
        document = yaml.safe_load(Path(path).read_text())
        if not isinstance(document, dict):
            raise ValueError(f"{path}: not a YAML mapping of parameters")
        for key, value in document.items():
            if isinstance(value, dict) and "ros__parameters" in value:
                flat.update(_flatten(value["ros__parameters"]))
            else:
                flat.update(_flatten({key: value}))
    return flat


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


class PlanRequestParameters:
    """The planner settings of one request (moveit_py's fields, plus `seed`: the same seed
    gives the same plan). PlanRequestParameters(robot, ns) loads them from the robot's
    parameters as MoveItCpp does; PlanRequestParameters() or keywords alone give this
    package's defaults (RRTConnect on ompl, 1 s, 1 attempt); keywords override either."""

    def __init__(
        self,
        moveit_py: HasParameters | None = None,
        ns: str = "",
        *,
        planner_id: str | None = None,
        planning_pipeline: str | None = None,
        planning_time: float | None = None,
        planning_attempts: int | None = None,
        max_velocity_scaling_factor: float | None = None,
        max_acceleration_scaling_factor: float | None = None,
        seed: int = 0,
    ) -> None:
        self.ns = ns
        self._where = ""
        if moveit_py is None:
            fields: dict[str, Any] = {
                **_MOVEIT_DEFAULTS,
                "planner_id": "RRTConnect",
                "planning_pipeline": PIPELINE,
                "planning_attempts": 1,
            }
        else:
            prefix = f"{ns}.plan_request_params." if ns else "plan_request_params."
            fields = {
                name: moveit_py.parameters.get(prefix + name, default)
                for name, default in _MOVEIT_DEFAULTS.items()
            }
            if not any(key.startswith(prefix) for key in moveit_py.parameters):
                self._where = f" (the parameters have no {prefix.rstrip('.')})"
        given = {
            "planner_id": planner_id,
            "planning_pipeline": planning_pipeline,
            "planning_time": planning_time,
            "planning_attempts": planning_attempts,
            "max_velocity_scaling_factor": max_velocity_scaling_factor,
            "max_acceleration_scaling_factor": max_acceleration_scaling_factor,
        }
        fields.update({k: v for k, v in given.items() if v is not None})
        self.planner_id = str(fields["planner_id"])
        self.planning_pipeline = str(fields["planning_pipeline"])
        self.planning_time = float(fields["planning_time"])
        self.planning_attempts = int(fields["planning_attempts"])
        self.max_velocity_scaling_factor = float(fields["max_velocity_scaling_factor"])
        self.max_acceleration_scaling_factor = float(fields["max_acceleration_scaling_factor"])
        self.seed = seed

    def motion_parameters(self) -> PlanParameters:
        """The planner's parameters (PlanningError PLANNING_FAILED for a pipeline other than
        ompl)."""
        if self.planning_pipeline != PIPELINE:
            raise PlanningError(
                MoveItErrorCode.PLANNING_FAILED,
                f"planning_pipeline {self.planning_pipeline!r}{self._where}: "
                f"only {PIPELINE!r} plans here",
            )
        return PlanParameters(
            self.planner_id,
            self.planning_time,
            self.planning_attempts,
            self.max_velocity_scaling_factor,
            self.max_acceleration_scaling_factor,
            self.seed,
        )

    def __repr__(self) -> str:
        return (
            f"PlanRequestParameters(planner_id={self.planner_id!r}, "
            f"planning_pipeline={self.planning_pipeline!r}, planning_time={self.planning_time}, "
            f"planning_attempts={self.planning_attempts}, "
            f"max_velocity_scaling_factor={self.max_velocity_scaling_factor}, "
            f"max_acceleration_scaling_factor={self.max_acceleration_scaling_factor}, "
            f"seed={self.seed})"
        )


class MultiPipelinePlanRequestParameters:
    """One PlanRequestParameters per namespace (moveit_py's: each loaded from
    `<name>.plan_request_params`), planned one after the other by plan(multi_plan_parameters=)."""

    def __init__(self, moveit_py: HasParameters, planning_pipeline_names: Sequence[str]) -> None:
        self.multi_plan_request_parameters = [
            PlanRequestParameters(moveit_py, name) for name in planning_pipeline_names
        ]
