"""Connection kinds of the nBP circuit, in threshold units (threshold = 1024).

Gating is bias cancellation: data neurons sit at ``BIAS_DATA`` (8 thresholds below firing) and fire in
a phase only when their gate adds about +8192 (see the documentation page on the nBP circuit).
"""

#: Firing threshold of every nBP neuron (strictly greater fires).
THRESHOLD = 1024
#: Bias of every data neuron: no data input alone can make it fire.
BIAS_DATA = -8192
#: Bias of gate neurons.
BIAS_GATE = 0
#: Gate, one to all: cancels the bias and adds half a threshold -> fires iff input > 512.
GATE = 8192 + 512
#: Added to GATE: threshold at 0 -> fires iff input > 0.
GATE_MINUS_HALF = 512
#: Instead of GATE: threshold at one threshold -> fires iff input > 1024.
GATE_PLUS_HALF = 8192
#: Inhibitory gate: silences a population in a guard phase.
GATE_INHIBIT = -8128
#: Ring connection g_k -> g_(k+1).
RING = 8192 + 1024 + 64
#: Relay, one to one: copies a spike (just over half a threshold).
RELAY = 512 + 8
#: Inhibitory relay, one to one.
RELAY_INHIBIT = -RELAY
#: Neuron-specific gate, one to one.
NEURON_GATE = GATE
#: Refractory delay of data neurons (cannot fire in the step right after a spike).
REFRACTORY_DATA = 2
#: Refractory delay of gate neurons and of the hidden error layer (may fire on consecutive steps).
REFRACTORY_NONE = 1
