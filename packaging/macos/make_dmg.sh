#!/usr/bin/env bash
# Wrap "dist/Simvid Desktop.app" (from `pyinstaller build.spec` on macOS) into a compressed
# disk image with the usual drag-to-Applications link: dist/SimvidDesktop-VERSION.dmg.
#
# macOS only (hdiutil). Run by .github/workflows/release.yml. The app is ad-hoc signed by
# PyInstaller, not signed with a Developer ID nor notarized: Gatekeeper asks the user to
# confirm the first start (right click > Open).
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-python3}
APP="dist/Simvid Desktop.app"
[ -d "$APP" ] || { echo "make_dmg.sh: $APP not found; run pyinstaller build.spec first" >&2; exit 1; }
version=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
dmg="dist/SimvidDesktop-$version.dmg"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# ditto keeps the bundle's symlinks, permissions and signatures intact (cp -R may not).
ditto "$APP" "$stage/Simvid Desktop.app"
ln -s /Applications "$stage/Applications"

rm -f "$dmg"
hdiutil create -volname "Simvid Desktop $version" -srcfolder "$stage" -fs HFS+ \
    -format UDZO -imagekey zlib-level=9 -ov "$dmg"
hdiutil verify "$dmg"
echo "wrote $dmg ($(du -h "$dmg" | cut -f1))"
