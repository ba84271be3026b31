"""Benchmarks: python -m bench.pages (and the others), or make bench for all of them."""
