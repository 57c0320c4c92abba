"""pakaz: facts about Pakistan-Azerbaijan relations, each with its source."""

__all__ = ["__version__"]

try:
    # Written at build/install time from pyproject.toml's version (one source of truth);
    # far cheaper to import than importlib.metadata.
    from pakaz._version import __version__
except ImportError:  # a checkout that was never built or installed
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("pakaz")
    except PackageNotFoundError:
        __version__ = "0+unknown"
