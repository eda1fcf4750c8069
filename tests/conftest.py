"""Headless Qt: these must be set before anything imports Qt, or Qt aborts with no display.

Settings (QSettings) go to a throwaway folder so tests never read or write a user's.
"""

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_tmp = tempfile.mkdtemp(prefix="vanishgui-tests-")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":
    # a 1920×1080 screen (offscreen's own is 800×800): the window opens at its usual
    # 1600×900 in the wide layout; tests of other sizes run real windows on Xvfb
    _screen = os.path.join(_tmp, "offscreen.json")
    with open(_screen, "w") as f:
        f.write('{"screens": [{"name": "test", "x": 0, "y": 0, "width": 1920, '
                '"height": 1080, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}')
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_screen}"
# small matrices: BLAS threads only contend (as in the app, see vanishgui/__main__.py)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
if not os.environ.get("XDG_RUNTIME_DIR"):
    runtime = os.path.join(_tmp, "runtime")
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = runtime
os.environ["XDG_CONFIG_HOME"] = os.path.join(_tmp, "config")
