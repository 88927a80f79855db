"""Benchmark and load-test support (see docs/performance.md)."""
