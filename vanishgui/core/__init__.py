"""The numeric core: numpy only, never Qt. Every number the app shows comes from here."""

from .activations import Activation, parse_activation
from .experiment import Experiment, ExperimentError, classic, load_experiment, save_experiment
from .network import Network, Pass, run_pass
from .trace import Event, Player, Trace
from .training import History, Trainer

__all__ = [
    "Activation",
    "Event",
    "Experiment",
    "ExperimentError",
    "History",
    "Network",
    "Pass",
    "Player",
    "Trace",
    "Trainer",
    "classic",
    "load_experiment",
    "parse_activation",
    "run_pass",
    "save_experiment",
]
