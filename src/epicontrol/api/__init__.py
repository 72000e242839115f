"""The command centre's REST API (FastAPI): app factory, auth, request-scoped transactions."""
