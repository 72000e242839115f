"""Operational store (SQLAlchemy 2 + Alembic) and the Parquet lake."""
