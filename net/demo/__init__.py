"""The headless demos' entry point: ``python -m net.demo`` (see :mod:`net.demo.__main__`)."""
