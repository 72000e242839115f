"""Users of the command centre (accounts, roles, scopes) and the append-only audit log."""
