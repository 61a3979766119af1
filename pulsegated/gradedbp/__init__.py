"""Graded pulse-gated backpropagation: a layer that learns with spikes under a gating ring.

See :mod:`pulsegated.gradedbp.circuit` for the circuit, :mod:`pulsegated.gradedbp.learn` for
running it (spiking on Brian2, or its mean field) and :mod:`pulsegated.gradedbp.tasks` for the
linear map and XOR.
"""
