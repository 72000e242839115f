"""Tests of the contact tracing engine."""
