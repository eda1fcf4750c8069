"""Headless Qt: these must be set before anything imports Qt, or Qt aborts with no display.

Settings (QSettings) go to a throwaway folder so tests never read or write a user's.
"""

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# small matrices: BLAS threads only contend (as in the app, see vanishgui/__main__.py)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
_tmp = tempfile.mkdtemp(prefix="vanishgui-tests-")
if not os.environ.get("XDG_RUNTIME_DIR"):
    runtime = os.path.join(_tmp, "runtime")
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = runtime
os.environ["XDG_CONFIG_HOME"] = os.path.join(_tmp, "config")
