#!/usr/bin/env bash
# Build the one-folder app into dist/ with build.spec, then self-test the built app.
#
#   tools/build_dist.sh            dist/Simvid Desktop/ (+ "Simvid Desktop.app" on macOS)
#   tools/build_dist.sh --archive  also dist/simvid-desktop-VERSION-OS-ARCH.tar.gz
#
# PYTHON selects the interpreter (default .venv/bin/python, which needs the dev extra).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
ARCHIVE=0
for arg in "$@"; do
    case "$arg" in
        --archive) ARCHIVE=1 ;;
        *) echo "usage: $0 [--archive]" >&2; exit 2 ;;
    esac
done

APP="dist/Simvid Desktop"
start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller build.spec
echo "built $APP in $(( $(date +%s) - start )) s ($(du -sh "$APP" | cut -f1))"

# The self-test renders through spawned worker processes: the bundle's own ffmpeg, Qt-free
# workers, resources and platformdirs folders are all exercised.
QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} "$APP/simvid" --self-test

if [ "$ARCHIVE" = 1 ]; then
    version=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
    os=$(uname -s | tr '[:upper:]' '[:lower:]')
    tarball="dist/simvid-desktop-$version-$os-$(uname -m).tar.gz"
    tar -C dist -czf "$tarball" "Simvid Desktop"
    echo "archived $tarball ($(du -sh "$tarball" | cut -f1))"
fi
