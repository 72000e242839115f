"""Synthetic city generator and the schemas of the city tables."""
