"""``python -m phaseviz``: the same as the ``phaseviz`` command."""

from phaseviz.cli import main

main()
