"""Headless Qt: these must be set before anything imports Qt, or Qt aborts with no display."""

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if not os.environ.get("XDG_RUNTIME_DIR"):
    runtime = os.path.join(tempfile.gettempdir(), f"vanishgui-runtime-{os.getuid()}")
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = runtime
