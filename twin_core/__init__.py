"""plant-twin: a batch digital twin of a manufacturing plant."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("plant-twin")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
