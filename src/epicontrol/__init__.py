"""epicontrol: open platform for epidemic joint prevention and control (联防联控)."""

__version__ = "0.1.0"
