"""The study's progress bar: trials done, failures, retries, rate and ETA.

On a terminal the bar redraws one line; otherwise (CI logs, pipes) it prints a line at most
every `period_s` and at the end. Thread rule: one thread calls it.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts trials as they end and shows them."""

    def __init__(
        self, total: int, already: int = 0, stream: TextIO | None = None, period_s: float = 10.0
    ) -> None:
        """total: the trials of the study; already: those in the table before this run."""
        self.total, self.done, self.failed, self.retried = total, already, 0, 0
        self._already = already
        self._stream = stream if stream is not None else sys.stderr
        self._tty = self._stream.isatty()
        self._period_s = period_s
        self._started = time.monotonic()
        self._shown = 0.0

    def trial_ended(self, failed: bool, attempts: int) -> None:
        """Count one trial (its row written)."""
        self.done += 1
        self.failed += int(failed)
        self.retried += int(attempts > 1)
        self.show()

    @property
    def rate(self) -> float:
        """Trials per second in this run, 0 before the first."""
        elapsed = time.monotonic() - self._started
        ran = self.done - self._already
        return ran / elapsed if ran and elapsed > 0 else 0.0

    def line(self) -> str:
        """The bar as one line of text."""
        width = 30
        filled = round(width * self.done / self.total) if self.total else width
        left = self.total - self.done
        eta = f"{_duration(left / self.rate)}" if self.rate and left else "-"
        return (
            f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} trials, "
            f"{self.failed} failed, {self.retried} retried, {self.rate:.2f} trials/s, ETA {eta}"
        )

    def show(self, final: bool = False) -> None:
        """Draw the bar (on a terminal always; elsewhere every period and at the end)."""
        now = time.monotonic()
        if self._tty:
            self._stream.write("\r" + self.line() + ("\n" if final else ""))
        elif final or now - self._shown >= self._period_s:
            self._stream.write(self.line() + "\n")
            self._shown = now
        self._stream.flush()


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
