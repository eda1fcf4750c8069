"""vanishgui: watch the vanishing-gradient problem happen."""

__version__ = "0.1.0"
