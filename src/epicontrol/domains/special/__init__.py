"""The special-population ledger (红黄绿台账): persons, helpers (包保), service requests."""
