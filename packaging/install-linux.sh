#!/bin/sh
# Installs the vanishgui app folder (this script sits in it as install.sh) for the current
# user, no root needed:
#   the app            ~/.local/opt/vanishgui/
#   the command        ~/.local/bin/vanishgui
#   menu entry, icon, file type and AppStream data under ~/.local/share/ (from share/ here)
# Usage: ./install.sh            install, or update from a newer folder
#        ./install.sh --uninstall
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
APPDIR=$HOME/.local/opt/vanishgui
BINDIR=$HOME/.local/bin

refresh() {  # the desktop's caches; each tool is optional
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$DATA/applications" || true
  fi
  if command -v update-mime-database >/dev/null 2>&1; then
    update-mime-database "$DATA/mime" || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor" || true
  fi
}

uninstall() {
  rm -f "$BINDIR/vanishgui" "$DATA/applications/vanishgui.desktop" \
        "$DATA/mime/packages/vanishgui.xml" "$DATA/metainfo/io.github.vanishgui.metainfo.xml"
  rm -f "$DATA"/icons/hicolor/*/apps/vanishgui.png "$DATA/icons/hicolor/scalable/apps/vanishgui.svg"
  # Only ever remove a folder that is a vanishgui app folder.
  if [ -x "$APPDIR/vanishgui" ] && [ -d "$APPDIR/_internal" ]; then
    rm -rf "$APPDIR"
  fi
}

if [ "${1:-}" = "--uninstall" ]; then
  uninstall
  refresh
  echo "vanishgui: uninstalled"
  exit 0
fi
if [ ! -x "$HERE/vanishgui" ] || [ ! -d "$HERE/share" ]; then
  echo "install.sh: run the install.sh inside the vanishgui app folder" >&2
  exit 1
fi

if [ "$HERE" != "$APPDIR" ]; then
  if [ -e "$APPDIR" ] && { [ ! -x "$APPDIR/vanishgui" ] || [ ! -d "$APPDIR/_internal" ]; }; then
    echo "install.sh: $APPDIR exists and is not a vanishgui app folder; not touching it" >&2
    exit 1
  fi
  rm -rf "$APPDIR"
  mkdir -p "$(dirname "$APPDIR")"
  cp -R "$HERE" "$APPDIR"
fi
mkdir -p "$BINDIR" "$DATA"
ln -sf "$APPDIR/vanishgui" "$BINDIR/vanishgui"
cp -R "$APPDIR/share/." "$DATA/"
# The menu may not search ~/.local/bin: name the command by its full path there.
sed "s|^Exec=vanishgui |Exec=\"$BINDIR/vanishgui\" |" "$APPDIR/share/applications/vanishgui.desktop" \
  > "$DATA/applications/vanishgui.desktop"
refresh
echo "vanishgui: installed in $APPDIR; start it from the menu (Education) or run $BINDIR/vanishgui"
