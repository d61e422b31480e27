"""Packaged data of the analysis package (map boundaries; see geo/SOURCES.md)."""
