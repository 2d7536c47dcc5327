"""Prefect flows: thin sequences of twin_core calls (table names and batch ids, never big frames)."""
