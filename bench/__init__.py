"""Side-by-side benchmarks (``python -m bench <name>``); they print ratios, not timed tests."""
