"""Training runs: seeded sample order, evaluation readouts, checkpoints."""
