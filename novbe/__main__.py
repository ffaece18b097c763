"""``python -m novbe``: the ``novbe`` command."""

import sys

from novbe.cli import main

sys.exit(main())
