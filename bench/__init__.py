"""Benchmarks: scripts that print figures (no pass/fail). Run from the project folder."""
