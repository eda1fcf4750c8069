#!/usr/bin/env bash
# Builds the one-folder app dist/vanishgui/ for the platform this runs on (PyInstaller, with
# packaging/vanishgui.spec), checks that it starts (its --self-test, offscreen) and prints
# its size. `make package` runs this.
#   packaging/build.sh [--no-check]        PYTHON=... picks the interpreter
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${PYTHON:-}" ]; then
  for candidate in .venv/bin/python .venv/Scripts/python.exe python3 python; do
    if command -v "$candidate" >/dev/null 2>&1; then PYTHON=$candidate; break; fi
  done
fi
if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
  echo "build.sh: PyInstaller is not installed for $PYTHON;" \
       "run: $PYTHON -m pip install -e '.[test]'" >&2
  exit 1
fi

start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/vanishgui.spec
echo "build.sh: built dist/vanishgui/ in $(( $(date +%s) - start )) s"

exe=dist/vanishgui/vanishgui
[ -e "$exe.exe" ] && exe=$exe.exe
if [ "${1:-}" != "--no-check" ]; then
  QT_QPA_PLATFORM=offscreen "$exe" --self-test
fi
size_kb=$(du -sk dist/vanishgui | cut -f1)
echo "build.sh: dist/vanishgui/ is $(( size_kb / 1024 )) MiB, $(( size_kb * 1024 / 1000000 )) MB ($(find dist/vanishgui -type f | wc -l | tr -d ' ') files)"
