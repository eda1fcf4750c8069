#!/bin/bash
# Screenshots of the live app in real windows (Xvfb, no window manager), after training,
# at each screen size, normal and projector, and lesson scenes 5-7: what a class sees.
# The app is started as a user starts it, driven by keys (xdotool), and the screen is
# captured with ImageMagick's `import -window root`. Needs xvfb, xdotool, imagemagick
# (packaging/install-system-deps.sh installs them). Usage: docs/live-screenshots.sh [OUT]
set -euo pipefail
out=${1:-docs/live}
mkdir -p "$out"
python=${PYTHON:-.venv/bin/python}
display=:71
shot() {  # shot NAME SIZE KEYS-AFTER-START -- APP-ARGS...
    local name=$1 size=$2 keys=$3; shift 4
    local cfg; cfg=$(mktemp -d)
    Xvfb $display -screen 0 "${size}x24" -nolisten tcp >/dev/null 2>&1 & local xvfb=$!
    sleep 1
    DISPLAY=$display QT_QPA_PLATFORM=xcb XDG_CONFIG_HOME=$cfg XDG_DATA_HOME=$cfg \
        "$python" -m vanishgui "$@" >/dev/null 2>&1 & local app=$!
    local wid; wid=$(DISPLAY=$display xdotool search --sync --onlyvisible --name vanishgui | head -1)
    DISPLAY=$display xdotool windowfocus --sync "$wid"; sleep 1
    for key in $keys; do
        case $key in
            wait*) sleep "${key#wait}" ;;
            *) DISPLAY=$display xdotool key --window "$wid" "$key"; sleep 0.3 ;;
        esac
    done
    sleep 1
    DISPLAY=$display import -window root "$out/$name.png"
    kill "$app"; wait "$app" 2>/dev/null || true
    kill "$xvfb"; wait "$xvfb" 2>/dev/null || true
    rm -rf "$cfg"
    echo "$out/$name.png"
}
circles=resources/examples/deep-sigmoid-circles.json
train="shift+t wait4 space"  # Shift+T trains, Space stops
for size in 1024x768 1280x720 1366x768 1920x1080; do
    shot "window-$size" "$size" "$train" -- "$circles"
    shot "projector-$size" "$size" "$train" -- "$circles" --projector
done
for scene in 5 6 7; do  # Page Down runs the scene's steps (play, train) and waits on
    shot "lesson-scene-$scene-1920x1080" 1920x1080 "Next wait6" -- --lesson vanishing-gradient --scene "$scene"
    shot "lesson-scene-$scene-1024x768-projector" 1024x768 "Next wait6" -- --lesson vanishing-gradient --scene "$scene" --projector
done
# the diagnosis strip on two findings; D is its first line's "Show me"
shot "diagnosis-vanishing-1920x1080" 1920x1080 "d" -- resources/examples/deep-chain-sigmoid.json
shot "diagnosis-saturated-1920x1080" 1920x1080 "d" -- resources/examples/saturated-relu-chain.json
