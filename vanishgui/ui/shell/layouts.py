"""Which of the three window layouts a screen gets (issue 11: layouts for real screens).

- **wide** (available room at least 1600×860 logical px): controls on the left, the
  diagram in the middle, ledger and inspector on the right, and the plots under the
  diagram in two groups side by side ("now" and "over training").
- **laptop** (at least 1300×700): controls on the left, the diagram in the middle with the
  ledger and inspector under it, and one large plot on the right at the window's full
  height, the other plots in tabs behind it.
- **projector** (anything smaller, and projector mode at any size): the diagram with the
  ledger under it, one large plot on the right at full height (the others in tabs
  behind it, G and Shift+G switch), and the controls in a tab beside the ledger.

Under SHORT px of height the ledger, inspector and controls wait in tabs behind the plot
(a lesson's text, beside them, on a screen also under 1300 px wide). A plot is never
squashed to fit: where there is no room for another, it waits in a tab.
"""

from __future__ import annotations

WIDE = (1600, 860)
LAPTOP = (1300, 700)
SHORT = 700  # under this height (1080p at QT_SCALE_FACTOR=2: 540) the ledger is a tab too
PLOT_WIDTH = 0.45  # of the window's width, for the one large plot (laptop, projector)
LEDGER_HEIGHT = 0.5  # of the window's height, at most, for the ledger under the diagram


def layout_for(width: int, height: int, projector: bool = False) -> str:
    """'wide', 'laptop' or 'projector' for a screen's available logical size."""
    if projector:
        return "projector"
    if width >= WIDE[0] and height >= WIDE[1]:
        return "wide"
    if width >= LAPTOP[0] and height >= LAPTOP[1]:
        return "laptop"
    return "projector"
