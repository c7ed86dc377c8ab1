#!/usr/bin/env bash
# Make a finished .venv smaller for the CI image (Dockerfile's build stage; never run on a
# developer's venv): nothing the tests or the product run with is removed.
#   - debug symbols are stripped from shared libraries and programs (pybullet's module alone
#     carries 125 MB of them); the code is unchanged. Not the libraries auditwheel vendored
#     into <package>.libs/: patchelf rewrote their headers, and strip then leaves load
#     segments the loader refuses ("ELF load command address/offset not page-aligned": it
#     broke scipy's OpenBLAS). At the end every native module the project imports is
#     imported once, so a library the slimming broke fails the build, not the tests;
#   - pybullet_data (PyBullet's example robots, 142 MB) goes: aca_sim builds its own model
#     from urdf/ and never loads it (tests/unit/test_packaging.py checks that no code names it);
#   - C headers (.venv/include) go: only the interface build used them;
#   - byte-code caches go: Python writes them again on first import;
#   - Cython goes (it compiled python-fcl during the set-up; nothing imports it at run time);
#   - identical files become hard links of one another (each ROS wheel vendors its own copies
#     of libcrypto, libssl, Fast DDS...: about 60 MB).
# Usage: slim-venv.sh VENV
set -euo pipefail
venv=${1:?usage: slim-venv.sh VENV}
[ -f "$venv/pyvenv.cfg" ] || { echo "slim-venv.sh: $venv is not a venv" >&2; exit 2; }
before=$(du -sm "$venv" | cut -f1)

find "$venv" -type f \( -name '*.so' -o -name '*.so.*' -o -path '*/playwright/driver/node' \) \
  -not -path '*/site-packages/*.libs/*' -print0 | xargs -0 -r strip --strip-debug
rm -rf "$venv"/lib/python3*/site-packages/pybullet_data "$venv/include"
find "$venv" -depth -type d -name __pycache__ -exec rm -rf {} +
"$venv/bin/python" -m pip uninstall --yes --quiet cython
"$venv/bin/python" - "$venv" <<'PYTHON'
import hashlib, os, sys
seen = {}
for root, _dirs, files in os.walk(sys.argv[1]):
    for name in files:
        path = os.path.join(root, name)
        if os.path.islink(path) or os.path.getsize(path) < 4096:
            continue
        with open(path, "rb") as stream:
            key = (os.path.getsize(path), hashlib.sha256(stream.read()).hexdigest())
        first = seen.setdefault(key, path)
        if first != path and os.stat(first).st_mode == os.stat(path).st_mode:
            os.unlink(path)
            os.link(first, path)
PYTHON

# Every native module the project and its tests import, loaded once with the slimmed venv.
"$venv/bin/python" -B -c "
import numpy, scipy.stats, pybullet, fcl, ompl.base, ompl.geometric, ruckig, ray
import rclpy, foxglove, mcap, matplotlib.pyplot, PIL.Image, zstandard
import playwright.sync_api
" || { echo "slim-venv.sh: a native module no longer loads after slimming (above)" >&2; exit 1; }

echo "slim-venv.sh: $venv ${before} MB -> $(du -sm "$venv" | cut -f1) MB"
