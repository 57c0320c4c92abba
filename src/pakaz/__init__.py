"""pakaz: facts about Pakistan-Azerbaijan relations, each with its source."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pakaz")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
