"""The frozen app's entry script (see vanishgui.spec): the same ``vanishgui`` command line."""

import sys

from vanishgui.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
