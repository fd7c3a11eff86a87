"""pytest plugin (registered through the ``pytest11`` entry point): mikrodock's fixtures.

Each family of fixtures lives in its own module; this one only re-exports them so pytest sees
them.
"""

from __future__ import annotations

from mikrodock.testing.chr_fixtures import *  # noqa: F403
from mikrodock.testing.sim_fixtures import *  # noqa: F403
