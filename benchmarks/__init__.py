"""benchmarks: repeatable measurements with their own data generators; results go to docs/benchmarks.md."""
