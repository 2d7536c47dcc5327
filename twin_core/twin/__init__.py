"""Snapshot builders: one module per domain, each loading core inputs and calling twin_core.sim."""
