"""The faults the simulator can inject, and the values each takes (see InjectFault.srv).

Kinds: empty_core (the next core comes back empty; value 0 or 1), rim_dust (value = rim dust
coverage of the next core, 0..1), carousel_debris (value = pebbles that fall into the bit
carousel at the next drop-off, a whole number 1..MAX_PEBBLES).
"""

from __future__ import annotations

FAULT_KINDS = ("empty_core", "rim_dust", "carousel_debris")
MAX_PEBBLES = 20  # more pebbles than the bit carousel's pockets hold is not a fault we model


def fault_problem(kind: str, value: float) -> str | None:
    """What is wrong with arming fault `kind` with `value` (a message naming it), or None."""
    if kind not in FAULT_KINDS:
        return f"unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}"
    value = float(value)
    if kind == "rim_dust" and not 0.0 <= value <= 1.0:
        return f"rim_dust value must be in 0..1, got {value}"
    if kind == "empty_core" and value not in (0.0, 1.0):
        return f"empty_core value must be 0 or 1, got {value}"
    if kind == "carousel_debris" and not (1 <= value <= MAX_PEBBLES and value.is_integer()):
        return f"carousel_debris value is a whole pebble count in 1..{MAX_PEBBLES}, got {value}"
    return None
