"""Run under an X display (DISPLAY set): open the PyBullet window on a new ACA, take two
screenshots, with and without the ACA's multibody, save the first, and print as JSON the
share of the window the assembly covers and the share of the left panel area that is white
(the "Synthetic Camera" previews PyBullet shows by default)."""

import json
import sys
import time

import numpy as np
from PIL import ImageGrab

from aca_sim.sim.aca import Aca

WINDOW = (0, 0, 1024, 768)  # PyBullet's default window, at the screen's top left
LEFT_PANELS = (10, 60, 245, 700)


def grab(display: str) -> np.ndarray:
    time.sleep(0.5)  # let the window draw
    return np.asarray(ImageGrab.grab(bbox=WINDOW, xdisplay=display).convert("RGB"), float)


def main(display: str, path: str) -> None:
    aca = Aca.create(gui=True)
    for _ in range(30):
        aca.step()
    with_aca = grab(display)
    ImageGrab.grab(xdisplay=display).save(path)
    aca.world.p.removeBody(aca.world.mech.body)  # the window redraws on its own thread
    without = grab(display)
    covered = float(np.mean(np.abs(with_aca - without).sum(axis=2) > 30))
    x0, y0, x1, y1 = LEFT_PANELS
    white = float(np.mean(with_aca[y0:y1, x0:x1].min(axis=2) > 245))
    aca.world.p.disconnect()
    print(json.dumps({"covered": covered, "white_panels": white}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
