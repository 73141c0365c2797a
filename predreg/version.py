"""predreg's version, in a module of its own: leaf modules import it without loading the package face."""

__version__ = "0.1.0"
