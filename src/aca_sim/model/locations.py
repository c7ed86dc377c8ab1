"""Where a tube is: a storage slot, a bit of the bit carousel, the arm's gripper, the ground.

A Location is typed; its text form ("slot_07", "bit_4", "sha", "ground") is the wire and
storage format (messages, the inventory file) and is made and read only here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Place(str, Enum):
    """The kinds of place a tube can be in."""

    STORAGE = "slot"
    BIT = "bit"
    GRIPPER = "sha"
    GROUND = "ground"


_INDEXED = {Place.STORAGE, Place.BIT}
_TEXT = re.compile(r"^(slot)_(\d{2,})$|^(bit)_(\d+)$|^(sha|ground)$")


@dataclass(frozen=True, order=True)
class Location:
    """A place, with its 1-based index for storage slots and bits (0 otherwise)."""

    place: Place
    index: int = 0

    def __post_init__(self) -> None:
        indexed = self.place in _INDEXED
        if (indexed and self.index < 1) or (not indexed and self.index != 0):
            raise ValueError(f"bad location {self.place.value} {self.index}")

    @classmethod
    def storage(cls, slot: int) -> Location:
        """Storage slot `slot` (1-based)."""
        return cls(Place.STORAGE, slot)

    @classmethod
    def bit(cls, bit_slot: int) -> Location:
        """Bit slot `bit_slot` (1-based) of the bit carousel."""
        return cls(Place.BIT, bit_slot)

    @classmethod
    def parse(cls, text: str) -> Location:
        """The location a text names; ValueError naming the text when it names none."""
        match = _TEXT.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not a location (slot_NN, bit_N, sha or ground)")
        if match.group(1):
            return cls.storage(int(match.group(2)))
        if match.group(3):
            return cls.bit(int(match.group(4)))
        return cls(Place(match.group(5)))

    @property
    def in_storage(self) -> bool:
        return self.place == Place.STORAGE

    @property
    def in_bit(self) -> bool:
        return self.place == Place.BIT

    def __str__(self) -> str:
        if self.place == Place.STORAGE:
            return f"slot_{self.index:02d}"
        if self.place == Place.BIT:
            return f"bit_{self.index}"
        return self.place.value


GRIPPER = Location(Place.GRIPPER)
GROUND = Location(Place.GROUND)
