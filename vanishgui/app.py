"""Starting the GUI: ``vanishgui [EXPERIMENT.json] [--screenshot OUT.png ...] [--self-test]``."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

SIZE_HELP = "window size for --screenshot, WIDTHxHEIGHT (default 1600x900)"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="vanishgui",
        description="Watch the vanishing-gradient problem happen. "
        "Also: 'vanishgui report FILE' prints the numbers without a window; "
        "'vanishgui bench' measures speed.")
    p.add_argument("experiment", nargs="?", help="an experiment file to open")
    p.add_argument("--screenshot", metavar="OUT.png",
                   help="render the main window to a PNG without showing it, then exit")
    p.add_argument("--size", default="1600x900", help=SIZE_HELP)
    p.add_argument("--at", default=None, metavar="PHASE:N",
                   help="with --screenshot: forward:N or backward:N (after the N-th event of "
                        "that phase), or trained:N (after N training steps)")
    p.add_argument("--select", default=None, metavar="LAYER:NEURON[:FROM]",
                   help="with --screenshot: select a neuron (2:1) or the weight into it from "
                        "neuron FROM of the layer before (1:1:1); 1-based")
    p.add_argument("--plots", action="store_true",
                   help="with --screenshot: show all six plots in a grid")
    p.add_argument("--compare", default=None, metavar="SETTING:A,B[,C,D]",
                   help="with --screenshot: the experiment compared side by side as SETTING "
                        "(activation, init, depth or optimizer) takes each value, e.g. "
                        "activation:sigmoid,relu; --at moves every network")
    p.add_argument("--projector", action="store_true",
                   help="start in projector mode (full screen, large type; Esc leaves)")
    p.add_argument("--lesson", metavar="NAME",
                   help="start a lesson: vanishing-gradient, initialisation or a lesson file")
    p.add_argument("--scene", type=int, default=1, metavar="K",
                   help="with --lesson: start at scene K (1-based); with --screenshot, the "
                        "scene's steps run first, so the picture shows the scene as it ends")
    p.add_argument("--self-test", action="store_true",
                   help="open the window, play the classic example, check its numbers, exit")
    return p.parse_args(argv)


def _ensure_runtime_dir() -> None:
    if sys.platform.startswith("linux") and not os.environ.get("XDG_RUNTIME_DIR"):
        d = Path(tempfile.gettempdir()) / f"vanishgui-runtime-{os.getuid()}"
        d.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(d)


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise SystemExit(f"vanishgui: --size expects WIDTHxHEIGHT such as 1600x900, "
                         f"got {text!r}") from None
    if not (320 <= w <= 8192 and 240 <= h <= 8192):
        raise SystemExit(f"vanishgui: --size must be between 320x240 and 8192x8192, got {text}")
    return w, h


def apply_at(session, spec: str | None) -> None:
    """Move the session to ``forward:N``, ``backward:N`` or ``trained:N``."""
    if not spec:
        return
    try:
        phase, n_text = spec.split(":")
        n = int(n_text)
    except ValueError:
        raise SystemExit(f"vanishgui: --at expects forward:N, backward:N or trained:N, "
                         f"got {spec!r}") from None
    if n < 0:
        raise SystemExit(f"vanishgui: --at needs N of 0 or more, got {n}")
    if phase == "trained":
        for _ in range(n):
            session.trainer.commit(session.current)
            session.last = session.current
            session.current = session.trainer.preview()
            if session.trainer.history.diverged_at_step is not None:
                break
        session.announce_training(None)
    elif phase in ("forward", "backward", "loss", "update"):
        start, end = session.trace.phase_range(phase)
        session.seek(min(end, start + n))
    else:
        raise SystemExit(f"vanishgui: --at expects forward:N, backward:N or trained:N, "
                         f"got {spec!r}")


def apply_select(session, spec: str | None) -> None:
    """Select ``LAYER:NEURON`` or ``LAYER:NEURON:FROM`` (1-based, as the window shows)."""
    if not spec:
        return
    from .ui.session import Selection

    try:
        parts = [int(v) for v in spec.split(":")]
        layer, neuron = parts[0], parts[1] - 1
        source = parts[2] - 1 if len(parts) == 3 else None
        sizes = session.experiment.layers
        ok = (len(parts) in (2, 3) and 1 <= layer < len(sizes) and 0 <= neuron < sizes[layer]
              and (source is None or 0 <= source < sizes[layer - 1]))
    except (ValueError, IndexError):
        ok = False
    if not ok:
        raise SystemExit(f"vanishgui: --select expects LAYER:NEURON[:FROM] inside the network "
                         f"{list(session.experiment.layers)}, got {spec!r}")
    session.select(Selection(layer, neuron, source))


def settle(app, rounds: int = 10) -> None:
    """Let posted layout requests (dock tab bars, splitters) run before a grab."""
    for _ in range(rounds):
        app.processEvents()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    _ensure_runtime_dir()
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from .core.experiment import ExperimentError, classic, load_experiment
    from .ui.main_window import MainWindow
    from .ui.resources import app_icon
    from .ui.session import Session
    from .ui.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("vanishgui")
    app.setOrganizationName("vanishgui")
    headless = bool(args.screenshot or args.self_test)
    if not headless:  # errors: a log file and a dialog, and the app goes on
        from .ui.crash import install_crash_handler

        install_crash_handler(app)
    apply_theme(app)
    app.setWindowIcon(app_icon())
    app.setDesktopFileName("vanishgui")  # Wayland matches windows to the launcher by this
    error = None
    experiment = classic()
    if args.experiment:
        try:
            experiment = load_experiment(args.experiment)
        except ExperimentError as e:
            error = str(e)
            if headless:
                print(f"vanishgui: {e}", file=sys.stderr)
                return 2
    last = None
    if not args.experiment and not headless:  # reopen what was open last time, if it still loads
        from .ui.main_window import settings

        last = settings().value("files/last")
        try:
            experiment = load_experiment(last) if isinstance(last, str) else experiment
        except ExperimentError:
            last = None
    session = Session(experiment)
    if args.experiment and error is None:
        session.path = Path(args.experiment)
    elif isinstance(last, str):
        session.path = Path(last)
    window = MainWindow(session, restore=not headless)
    window.headless = headless
    if args.self_test:
        from .ui.selftest import run_self_test

        return run_self_test(window)
    if args.screenshot:
        w, h = parse_size(args.size)
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        window.resize(w, h)
        window.show()
        if args.projector:  # the projector's look, at the size asked for
            window.projector.enter()
            window.showNormal()
            window.resize(w, h)
            settle(app)
            window.projector.fit_docks()
        if args.lesson:
            from .ui.lesson import apply_lesson_cli

            apply_lesson_cli(window, args.lesson, args.scene, run_steps=True)
        target = window
        if args.compare:  # the comparison window instead, its networks moved by --at
            from .ui.compare import apply_compare_cli

            target = apply_compare_cli(window, args.compare, args.at)
        else:
            apply_at(session, args.at)
            apply_select(session, args.select)
            if args.plots:
                window.set_plot_wall(True)
            settle(app)
            window.plots.flush()
            window.diagram.view.fit()
        settle(app)
        ok = target.grab().save(args.screenshot, "PNG")
        window.close()
        if not ok:
            print(f"vanishgui: {args.screenshot}: could not be written", file=sys.stderr)
            return 1
        return 0
    from .ui.autosave import Autosave  # a recovery file while modified; gone on a clean exit

    autosave = Autosave(window)
    autosave.recovery_offer()
    from .ui.startup import watch_first_paint  # VANISHGUI_STARTUP_PROBE=1: time, then quit

    watch_first_paint(window)
    window.show()
    if args.projector:
        window.projector.enter()
    if args.lesson:
        from .ui.lesson import apply_lesson_cli

        apply_lesson_cli(window, args.lesson, args.scene)
    if error:
        window.show_error("This experiment could not be opened", error)
    return app.exec()
