"""Exposure: simulate how people are exposed under neighbourhood surveillance."""

__version__ = "0.1.0"
