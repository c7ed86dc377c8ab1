"""The rim-dust series of a run folder: every CacheCam image of a tube the ground had swept
(as the team watched Mageik's rim on 22, 26, 28 and 31 Oct 2022, brief A9), with a caption
saying when it was taken (at caching, before sweeping, after round k) and the rim-dust
estimate, drawn side by side in plots/rim_series_<sample>.png.

No ROS: it reads the history's step spans and the images the report extracted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless; set before pyplot is imported
import matplotlib.pyplot as plt

from aca_sim.model.status import StepStatus
from aca_sim.recording.spans import StepSpan, slug


@dataclass(frozen=True)
class Frame:
    """An extracted CacheCam frame: its file, sim-time stamp (s) and focus mode."""

    path: Path
    stamp_s: float
    focus: str


@dataclass(frozen=True)
class RimImage:
    """One capture_image step of a swept tube: its sim-time interval (s), the estimate from
    the image (0..1), the sweeps done on the tube before it, and its caption."""

    sample_name: str
    tube_id: int
    start_s: float
    end_s: float
    rim_dust_estimate: float
    sweeps_before: int
    caption: str


def rim_series(spans: list[StepSpan]) -> list[RimImage]:
    """The captioned rim images of every tube with a succeeded sweep_bore, in time order."""
    swept = [
        s.tube_id for s in spans if s.step == "sweep_bore" and s.outcome == StepStatus.SUCCEEDED
    ]
    series = []
    for tube_id in dict.fromkeys(swept):
        sweeps = rounds = 0
        stuck = False
        for span in (s for s in spans if s.tube_id == tube_id):
            if span.step == "dispense_seal" and span.outcome != StepStatus.SUCCEEDED:
                stuck = True
            elif span.step == "sweep_bore" and span.outcome == StepStatus.SUCCEEDED:
                rounds += 1
                sweeps += int(span.measurement.get("sweeps_done", 0))
            elif span.step == "capture_image" and "rim_dust_estimate" in span.measurement:
                if not stuck:
                    when = "at caching"
                elif rounds == 0:
                    when = "before sweeping"
                else:
                    when = f"after round {rounds} ({sweeps} sweeps)"
                dust = float(span.measurement["rim_dust_estimate"])
                caption = (
                    f"{span.sample_name or tube_id}, {when}, "
                    f"sim {span.end_s:.0f} s: rim dust ~{dust:.2f}"
                )
                series.append(
                    RimImage(
                        span.sample_name, tube_id, span.start_s, span.end_s, dust, sweeps, caption
                    )
                )
    return series


def image_of(rim: RimImage, frames: list[Frame], focus: str = "rim") -> Path | None:
    """The extracted frame of this focus mode taken during the capture, if recorded."""
    return next(
        (
            f.path
            for f in frames
            if f.focus == focus and rim.start_s - 1e-6 <= f.stamp_s <= rim.end_s + 1e-6
        ),
        None,
    )


def plot_rim_series(
    series: list[RimImage], frames: list[Frame], plots: Path
) -> list[dict[str, str]]:
    """One figure per swept tube: its rim-in-focus frames side by side with their captions,
    the sample-in-focus frame of each capture below; return, per capture, the caption and
    the rim frame's file (empty when the recording holds no image)."""
    listed = []
    for tube_id in dict.fromkeys(r.tube_id for r in series):
        row = [(r, image_of(r, frames), image_of(r, frames, "sample")) for r in series
               if r.tube_id == tube_id]  # fmt: skip
        listed += [
            {"caption": r.caption, "image": path.name if path else ""} for r, path, _ in row
        ]
        shown = [entry for entry in row if entry[1] is not None]
        if not shown:
            continue
        rows = 2 if any(sample for _, _, sample in shown) else 1
        fig, axes = plt.subplots(
            rows, len(shown), figsize=(3.2 * len(shown), 2.9 * rows + 0.7), squeeze=False
        )
        for column, (rim, path, sample) in enumerate(shown):
            axes[0][column].imshow(plt.imread(path))
            title = rim.caption.replace(", sim", "\nsim").replace(": ", "\n")
            axes[0][column].set_title(title, fontsize=8)
            if rows == 2 and sample is not None:
                axes[1][column].imshow(plt.imread(sample))
            for ax in axes[:, column]:
                ax.set_axis_off()
        axes[0][0].text(-0.04, 0.5, "rim in focus", rotation=90, fontsize=8, va="center",
                        ha="right", transform=axes[0][0].transAxes)  # fmt: skip
        if rows == 2:
            axes[1][0].text(-0.04, 0.5, "sample in focus", rotation=90, fontsize=8, va="center",
                            ha="right", transform=axes[1][0].transAxes)  # fmt: skip
        name = row[0][0].sample_name or str(tube_id)
        fig.suptitle(f"{name}: the rim through the ground's recovery (CacheCam)", fontsize=10)
        fig.tight_layout()
        fig.savefig(plots / f"rim_series_{slug(name)}.png", dpi=110)
        plt.close(fig)
    return listed


def series_markdown(listed: list[dict[str, str]]) -> str:
    """The summary's section for the series `plot_rim_series` returned ("" when empty)."""
    if not listed:
        return ""
    lines = ["", "", "## The rim through the ground's recovery (CacheCam)", ""]
    for entry in listed:
        where = f" (images/{entry['image']})" if entry["image"] else ""
        lines.append(f"- {entry['caption']}{where}")
    return "\n".join(lines)
