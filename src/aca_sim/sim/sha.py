"""The Sample Handling Arm: joint moves within limits, guarded Z moves, presses, grip and
release.

Frame: aca_frame. Joint order (sha_z m, sha_shoulder rad, sha_elbow rad). Heights given for
stations are the held tube's open end ("tube top"). Forces come from a load cell on the arm:
the z components of contact forces on the arm and the held tube from everything else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from aca_sim.model.codes import Code
from aca_sim.model.layout import Station
from aca_sim.model.names import SHA_JOINTS, SHA_LINKS
from aca_sim.motion.kinematics import (
    ArmKinematics,
    JointPositions,
    Limits,
    ScaraKinematics,
    UnreachableError,
)
from aca_sim.motion.semantic import semantic_model, station_state_name
from aca_sim.sim.coasting import Coaster
from aca_sim.sim.device import Device
from aca_sim.sim.errors import StepError
from aca_sim.sim.operation import Feedback, Leap, Operation, step_budget
from aca_sim.sim.world import World


@dataclass(frozen=True)
class GuardResult:
    """End of a guarded Z move: whether a force stopped it, the force (N) and sha_z (m)."""

    stopped_on_force: bool
    force_n: float
    z_m: float


class Sha(Device):
    """The SHA device. Motion operations are generators; grip/release act at once."""

    name = "sha"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        cfg = world.config.sha
        self.cfg = cfg
        self.kin = ScaraKinematics(cfg.link1_m, cfg.link2_m, cfg.tube_top_above_tool_m)
        self.limits = (cfg.z, cfg.shoulder, cfg.elbow)
        self.arm = ArmKinematics(
            self.kin, tuple(Limits(j.lower, j.upper, j.velocity) for j in self.limits)
        )
        self.semantic = semantic_model(world.config)
        self.coaster = Coaster(world, SHA_JOINTS, "sha_fore")

    # ------------------------------------------------------------------ state
    def joint_positions(self) -> JointPositions:
        """Current (sha_z, shoulder, elbow)."""
        return JointPositions(*self.mech.positions_and_velocities(SHA_JOINTS)[0])

    def _sensed(self) -> tuple[list[tuple[int, int]], set[tuple[int, int]]]:
        world = self.world
        arm = [self.mech.link_pair(link) for link in SHA_LINKS]
        held = world.tube_assembly(world.held_tube) if world.held_tube else []
        return arm + held, set(held) | set(arm)

    def measured_force(self) -> float:
        """Load-cell reading: axial contact force on the arm and its tube from outside, N."""
        return self.world.contact_force(*self._sensed(), axial=True)

    def collision_force(self) -> float:
        """Contact force on the arm and its tube from outside, in any direction, N."""
        return self.world.contact_force(*self._sensed(), axial=False)

    def guard_contact(self, limit_n: float, phase: str) -> float:
        """The contact force on the arm and its tube (N); StepError MOTION_FAILED naming the
        phase when it is above limit_n (the arm ran into something)."""
        force = self.collision_force()
        if force > limit_n:
            raise StepError(
                Code.MOTION_FAILED,
                f"unexpected contact of {force:.1f} N during {phase}",
                force_n=force,
            )
        return force

    def station_joints(self, station: Station, z_top: float | None = None) -> JointPositions:
        """Joint positions putting the tube top at a station (default height: engaged)."""
        z = station.engage_z if z_top is None else z_top
        try:
            return self.arm.solve(station.x, station.y, z, station.elbow_sign)
        except UnreachableError as exc:
            raise StepError(Code.UNREACHABLE, f"{station.name}: {exc}") from exc

    def limit_violation(self, q: JointPositions) -> str | None:
        """Describe the first joint outside its limits, or None."""
        return self.arm.violation(q)

    # ------------------------------------------------------------------ motion
    def hold(self) -> None:
        """Stop: every SHA joint holds where it is."""
        self.mech.hold_all(SHA_JOINTS)

    def move_joints(
        self, target: JointPositions, phase: str = "move", guard_force_n: float | None = None
    ) -> Operation[JointPositions]:
        """Move all three joints to target at their speed limits; stop and raise
        MOTION_FAILED when the contact force rises guard_force_n (default from config) above
        what it was at the start (leaving a contact is fine, running into one is not)."""
        violation = self.limit_violation(target)
        if violation:
            raise StepError(Code.OUT_OF_LIMITS, f"joint goal {violation}")
        guard = self.cfg.guard_force_n if guard_force_n is None else guard_force_n
        guard += self.collision_force()
        start = np.array(self.joint_positions())
        goal = np.array(target)
        speeds = np.array([lim.velocity for lim in self.limits])
        nominal_s = float(np.max(np.abs(goal - start) / speeds))
        timeout_steps = step_budget(self.world.dt, nominal_s, self.cfg.move_timeout_margin, 2.0)
        tolerances = np.array(
            [
                self.cfg.position_tolerance_m,
                self.cfg.angle_tolerance_rad,
                self.cfg.angle_tolerance_rad,
            ]
        )
        for name, value, lim in zip(SHA_JOINTS, target, self.limits, strict=True):
            self.mech.command_joint(name, "position", value, lim.velocity, lim.effort)
        tolerance_list = [float(t) for t in tolerances]
        span = float(np.max(np.abs(goal - start) / np.maximum(tolerances, 1e-9))) or 1.0
        progress, taken = 0.0, 0
        try:
            while taken < timeout_steps:
                now = np.array(self.joint_positions())
                remaining = float(np.max(np.abs(goal - now) / tolerances))
                progress = max(progress, min(1.0, 1.0 - remaining / span))
                # coasting: nothing within reach, no contact to guard against
                coasting = self.coaster.coasting()
                force = 0.0 if coasting else self.guard_contact(guard, phase)
                if np.all(np.abs(goal - now) <= tolerances):
                    return JointPositions(*now)
                steps = min(self.coaster.leap(target, tolerance_list), timeout_steps - taken)
                yield Leap(phase, progress, force, float(now[0]), steps)
                taken += steps
            raise StepError(
                Code.TIMEOUT,
                f"{phase}: joints did not reach {tuple(round(v, 4) for v in target)}",
            )
        except BaseException:
            self.hold()
            raise
        finally:
            self.coaster.stop()

    def move_z(self, z: float, phase: str = "z") -> Operation[JointPositions]:
        """Move only sha_z (planar joints hold)."""
        q = self.joint_positions()
        return self.move_joints(JointPositions(z, q.shoulder, q.elbow), phase)

    def guarded_z(
        self, z_target: float, force_limit_n: float, phase: str = "guarded_z"
    ) -> Operation[GuardResult]:
        """Move sha_z toward z_target; stop early when the load cell exceeds force_limit_n."""
        lim = self.cfg.z
        if not lim.lower <= z_target <= lim.upper:
            raise StepError(
                Code.OUT_OF_LIMITS,
                f"sha_z goal {z_target:.4f} outside [{lim.lower}, {lim.upper}]",
            )
        z0 = self.mech.joint_position("sha_z")
        span = abs(z_target - z0) or 1e-9
        timeout_steps = step_budget(
            self.world.dt, span / lim.velocity, self.cfg.move_timeout_margin, 2.0
        )
        self.mech.command_joint("sha_z", "position", z_target, lim.velocity, lim.effort)
        z_goal = (z_target, math.inf, math.inf)  # only Z ends a guarded move
        z_tolerance = (self.cfg.position_tolerance_m, math.inf, math.inf)
        taken = 0
        try:
            while taken < timeout_steps:
                z = self.mech.joint_position("sha_z")
                coasting = self.coaster.coasting()
                force = 0.0 if coasting else self.measured_force()
                if force >= force_limit_n:
                    self.hold()
                    return GuardResult(True, force, z)
                if abs(z - z_target) <= self.cfg.position_tolerance_m:
                    return GuardResult(False, force, z)
                steps = min(self.coaster.leap(z_goal, z_tolerance), timeout_steps - taken)
                yield Leap(phase, min(1.0, abs(z - z0) / span), force, z, steps)
                taken += steps
            raise StepError(Code.TIMEOUT, f"{phase}: sha_z did not reach {z_target:.4f} m")
        except BaseException:
            self.hold()
            raise
        finally:
            self.coaster.stop()

    def push_up(self, z_target: float, motor_force_n: float) -> None:
        """Command sha_z toward z_target with its motor force limited to motor_force_n (a
        press: the force the arm can apply is what the limit lets through)."""
        self.mech.command_joint("sha_z", "position", z_target, self.cfg.z.velocity, motor_force_n)

    def moving_weight_n(self) -> float:
        """Weight the Z motor lifts with a held tube, N: the links it moves (SHA_LINKS, each
        of the model's link_mass_kg, the fork's jaws being part of sha_fore) and the tube."""
        cfg = self.world.config
        return cfg.physics.gravity_mps2 * (
            len(SHA_LINKS) * self.cfg.link_mass_kg + cfg.tube.mass_kg
        )

    def unload(self) -> Operation[float]:
        """After a force-terminated move, back Z off slowly until the load cell reads under
        the model's sha.unload_below_n (or it backed off sha.unload_backoff_m); return the
        final reading, N."""
        lim, below_n, max_backoff_m = (
            self.cfg.z,
            self.cfg.unload_below_n,
            self.cfg.unload_backoff_m,
        )
        z0 = self.mech.joint_position("sha_z")
        target = max(lim.lower, z0 - max_backoff_m)
        self.mech.command_joint("sha_z", "position", target, lim.velocity / 5, lim.effort)
        force = self.measured_force()
        try:
            for _ in range(
                step_budget(self.world.dt, max_backoff_m / (lim.velocity / 5), slack_s=1.0)
            ):
                yield Feedback("unload", 1.0, force, self.mech.joint_position("sha_z"))
                force = self.measured_force()
                if force < below_n:
                    break
        finally:
            self.hold()
        return force

    def transit_joints(self, station: Station) -> JointPositions:
        """The named state at the transit height under a station (the SRDF's, as the
        planner's); StepError UNREACHABLE when the model has none for it."""
        try:
            return self.semantic.state(station_state_name(station.name))
        except KeyError:
            raise StepError(
                Code.UNREACHABLE, f"{station.name}: no named state at the transit height"
            ) from None

    def go_to_station(
        self, station: Station, engage: bool, force_limit_n: float | None = None
    ) -> Operation[GuardResult | None]:
        """Transit policy: retract Z to the transit height, move in the plane, then (engage)
        a guarded Z move up to the station's engaged height."""
        at_transit = self.transit_joints(station)
        q = self.joint_positions()
        if abs(q.z - self.cfg.transit_z_m) > self.cfg.position_tolerance_m:
            yield from self.move_z(self.cfg.transit_z_m, "retract")
        yield from self.move_joints(at_transit, "transit")
        if not engage:
            return None
        return (yield from self.approach(station, force_limit_n))

    def approach(
        self, station: Station, force_limit_n: float | None = None
    ) -> Operation[GuardResult]:
        """From the transit height under a station, the final Z move to its engaged height:
        guarded (stops when the load cell reaches force_limit_n, default from config), or a
        plain move down for a station below the transit plane (the drop port)."""
        engaged = self.station_joints(station)
        limit = self.cfg.guard_force_n if force_limit_n is None else force_limit_n
        if engaged.z < self.joint_positions().z:
            yield from self.move_z(engaged.z, "lower")
            return GuardResult(False, self.measured_force(), engaged.z)
        return (yield from self.guarded_z(engaged.z, limit, "engage"))

    def retract(self) -> Operation[JointPositions]:
        """Move Z back down (or up) to the transit height."""
        return self.move_z(self.cfg.transit_z_m, "retract")

    # ------------------------------------------------------------------ gripper
    def hold_point(self) -> np.ndarray:
        """World position where a gripped tube's bottom centre belongs, m."""
        bottom = self.cfg.tube_top_above_tool_m - self.world.config.tube.length_m
        return np.array(self.mech.link_point("sha_fore", [self.cfg.link2_m, 0, bottom])[0])

    def capture_error(self, tube_id: int) -> tuple[float, float]:
        """Radial and vertical offset of a tube's bottom centre from the hold point, m."""
        tube_bottom = np.array(self.world.holds.tube_pose(tube_id)[0])
        delta = tube_bottom - self.hold_point()
        return float(math.hypot(delta[0], delta[1])), float(abs(delta[2]))

    def grip(self, tube_id: int) -> None:
        """Close the gripper on a tube; refused (GRIP_FAILED) outside the capture tolerance."""
        if self.world.held_tube:
            raise StepError(Code.GRIPPER_OCCUPIED, f"already holding tube {self.world.held_tube}")
        radial, vertical = self.capture_error(tube_id)
        if radial > self.cfg.capture_radius_m or vertical > self.cfg.capture_height_m:
            raise StepError(
                Code.GRIP_FAILED,
                f"tube {tube_id} is {radial * 1000:.2f} mm off axis and {vertical * 1000:.2f} mm "
                f"off height (tolerance {self.cfg.capture_radius_m * 1000:.1f} / "
                f"{self.cfg.capture_height_m * 1000:.1f} mm)",
            )
        self.world.attach_to_gripper(tube_id)

    def release(self) -> int:
        """Open the gripper; return the tube id it held."""
        if not self.world.held_tube:
            raise StepError(Code.NO_TUBE_HELD, "the gripper is empty")
        return self.world.detach_from_gripper()
