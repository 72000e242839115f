"""Surveillance: ingest of syndromic feeds, alerts with their lifecycle and routing."""
