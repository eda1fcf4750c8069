"""A hidden start-up probe, for packaging/bench_startup.py.

With ``VANISHGUI_STARTUP_PROBE=1`` in the environment, ``watch_first_paint(window)`` waits for
the main window's first paint, then prints ``first-paint-seconds=<t>``, closes the window
and quits. ``t`` counts from the start of the process as the kernel recorded it (Linux:
``/proc/self/stat``, so a frozen app's boot loader and the interpreter's own start count
too). Where there is no ``/proc``, it counts from this module's import and a second line,
``first-paint-clock=import``, says so. Without the variable, nothing happens.
"""

from __future__ import annotations

import os
import sys
import time

ENV = "VANISHGUI_STARTUP_PROBE"
_IMPORTED = time.monotonic()


def settle_memory() -> None:
    """Move everything built so far (modules, the window) out of the garbage collector's
    sight. A full collection then scans only what came since: it took 30-50 ms on the
    deepest network while training, each time holding up the window."""
    import gc

    gc.collect()
    gc.freeze()


def process_age() -> float | None:
    """Seconds since this process was started, from the kernel; None if it cannot tell."""
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        # Field 22, starttime, in clock ticks since boot; fields count from after "(comm)".
        start_ticks = int(stat[stat.rindex(b")") + 2:].split()[19])
        return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def watch_first_paint(window) -> None:
    if os.environ.get(ENV) != "1":
        return
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication.instance()

    class FirstPaint(QObject):
        def eventFilter(self, obj, event) -> bool:
            if (event.type() == QEvent.Type.Paint and isinstance(obj, QWidget)
                    and obj.window() is window):
                app.removeEventFilter(self)
                # Runs once this paint pass (the whole window) has been drawn and flushed.
                QTimer.singleShot(0, report)
            return False

    def report() -> None:
        age = process_age()
        if age is None:
            print(f"first-paint-seconds={time.monotonic() - _IMPORTED:.3f}")
            print("first-paint-clock=import")
        else:
            print(f"first-paint-seconds={age:.3f}")
        sys.stdout.flush()
        window.close()
        app.quit()

    window._startup_probe = FirstPaint(window)  # kept alive with the window
    app.installEventFilter(window._startup_probe)
