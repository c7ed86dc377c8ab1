"""The semantic description of the ACA (SRDF): the planning group of the SHA, its named
configurations, and the collision pairs never to check, with reasons.

The named configurations are made from the model configuration (the stations' positions and
the arm's kinematics within its limits), so they follow a changed configuration; for the
default one, config/aca.srdf is this module's output (a test keeps them equal) and is what a
real MoveIt install loads. Planner, procedures and teleop all take their named states here.

Names: "home" (all joints 0), "stow" (the stow pose at transit height), "above_<station>" for
every station and storage slot: the arm at the transit height under that place, with the
station's preferred elbow branch (the other when the preferred breaks a limit).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from aca_sim.model.config import ModelConfig
from aca_sim.model.layout import station_table
from aca_sim.model.names import SHA_JOINTS
from aca_sim.model.urdf import aca_urdf_text
from aca_sim.motion.collision import touching_links
from aca_sim.motion.kinematics import ArmKinematics, JointPositions, Limits, ScaraKinematics
from aca_sim.motion.urdf_model import UrdfModel
from aca_sim.paths import share_path

GROUP = "sha"
ROBOT = "aca"
STOW_STATION = "pose_stow"
SHA_LINKS = ("sha_column", "sha_upper", "sha_fore")
CONFIG_MARK = "model configuration sha256: "
SAMPLES = 300  # random states of the other joints when looking for pairs that never touch


class SemanticError(ValueError):
    """The SRDF text is not a description this project can use (the message says why)."""


@dataclass(frozen=True)
class SemanticModel:
    """Planning groups (name -> joints), named states (name -> joint values of the group)
    and the disabled collision pairs (link1, link2, reason)."""

    robot: str
    groups: dict[str, tuple[str, ...]]
    named_states: dict[str, dict[str, float]]
    disabled: tuple[tuple[str, str, str], ...]

    def state(self, name: str) -> JointPositions:
        """A named state of the sha group; KeyError naming it and the known ones."""
        if name not in self.named_states:
            known = ", ".join(sorted(self.named_states)[:8])
            raise KeyError(f"no named state {name!r} (known: {known}, ...)")
        values = self.named_states[name]
        return JointPositions(*(values[j] for j in SHA_JOINTS))


def arm_kinematics(config: ModelConfig) -> ArmKinematics:
    """The SHA's kinematics within its limits, from the model configuration."""
    sha = config.sha
    kin = ScaraKinematics(sha.link1_m, sha.link2_m, sha.tube_top_above_tool_m)
    limits = tuple(Limits(j.lower, j.upper, j.velocity) for j in (sha.z, sha.shoulder, sha.elbow))
    return ArmKinematics(kin, limits)


def station_state_name(station: str) -> str:
    """The named state at the transit height under a station: "stow" for the stow pose,
    else "above_<station>"."""
    return "stow" if station == STOW_STATION else f"above_{station}"


def named_states(config: ModelConfig) -> dict[str, JointPositions]:
    """The named configurations of the sha group, in a fixed order."""
    arm = arm_kinematics(config)
    transit_top = config.sha.transit_z_m + config.sha.tube_top_above_tool_m
    found = {"home": JointPositions(0.0, 0.0, 0.0)}
    for name, station in station_table(config).items():
        found[station_state_name(name)] = arm.solve(
            station.x, station.y, transit_top, station.elbow_sign
        )
    return found


def disabled_collisions(urdf: UrdfModel, samples: int = SAMPLES) -> list[tuple[str, str, str]]:
    """The link pairs a collision check may skip, with MoveIt Setup Assistant's reasons:
    "Adjacent" (one joint apart, links without geometry skipped); and, for pairs of links
    that are not the arm's, "Default" (touching in the all-zero state), "Always" or "Never"
    (touching in every, or none, of `samples` random states of the other joints, seeded).
    A pair with an arm link is checked unless adjacent: sampling can miss a rare collision."""
    links = sorted(name for name, shapes in urdf.shapes.items() if shapes)
    found: dict[tuple[str, str], str] = {}
    for link in links:
        parent = _nearest_solid_ancestor(urdf, link)
        if parent is not None:
            found[tuple(sorted((link, parent)))] = "Adjacent"
    world = [
        (a, b)
        for i, a in enumerate(links)
        for b in links[i + 1 :]
        if (a, b) not in found and a not in SHA_LINKS and b not in SHA_LINKS
    ]
    at_default = touching_links(urdf, {}, world)
    others = [j for j in urdf.movable_joints if j not in SHA_JOINTS]
    rng = np.random.default_rng(0)
    seen = {pair: 0 for pair in world}
    for _ in range(samples):
        values = {}
        for name in others:
            joint = urdf.joints[name]
            low = -np.pi if joint.lower is None else joint.lower
            high = np.pi if joint.upper is None else joint.upper
            values[name] = float(rng.uniform(low, high))
        for pair in touching_links(urdf, values, world):
            seen[pair] += 1
    for pair in world:
        if seen[pair] == samples:
            found[pair] = "Always"
        elif pair in at_default:
            found[pair] = "Default"
        elif seen[pair] == 0:
            found[pair] = "Never"
    return [(a, b, reason) for (a, b), reason in sorted(found.items())]


def _nearest_solid_ancestor(urdf: UrdfModel, link: str) -> str | None:
    """The closest link up the tree that has collision geometry, or None."""
    chain = urdf.chain(link)
    for joint in reversed(chain):
        if urdf.shapes.get(joint.parent):
            return joint.parent
    return None


def generate_srdf(config: ModelConfig, samples: int = SAMPLES) -> str:
    """The SRDF text for a model configuration (floats written exactly, repr). The header
    records the configuration's SHA-256, which tells semantic_model whether the file is
    current."""
    disabled = _disabled_collisions_of(aca_urdf_text(config), samples)
    lines = [
        '<?xml version="1.0"?>',
        "<!-- The semantic description of the ACA for MoveIt: made by aca_sim.motion.semantic",
        "     from config/aca_model.yaml; regenerate with `aca-sim srdf > config/aca.srdf`.",
        f"     {CONFIG_MARK}{config.sha256} -->",
        f'<robot name="{ROBOT}">',
        f'  <group name="{GROUP}">',
        *(f'    <joint name="{joint}"/>' for joint in SHA_JOINTS),
        "  </group>",
    ]
    for name, q in named_states(config).items():
        lines.append(f'  <group_state name="{name}" group="{GROUP}">')
        lines += [
            f'    <joint name="{joint}" value="{value!r}"/>'
            for joint, value in zip(SHA_JOINTS, q, strict=True)
        ]
        lines.append("  </group_state>")
    lines += [
        f'  <disable_collisions link1="{a}" link2="{b}" reason="{reason}"/>'
        for a, b, reason in disabled
    ]
    lines.append("</robot>")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=4)
def _disabled_collisions_of(urdf_text: str, samples: int) -> tuple[tuple[str, str, str], ...]:
    """disabled_collisions of a URDF text, once per text (the sampling takes most of the
    generation: a study's trials share one URDF)."""
    return tuple(disabled_collisions(UrdfModel(urdf_text), samples))


def srdf_file() -> Path:
    """config/aca.srdf: the SRDF of the default model configuration."""
    return share_path("config", "aca.srdf")


def parse_srdf(text: str) -> SemanticModel:
    """The semantic model an SRDF text describes; SemanticError on what it cannot use."""
    try:
        robot = ET.fromstring(text)
    except ET.ParseError as error:
        raise SemanticError(f"not XML: {error}") from None
    groups = {
        group.get("name"): tuple(joint.get("name") for joint in group.findall("joint"))
        for group in robot.findall("group")
    }
    states: dict[str, dict[str, float]] = {}
    for state in robot.findall("group_state"):
        name, group = state.get("name"), state.get("group")
        if group not in groups:
            raise SemanticError(f"group_state {name!r} names unknown group {group!r}")
        values = {j.get("name"): float(j.get("value")) for j in state.findall("joint")}
        if set(values) != set(groups[group]):
            raise SemanticError(f"group_state {name!r} does not give every joint of {group!r}")
        states[name] = values
    disabled = tuple(
        (d.get("link1"), d.get("link2"), d.get("reason", ""))
        for d in robot.findall("disable_collisions")
    )
    return SemanticModel(robot.get("name", ""), groups, states, disabled)


_MODELS: dict[str, SemanticModel] = {}


def semantic_model(config: ModelConfig) -> SemanticModel:
    """The semantic model of a configuration: config/aca.srdf when it was made from this
    configuration (its header says), else generated (a few seconds). Cached per
    configuration; safe to call from any thread (the worst case generates twice)."""
    model = _MODELS.get(config.sha256)
    if model is None:
        path = srdf_file()
        text = path.read_text() if path.is_file() else ""
        if f"{CONFIG_MARK}{config.sha256}" not in text:
            text = generate_srdf(config)
        model = _MODELS[config.sha256] = parse_srdf(text)
    return model
