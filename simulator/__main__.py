"""`python -m simulator` runs the `exposure` command."""

from simulator.entry import run

run()
