"""Keep Hypothesis's cache out of the repository.

pyproject.toml sets ``norecursedirs``, which replaces pytest's default list (the one that
skips dot-folders). With a ``.hypothesis`` folder at the top of the tree, Hypothesis's
pytest plugin then warns while collecting, and ``filterwarnings = error`` turns that into
a collection error on every run after the first. So the cache lives in the temp folder.
"""

import os
import tempfile

from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), f"vanishgui-hypothesis-{os.getuid()}"))
