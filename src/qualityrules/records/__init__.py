"""Indicators computed from raw monitoring records: a fused, decomposable scan."""
