"""Record types and workflows: one package per domain."""
