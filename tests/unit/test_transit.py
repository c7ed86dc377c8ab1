"""Every station is reachable without collision when moving by the transit policy."""

from aca_sim.model.locations import Location
from aca_sim.model.names import SHA_LINKS
from aca_sim.sim import procedures as steps


def arm_contacts(aca):
    """Contacts of the arm or its held tube with anything but each other (N > 0)."""
    world, mech = aca.world, aca.world.mech
    arm = {mech.link_index[name] for name in SHA_LINKS}
    held = {b for b, _ in world.tube_assembly(world.held_tube)} if world.held_tube else set()
    found = []
    for contact in world.p.getContactPoints():
        a, la, b, lb, force = contact[1], contact[3], contact[2], contact[4], contact[9]
        side_a = (a == mech.body and la in arm) or a in held
        side_b = (b == mech.body and lb in arm) or b in held
        if side_a == side_b or force <= 0:
            continue  # neither side is the arm, or the arm touches its own tube
        found.append((a, la, b, lb, round(force, 2)))
    return found


def run_checked(aca, operation, allowed_phase=None):
    """Run an operation; collect arm contacts, except in the phase where contact is the point."""
    seen = []

    def on_feedback(feedback):
        if feedback.phase != allowed_phase:
            seen.extend(arm_contacts(aca))

    aca.run(operation, on_feedback)
    return seen


def test_tour_of_every_station_holding_a_tube_touches_nothing(aca):
    aca.run(steps.retrieve_tube(aca, 12))
    for name in (
        "station_volume_probe",
        "station_cachecam",
        "station_bst",
        "station_sealing",
        "station_seal_dispenser",
        "station_bitcar_port",
        "station_drop",
        "storage_slot_12",
        "pose_stow",
    ):
        station = aca.stations[name]
        touched = run_checked(aca, aca.devices.sha.go_to_station(station, engage=False))
        assert not touched, f"transit to {name}: {touched}"
        if name not in ("pose_stow", "station_drop"):
            below = aca.devices.sha.station_joints(station, station.engage_z - station.guard_dz).z
            touched = run_checked(aca, aca.devices.sha.move_z(below))
            assert not touched, f"approach to {name}: {touched}"


def test_every_storage_slot_can_be_engaged_between_its_neighbours(aca):
    sha, mech = aca.devices.sha, aca.world.mech
    for slot in range(1, aca.config.storage.slot_count + 1):
        station = aca.stations[f"storage_slot_{slot:02d}"]
        start = sha.station_joints(station, station.engage_z - 0.03)
        for name, value in zip(("sha_z", "sha_shoulder", "sha_elbow"), start, strict=True):
            aca.world.p.resetJointState(mech.body, mech.joint_index[name], value)
            mech.hold_joint(name, value)
        touched = run_checked(aca, sha.move_joints(sha.station_joints(station), "engage"))
        assert not touched, f"slot {slot}: {touched}"
        capture = sha.capture_error(aca.world.tube_at(Location.storage(slot)))
        assert (
            capture[0] < aca.config.sha.capture_radius_m
            and capture[1] < aca.config.sha.capture_height_m
        )
