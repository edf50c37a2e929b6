"""Benchmarks of sitegen: a synthetic corpus generator (``synth``) and the timing script (``run``)."""
