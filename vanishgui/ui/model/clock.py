"""Play's clock: the one timer that moves the animation, for a Session and for a Lockstep.

It owns the speed (events per second at 1×, or "instant") and calls ``tick`` once per
event; the owner decides what an event is (one Session's next event, or every network's).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

# Player speed: events per second at 1×, and the transition time within an event.
EVENTS_PER_SECOND = 1.5
TRANSITION_MS = 200
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, math.inf)  # inf: "instant"


def play_interval_ms(speed: float) -> int:
    """Milliseconds between Play's events at ``speed`` (0: instant, as fast as Qt allows)."""
    if math.isinf(speed):
        return 0
    return max(1, round(1000 / (EVENTS_PER_SECOND * speed)))


class PlayClock(QObject):
    """Calls ``tick`` every :func:`play_interval_ms` of the speed while running."""

    def __init__(self, tick: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.speed = 1.0
        self._timer = QTimer(self)
        self._timer.timeout.connect(tick)

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    @property
    def instant(self) -> bool:
        return math.isinf(self.speed)

    def start(self) -> None:
        self._timer.start(play_interval_ms(self.speed))

    def stop(self) -> None:
        self._timer.stop()

    def set_speed(self, speed: float) -> None:
        self.speed = speed
        if self.running:
            self._timer.setInterval(play_interval_ms(speed))

    def transition_ms(self) -> int:
        """How long a view should take to blend into the next event's state."""
        return 0 if self.instant else round(TRANSITION_MS / self.speed)
