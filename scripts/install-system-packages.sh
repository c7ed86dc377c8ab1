#!/usr/bin/env bash
# Install the Debian packages the set-up needs (compiler, cmake, Python venv and headers; Xvfb
# for the test of the PyBullet window; Node.js and npm for the teleop page's three.js and
# urdf-loader; chromium-headless-shell for the page's browser tests, which Playwright drives
# with executable_path because it cannot download a browser here), only when something is
# missing. Runs apt-get as root,
# or through sudo.
set -euo pipefail

missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v Xvfb >/dev/null || missing+=(xvfb)
command -v npm >/dev/null || missing+=(nodejs npm)
[ -x /usr/bin/chromium-headless-shell ] || missing+=(chromium-headless-shell)
python=${PYTHON:-python3}
"$python" -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
include=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
[ -f "$include/Python.h" ] || missing+=(python3-dev)

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "system packages: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
