"""The bench-only course of bench/bench_batch.py: one small homework, graded by us and by nbgrader alike."""
