#!/usr/bin/env bash
# Install the Debian packages aca_sim needs, only those missing; runs apt-get as root or
# through sudo. Usage: install-system-packages.sh [build|run|all] (default all).
#   build: what `make setup` compiles and fetches with: a compiler, cmake, make, the Python venv
#          module and headers, Node.js and npm (the teleop page's three.js and urdf-loader).
#   run:   what `make test` runs with: make; Xvfb with Mesa's software OpenGL (the test of the
#          PyBullet window); chromium-headless-shell (the teleop page's browser tests, driven by
#          Playwright with executable_path, since Playwright cannot download a browser here),
#          a font for it, and libatomic for Playwright's Node.js.
# The CI image (Dockerfile) installs `build` in its build stage and only `run` in the image.
set -euo pipefail

role=${1:-all}
case "$role" in
  build | run | all) ;;
  *) echo "install-system-packages.sh: unknown role '$role' (build, run or all)" >&2; exit 2 ;;
esac

missing=()
want() {  # want PACKAGE...: add the ones dpkg does not have installed
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
      || missing+=("$package")
  done
}

if [ "$role" != run ]; then
  command -v cmake >/dev/null || want cmake
  command -v g++ >/dev/null || want g++
  command -v make >/dev/null || want make
  command -v npm >/dev/null || want nodejs npm
  python=${PYTHON:-python3}
  "$python" -c 'import venv, ensurepip' 2>/dev/null || want python3-venv
  include=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
  [ -f "$include/Python.h" ] || want python3-dev
fi
if [ "$role" != build ]; then
  command -v make >/dev/null || want make
  want xvfb libgl1 libglx-mesa0 libgl1-mesa-dri chromium-headless-shell fonts-dejavu-core
  want libatomic1  # Playwright's own Node.js needs it
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages ($role): all present"
  exit 0
fi
echo "system packages ($role): installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
