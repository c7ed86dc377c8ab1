"""Kinds and states of the things the ACA handles, and what each sample kind means.

The string values are the wire and storage format (messages, the inventory file, campaign
files); compare with the enum members, never with the strings.
"""

from __future__ import annotations

from enum import Enum, IntEnum


class TubeKind(str, Enum):
    """A sample tube or a witness tube."""

    SAMPLE = "sample"
    WITNESS = "witness"


class Contents(str, Enum):
    """What a tube physically holds."""

    EMPTY = "empty"
    ROCK_CORE = "rock_core"
    REGOLITH = "regolith"
    WITNESS_MEDIA = "witness_media"


class SealState(IntEnum):
    """A tube's seal: none, in the bore but not pressed, or activated (hermetic)."""

    NONE = 0
    INSERTED = 1
    ACTIVATED = 2


class BitType(str, Enum):
    """The bits of the bit carousel; only sampling bits (regolith, coring) take tubes."""

    ABRADING = "abrading"
    REGOLITH = "regolith"
    CORING = "coring"


class Catalogue(str, Enum):
    """How a sealed tube is catalogued (NONE: not catalogued)."""

    NONE = ""
    ROCK_CORE = "rock_core"
    REGOLITH = "regolith"
    ATMOSPHERIC = "atmospheric"
    WITNESS = "witness"
    DEPOT_DROP = "depot_drop"


class SampleKind(str, Enum):
    """What a caching sequence is asked to do with a tube."""

    ROCK_CORE = "rock_core"
    REGOLITH = "regolith"
    ATMOSPHERIC = "atmospheric"
    WITNESS = "witness"
    DEPOT_DROP = "depot_drop"

    @property
    def drilled_contents(self) -> Contents | None:
        """What the drill puts into the tube for this kind (None: no drilling)."""
        return _DRILLED.get(self)

    @property
    def tube_kind(self) -> TubeKind:
        """The kind of tube this sample goes into."""
        return TubeKind.WITNESS if self == SampleKind.WITNESS else TubeKind.SAMPLE

    @property
    def catalogue(self) -> Catalogue:
        """How a tube sealed for this kind is catalogued unless a fault response says
        otherwise (an empty core becomes atmospheric)."""
        return Catalogue(self.value)


_DRILLED = {SampleKind.ROCK_CORE: Contents.ROCK_CORE, SampleKind.REGOLITH: Contents.REGOLITH}


def catalogue_for(contents: Contents) -> Catalogue:
    """How a sealed tube is catalogued from what it holds (an empty one as atmospheric)."""
    return _CATALOGUE_OF_CONTENTS[contents]


_CATALOGUE_OF_CONTENTS = {
    Contents.EMPTY: Catalogue.ATMOSPHERIC,
    Contents.ROCK_CORE: Catalogue.ROCK_CORE,
    Contents.REGOLITH: Catalogue.REGOLITH,
    Contents.WITNESS_MEDIA: Catalogue.WITNESS,
}


class EmptyTubePolicy(str, Enum):
    """What a sequence does when the volume probe finds no sample."""

    SEAL_AS_ATMOSPHERIC = "seal_as_atmospheric"  # the Roubion response (default)
    HOLD_UNSEALED = "hold_unsealed"  # store it unsealed and wait for ground
    ABORT = "abort"  # store it unsealed and end the sequence with an error
