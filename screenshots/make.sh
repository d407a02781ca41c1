#!/bin/sh
# Regenerates the PNGs in screenshots/ from a real run: the real server and
# client play scripted scenes in a private tmux server (shots.py), each pane
# is captured with `tmux capture-pane -e -p`, converted to HTML by aha, set
# on a dark page in a monospace font and photographed by headless Chromium.
#
#   screenshots/make.sh [BUILD_DIR] [SCENE...]     (default BUILD_DIR: build)
#
# Needs: tmux, aha, chromium, python3 (scripts/deps.sh screenshots)
# and the DejaVu fonts (fonts-dejavu-core, a Chromium dependency).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build}
[ $# -gt 0 ] && shift
for tool in tmux aha chromium python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "make.sh: $tool not found: scripts/deps.sh screenshots" >&2
        exit 69 # EX_UNAVAILABLE
    fi
done
for bin in sockchat sockchat-server sockchat-admin; do
    if [ ! -x "$build/bin/$bin" ]; then
        echo "make.sh: $build/bin/$bin not found: build first (cmake -S . -B build && cmake --build build)" >&2
        exit 66 # EX_NOINPUT
    fi
done
exec python3 "$here/shots.py" --client "$build/bin/sockchat" \
    --server "$build/bin/sockchat-server" --admin "$build/bin/sockchat-admin" --out "$here" "$@"
