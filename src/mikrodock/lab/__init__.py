"""Labs: several CHR routers and their links from one YAML file.

``labfile`` reads lab files; ``machines`` starts and removes a lab's routers as local QEMU
machines (``lab up``/``lab down``/``lab ls``); ``export`` writes a lab for containerlab,
compose or clabernetes. This package sits above :mod:`mikrodock.chr` and uses it.
"""
