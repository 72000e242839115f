"""Centralised quarantine (集中隔离): assignment runs, the roster, daily tests, transfers."""
