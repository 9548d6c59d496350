"""The package version, in one place: nothing imports the package `__init__` to read it."""

__version__ = "0.1.0"

__all__ = ["__version__"]
