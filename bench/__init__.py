"""Benchmarks (run by hand; they print figures for docs/BENCHMARKS.md)."""
