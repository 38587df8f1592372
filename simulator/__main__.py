"""`python -m simulator` runs the `exposure` command."""

import sys

from simulator.cli import main

sys.exit(main())
