"""commitwatch: daily reports of the commits landing in the repositories you follow."""

__version__ = "0.1.0"
