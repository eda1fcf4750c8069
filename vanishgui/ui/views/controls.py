"""The controls panel: every setting of the experiment, each within the core's ranges.

Editing a control builds the experiment's JSON document and hands it to the core's
parser, the same one that reads files, so the GUI can never make an experiment a file
could not hold. A combination the core refuses (bce with a ReLU output, say) is named
in one sentence under the controls and nothing changes. The Session decides what an edit
keeps: the learning rate, momentum, optimiser and batch size apply to the network being
trained; the rest makes a new one (see :meth:`Session.edit`).
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...core import activations, datasets, initializers, losses, optimizers
from ...core.experiment import MAX_LEARNING_RATE, Experiment, ExperimentError, parse_experiment
from ...core.network import MAX_WEIGHT_LAYERS, MAX_WIDTH
from ..model.session import Session

LR_MIN_EXP, LR_MAX_EXP = -4.0, math.log10(MAX_LEARNING_RATE)
LR_TICKS = 500


class ActivationPicker(QWidget):
    """An activation name and, when it has one, its parameter."""

    def __init__(self, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.combo = QComboBox(self)
        for name in activations.NAMES:
            self.combo.addItem(activations.INFO[name].label, name)
        self.combo.setToolTip(tooltip)
        self.param = QDoubleSpinBox(self)
        self.param.setDecimals(3)
        self.param.setRange(-100.0, 100.0)
        self.param.setSingleStep(0.01)
        lay.addWidget(self.combo, 1)
        lay.addWidget(self.param)
        self.combo.currentIndexChanged.connect(self._sync_param)
        self._sync_param()

    def _sync_param(self) -> None:
        params = activations.INFO[self.combo.currentData()].params
        self.param.setVisible(bool(params))
        if params:
            key, default = params[0]
            self.param.setToolTip(f"{key} (default {default:g})")
            with QSignalBlocker(self.param):
                self.param.setValue(default)

    def set_activation(self, act: activations.Activation) -> None:
        with QSignalBlocker(self.combo):
            self.combo.setCurrentIndex(self.combo.findData(act.name))
        self._sync_param()
        params = activations.INFO[act.name].params
        if params:
            with QSignalBlocker(self.param):
                self.param.setValue(act.param(params[0][0]))

    def value(self) -> Any:
        name = self.combo.currentData()
        params = activations.INFO[name].params
        if params:
            return {"name": name, params[0][0]: self.param.value()}
        return name


class LogSlider(QWidget):
    """A learning rate from 1e-4 to 10 on a logarithmic slider, with its value typed too."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, LR_TICKS)
        self.spin = QDoubleSpinBox(self)
        self.spin.setDecimals(4)
        self.spin.setRange(10 ** LR_MIN_EXP, MAX_LEARNING_RATE)
        self.spin.setSingleStep(0.01)
        tip = "Learning rate η, from 0.0001 to 10 (the slider is logarithmic)"
        self.slider.setToolTip(tip)
        self.spin.setToolTip(tip)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.spin)
        self.slider.valueChanged.connect(self._on_slider)
        self.spin.valueChanged.connect(self._on_spin)

    def _on_slider(self, v: int) -> None:
        lr = 10 ** (LR_MIN_EXP + (LR_MAX_EXP - LR_MIN_EXP) * v / LR_TICKS)
        self.spin.setValue(float(f"{lr:.4g}"))

    def _on_spin(self, lr: float) -> None:
        with QSignalBlocker(self.slider):
            pos = (math.log10(max(lr, 1e-12)) - LR_MIN_EXP) / (LR_MAX_EXP - LR_MIN_EXP)
            self.slider.setValue(round(pos * LR_TICKS))

    def set_value(self, lr: float) -> None:
        self.spin.setValue(lr)
        self._on_spin(lr)

    def value(self) -> float:
        return self.spin.value()


class ControlsPanel(QScrollArea):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget(self)
        self.setWidget(body)
        outer = QVBoxLayout(body)
        self._loading = False
        self._apply_timer = QTimer(self)
        self._apply_timer.setSingleShot(True)
        self._apply_timer.setInterval(150)  # typing "16" must not build a 1-wide net first
        self._apply_timer.timeout.connect(self.apply)

        net = QGroupBox("Network", body)
        f = QFormLayout(net)
        self.hidden_layers = QSpinBox(net)
        self.hidden_layers.setRange(0, MAX_WEIGHT_LAYERS - 1)
        self.hidden_layers.setToolTip("Number of hidden layers (0 to 63)")
        f.addRow("Hidden layers", self.hidden_layers)
        self.width = QSpinBox(net)
        self.width.setRange(1, MAX_WIDTH)
        self.width.setToolTip("Neurons in every hidden layer (1 to 256)")
        f.addRow("Width", self.width)
        self.widths = QLineEdit(net)
        self.widths.setPlaceholderText("e.g. 8, 4, 2 (optional)")
        self.widths.setToolTip("A width for each hidden layer, separated by commas; "
                               "overrides Width")
        f.addRow("Widths per layer", self.widths)
        self.hidden_act = ActivationPicker("Activation of the hidden layers", net)
        f.addRow("Hidden activation", self.hidden_act)
        self.output_act = ActivationPicker("Activation of the output layer", net)
        f.addRow("Output activation", self.output_act)
        self.per_layer = QLineEdit(net)
        self.per_layer.setPlaceholderText("e.g. relu, tanh, sigmoid (optional)")
        self.per_layer.setToolTip("One activation per non-input layer, separated by commas; "
                                  "overrides the two above")
        f.addRow("Per layer", self.per_layer)
        self.init = QComboBox(net)
        for name, label in initializers.LABELS.items():
            self.init.addItem(label, name)
        self.init.setToolTip("How the starting weights are drawn")
        self.init_param = QDoubleSpinBox(net)
        self.init_param.setRange(-1000.0, 1000.0)
        self.init_param.setDecimals(3)
        self.init_param.setSingleStep(0.1)
        row = QWidget(net)
        rl = QHBoxLayout(row)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.init, 1)
        rl.addWidget(self.init_param)
        f.addRow("Initialiser", row)
        self.seed = QSpinBox(net)
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Seed of the starting weights and of the mini-batch order")
        f.addRow("Seed", self.seed)
        # the other cures (issue 15): skips and a norm rebuild the network
        self.residual = QComboBox(net)
        self.residual.addItem("off", None)
        for k in (1, 2, 3):
            self.residual.addItem(f"every {k} layer{'s' * (k != 1)}", k)
        self.residual.setToolTip("Skip connections: a block of k hidden layers adds its input "
                                 "to its output (layer 1 is the stem; every layer of a block "
                                 "needs the same width)")
        f.addRow("Residual", self.residual)
        self.norm = QComboBox(net)
        for name, label in (("none", "none"), ("batch", "batch norm"), ("layer", "layer norm")):
            self.norm.addItem(label, name)
        self.norm.setToolTip("Normalise every hidden layer's z before its activation: over "
                             "the batch (batch norm) or over the layer's units (layer norm)")
        f.addRow("Norm", self.norm)
        outer.addWidget(net)

        train = QGroupBox("Training", body)
        f = QFormLayout(train)
        self.loss = QComboBox(train)
        for name in losses.NAMES:
            self.loss.addItem(losses.LABELS[name], name)
        self.loss.setToolTip("The loss: squared is the textbook ½(ŷ−y)²")
        f.addRow("Loss", self.loss)
        self.optimizer = QComboBox(train)
        for name in optimizers.NAMES:
            self.optimizer.addItem(optimizers.LABELS[name], name)
        self.optimizer.setToolTip("SGD follows the gradient; Adam rescales each step")
        f.addRow("Optimiser", self.optimizer)
        self.lr = LogSlider(train)
        f.addRow("Learning rate", self.lr)
        self.momentum = QDoubleSpinBox(train)
        self.momentum.setRange(0.0, 0.999)
        self.momentum.setDecimals(3)
        self.momentum.setSingleStep(0.1)
        self.momentum.setToolTip("SGD momentum (0 to 0.999)")
        f.addRow("Momentum", self.momentum)
        self.batch = QSpinBox(train)
        self.batch.setRange(0, 100_000)
        self.batch.setSpecialValueText("full batch")
        self.batch.setToolTip("Samples per step; 'full batch' uses them all")
        f.addRow("Batch size", self.batch)
        self.clip = QDoubleSpinBox(train)
        self.clip.setRange(0.0, 1e6)
        self.clip.setDecimals(3)
        self.clip.setSingleStep(0.5)
        self.clip.setSpecialValueText("off")
        self.clip.setToolTip("Gradient clipping: before each step, scale every gradient down "
                             "so that all of them together have at most this 2-norm (off: 0)")
        f.addRow("Clip gradients at", self.clip)
        outer.addWidget(train)

        data = QGroupBox("Data", body)
        f = QFormLayout(data)
        self.dataset = QComboBox(data)
        self.dataset.addItem("Classic: x = 0.5, y = 1", "classic")
        for name in datasets.NAMES:
            if name != "classic":
                self.dataset.addItem(name.capitalize(), name)
        self.dataset.addItem("Inputs given in the file", None)
        self.dataset.setToolTip("The training data")
        f.addRow("Data set", self.dataset)
        self.samples = QSpinBox(data)
        self.samples.setRange(1, datasets.MAX_SAMPLES)
        self.samples.setToolTip("How many samples to generate")
        f.addRow("Samples", self.samples)
        self.noise = QDoubleSpinBox(data)
        self.noise.setRange(0.0, datasets.MAX_NOISE)
        self.noise.setSingleStep(0.05)
        self.noise.setToolTip("Standard deviation of the noise added (0 to 1)")
        f.addRow("Noise", self.noise)
        self.data_seed = QSpinBox(data)
        self.data_seed.setRange(0, 2**31 - 1)
        self.data_seed.setToolTip("Seed of the generated data")
        f.addRow("Data seed", self.data_seed)
        outer.addWidget(data)

        self.keep_weights = QCheckBox("Keep the weights from a file", body)
        self.keep_weights.setChecked(True)
        self.keep_weights.setToolTip("When the experiment came with explicit weights, changing "
                                     "only the loss, optimiser, learning rate or data keeps "
                                     "them instead of drawing new ones")
        outer.addWidget(self.keep_weights)
        self.error = QLabel(body)
        self.error.setObjectName("controlsError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        outer.addWidget(self.error)
        outer.addStretch(1)

        for w in (self.hidden_layers, self.width, self.seed, self.batch, self.samples,
                  self.data_seed):
            w.valueChanged.connect(self._changed)
        for w in (self.momentum, self.noise, self.init_param, self.lr.spin, self.clip,
                  self.hidden_act.param, self.output_act.param):
            w.valueChanged.connect(self._changed)
        for w in (self.init, self.loss, self.optimizer, self.dataset, self.hidden_act.combo,
                  self.output_act.combo, self.residual, self.norm):
            w.currentIndexChanged.connect(self._changed)
        self.init.currentIndexChanged.connect(self._sync_init_param)
        for w in (self.widths, self.per_layer):
            w.editingFinished.connect(self._changed)
        session.experiment_changed.connect(self.load)
        self.load()

    # -- experiment -> controls ----------------------------------------------------------
    def load(self) -> None:
        exp = self.session.experiment
        self._loading = True
        try:
            hidden = exp.layers[1:-1]
            self.hidden_layers.setValue(len(hidden))
            self.width.setValue(hidden[0] if hidden else self.width.value() or 1)
            uniform = len(set(hidden)) <= 1
            self.widths.setText("" if uniform else ", ".join(str(n) for n in hidden))
            self.hidden_act.set_activation(exp.hidden_activation)
            self.output_act.set_activation(exp.output_activation)
            self.per_layer.setText(
                ", ".join(a.describe() for a in exp.activations) if exp.per_layer else "")
            self.init.setCurrentIndex(self.init.findData(exp.init.scheme))
            self._sync_init_param()
            params = initializers.SCHEMES[exp.init.scheme]
            if params:
                self.init_param.setValue(exp.init.param(params[0][0]))
            self.seed.setValue(min(exp.init.seed, 2**31 - 1))
            self.loss.setCurrentIndex(self.loss.findData(exp.loss))
            self.optimizer.setCurrentIndex(self.optimizer.findData(exp.optimizer))
            self.lr.set_value(exp.learning_rate)
            self.momentum.setValue(exp.momentum)
            self.batch.setValue(exp.batch_size or 0)
            self.residual.setCurrentIndex(max(0, self.residual.findData(exp.residual)))
            if self.residual.findData(exp.residual) < 0:  # a file's k beyond the list
                self.residual.addItem(f"every {exp.residual} layers", exp.residual)
                self.residual.setCurrentIndex(self.residual.count() - 1)
            self.norm.setCurrentIndex(self.norm.findData(exp.norm))
            self.clip.setValue(exp.clip_norm or 0.0)
            self.dataset.setCurrentIndex(self.dataset.findData(exp.dataset))
            self.samples.setValue(exp.samples)
            self.noise.setValue(exp.noise)
            self.data_seed.setValue(min(exp.data_seed, 2**31 - 1))
            self.error.setText("")
        finally:
            self._loading = False

    def _sync_init_param(self) -> None:
        params = initializers.SCHEMES[self.init.currentData()]
        self.init_param.setVisible(bool(params))
        if params:
            self.init_param.setToolTip(f"{params[0][0]} of the {self.init.currentText()} "
                                       "initialiser")
            if not self._loading:
                with QSignalBlocker(self.init_param):
                    self.init_param.setValue(params[0][1])

    # -- controls -> experiment ----------------------------------------------------------
    def _changed(self, *_args) -> None:
        if not self._loading:
            self._apply_timer.start()

    def document(self) -> dict[str, Any]:
        """The experiment the controls describe, as the JSON the core reads."""
        exp = self.session.experiment
        dataset = self.dataset.currentData()
        if dataset is None:
            d_in, d_out = exp.layers[0], exp.layers[-1]
            data: dict[str, Any] = exp.to_json()["data"]
            if "dataset" in data:  # "from the file" chosen with no file data: classic
                data = {"inputs": [[0.5]], "targets": [[1.0]]}
                d_in = d_out = 1
        else:
            d_in, d_out, _, _ = datasets.DATASETS[dataset]
            data = {"dataset": dataset, "samples": self.samples.value(),
                    "noise": self.noise.value(), "seed": self.data_seed.value()}
        text = self.widths.text().strip()
        if text:
            try:
                hidden = [int(t) for t in text.replace(";", ",").split(",") if t.strip()]
            except ValueError:
                raise ExperimentError(f"Widths per layer: expected whole numbers separated "
                                      f"by commas, got {text!r}") from None
        else:
            hidden = [self.width.value()] * self.hidden_layers.value()
        layers = [d_in, *hidden, d_out]
        per_layer = self.per_layer.text().strip()
        acts = None
        if per_layer:
            acts = [a.strip() for a in per_layer.split(",") if a.strip()]
        init: dict[str, Any] = {"scheme": self.init.currentData(), "seed": self.seed.value()}
        old_init = exp.init.to_json()
        if old_init["scheme"] == init["scheme"]:  # the parameters without a control here
            init = {**old_init, **init}  # (uniform's high, normal's mean) stay as they are
        params = initializers.SCHEMES[self.init.currentData()]
        if params:
            init[params[0][0]] = self.init_param.value()
        optimizer = self.optimizer.currentData()
        network: dict[str, Any] = {
            "layers": layers,
            "hidden_activation": self.hidden_act.value(),
            "output_activation": self.output_act.value(),
            "activations": acts,
            "init": init,
        }
        doc = {
            "format": "vanishgui-experiment", "version": 1,
            "network": network,
            "data": data,
            "training": {
                "loss": self.loss.currentData(),
                "optimizer": optimizer,
                "learning_rate": self.lr.value(),
                "momentum": self.momentum.value() if optimizer == "sgd" else 0.0,
                "batch_size": self.batch.value() or None,
            },
        }
        old_doc = exp.to_json()
        old = old_doc["network"]
        same_net = all(old[k] == network[k] for k in network) and old["layers"] == layers
        if same_net and self.keep_weights.isChecked() and exp.weights is not None:
            for k in ("weights", "biases", "alphas"):
                network[k] = old[k]
        every = self.residual.currentData()
        if every is not None:
            network["residual"] = {"every": every}
        norm = self.norm.currentData()
        if norm != "none":
            network["norm"] = norm
            # a file's γ and β stay while the network and its norm stay as they are
            if same_net and old.get("norm") == norm and old.get("residual") == \
                    network.get("residual"):
                for k in ("gammas", "betas"):
                    if k in old:
                        network[k] = old[k]
        if self.clip.value() > 0:
            doc["training"]["clip_norm"] = self.clip.value()
        return doc

    def apply(self) -> Experiment | None:
        """Build the experiment from the controls and give it to the session."""
        try:
            exp = parse_experiment(self.document(), "the controls")
            # a training setting applies to the network trained; anything else makes a new
            # one (and the status line says so); refused, with nothing changed, past the
            # memory budget
            self.session.edit(exp)
        except ExperimentError as e:
            self.error.setText(str(e).removeprefix("the controls: "))
            return None
        self.error.setText("")
        return exp
