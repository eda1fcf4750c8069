"""The one command line: the GUI by default; ``report`` and ``bench`` need no display."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "report":
        from .core.report import main as report_main

        return report_main(args[1:])
    if args and args[0] == "bench":
        from .core.bench import main as bench_main

        return bench_main(args[1:])
    from .app import main as app_main

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
