"""``python -m mikrodock``."""

from mikrodock.cli.main import main

main()
