"""pulsegated: backpropagation with spikes.

Pulse-gated spiking circuits (synfire-gated synfire chains, Hadamard gating, pulse-gated Hebbian
plasticity, the 12-phase on-chip backpropagation circuit of Renner et al.) described once,
backend-neutrally, and run on Brian2 or on a bit-exact Loihi 1 integer emulator, with the exact
integer arithmetic equivalent of the circuit as the reference for every backend.
"""

__version__ = "0.1.0"
