"""The one command line: the GUI by default; ``report`` needs no display."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    # The matrices here are small: BLAS threads only contend with the GUI thread (and on
    # a busy 2-core laptop they made a training step 3× slower). A user's setting wins.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "report":
        from .core.report import main as report_main

        return report_main(args[1:])
    from .cli.gui import main as app_main

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
