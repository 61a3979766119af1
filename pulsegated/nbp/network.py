"""The 12-phase on-chip backpropagation circuit (nBP) of Renner et al., as a circuit description.

:func:`training_circuit` builds the training network (3282 neurons and 500 000 plastic synapses at
400-400-10), :func:`inference_circuit` the 4-step inference network (x, h1, o and four gates).
Layer sizes are parameters so that tests can run small circuits.

Weight conventions: the reference trainer holds ``W1`` with shape ``(n_hidden, n_in)`` and ``W2`` with
shape ``(n_out, n_hidden)`` (``z = W x``); a connection's matrix is ``(pre, post)``, so ``x -> h1``
carries ``W1.T``, ``h1 -> o`` carries ``W2.T``, ``o -> h1T`` carries ``W2`` and ``oT_minus -> h1T``
carries ``-W2``.
"""

from __future__ import annotations

import numpy as np

from pulsegated.nbp import kinds
from pulsegated.circuit import (Circuit, CircuitError, LoihiCompartment, Schedule,
                                SumOfProducts)

__all__ = [
    "N_PHASES", "INFERENCE_PHASES", "TRAINING_ACTIVITY", "INFERENCE_ACTIVITY", "PLASTIC",
    "W1_CONNECTIONS", "W2_CONNECTIONS", "training_circuit", "inference_circuit",
    "weights_from_circuit", "check_sizes", "REWARD_PHASES", "OUTPUT_PHASE", "plastic_copies",
    "copies_consistent",
]

#: Steps (phases) of one training sample and of one inference sample.
N_PHASES = 12
INFERENCE_PHASES = 4
#: Phase in which the output layer fires its forward answer (training and inference).
OUTPUT_PHASE = 3
#: Phases whose coincidences are rewarded (+2); all other coincidences give -2.
REWARD_PHASES = (5, 7)

#: Phases in which each population may fire (silent in all others): the circuit's activity check.
TRAINING_ACTIVITY = {
    "x": (1, 7, 11), "m_x6": (6,), "h1": (2, 5, 7, 9, 11), "h1_copy": (2, 7, 11),
    "h1_copy2": (2, 7, 11), "m_h1": (3,), "c_h1": (6,), "h1T": (5, 6, 9, 10),
    "o": (3, 5, 9), "o_copy": (3, 5, 9), "o_copy2": (3, 5, 9), "t": (3,),
    "d_plus": (4,), "d_minus": (4,), "oT_minus": (5, 9),
    **{f"g{k:02d}": ((k - 1) % N_PHASES,) for k in range(N_PHASES)},
}
INFERENCE_ACTIVITY = {
    "x": (1,), "h1": (2,), "o": (3,),
    **{f"g{k:02d}": ((k - 1) % INFERENCE_PHASES,) for k in range(INFERENCE_PHASES)},
}

#: The eight plastic connections: name -> (pre, post, which matrix, sign, transposed).
PLASTIC = {
    "W1": ("x", "h1", "W1", 1, False),
    "W1_copy": ("x", "h1_copy", "W1", 1, False),
    "W1_copy2": ("x", "h1_copy2", "W1", 1, False),
    "W2": ("h1", "o", "W2", 1, False),
    "W2_copy": ("h1", "o_copy", "W2", 1, False),
    "W2_copy2": ("h1", "o_copy2", "W2", 1, False),
    "W2T": ("o", "h1T", "W2", 1, True),
    "W2T_minus": ("oT_minus", "h1T", "W2", -1, True),
}
W1_CONNECTIONS = tuple(k for k, v in PLASTIC.items() if v[2] == "W1")
W2_CONNECTIONS = tuple(k for k, v in PLASTIC.items() if v[2] == "W2")

#: Gates from the ring: phase -> list of (target, kind).
_RING_GATES = {
    0: [("o", "inhibit"), ("o_copy", "inhibit"), ("o_copy2", "inhibit")],
    1: [("x", "gate")],
    2: [("h1", "gate"), ("h1_copy", "gate"), ("h1_copy", "minus_half"), ("h1_copy2", "plus_half")],
    3: [("o", "gate"), ("t", "gate"), ("m_h1", "gate"), ("o_copy", "gate"),
        ("o_copy", "minus_half"), ("o_copy2", "plus_half")],
    4: [("h1T", "inhibit"), ("oT_minus", "inhibit")],
    5: [("h1", "gate"), ("h1T", "gate"), ("oT_minus", "gate"), ("o", "gate"), ("o_copy", "gate"),
        ("o_copy2", "gate")],
    6: [("m_x6", "gate"), ("c_h1", "gate"), ("h1T", "gate"), ("h1T", "minus_half"),
        ("o", "inhibit"), ("o_copy", "inhibit"), ("o_copy2", "inhibit")],
    7: [("x", "gate")],
    8: [("h1", "inhibit"), ("h1_copy", "inhibit"), ("h1_copy2", "inhibit")],
    9: [("h1", "gate"), ("h1T", "gate"), ("o", "gate"), ("o_copy", "gate"), ("o_copy2", "gate"),
        ("oT_minus", "gate")],
    10: [("h1T", "gate"), ("h1T", "minus_half"), ("o", "inhibit"), ("o_copy", "inhibit"),
         ("o_copy2", "inhibit")],
    11: [("x", "gate")],
}
_GATE_WEIGHT = {"gate": kinds.GATE, "minus_half": kinds.GATE_MINUS_HALF,
                "plus_half": kinds.GATE_PLUS_HALF, "inhibit": kinds.GATE_INHIBIT}

#: One-to-one relays and neuron-specific gates: (pre, post, weight, delay).
_RELAYS = [
    ("x", "m_x6", kinds.RELAY, 4), ("m_x6", "x", kinds.RELAY, 0), ("m_x6", "x", kinds.RELAY, 4),
    ("h1", "m_h1", kinds.RELAY, 0),
    ("m_h1", "h1", kinds.RELAY, 1), ("m_h1", "h1", kinds.RELAY, 5),
    ("m_h1", "h1T", kinds.RELAY, 1), ("m_h1", "h1T", kinds.RELAY, 5),
    ("h1T", "h1", kinds.RELAY, 0), ("h1T", "h1_copy", kinds.RELAY, 0),
    ("h1T", "h1_copy2", kinds.RELAY, 0),
    ("h1_copy", "c_h1", kinds.RELAY, 3), ("h1_copy2", "c_h1", kinds.RELAY_INHIBIT, 3),
    ("c_h1", "h1", kinds.NEURON_GATE, 0), ("c_h1", "h1", kinds.NEURON_GATE, 4),
    ("c_h1", "h1_copy", kinds.NEURON_GATE, 0), ("c_h1", "h1_copy", kinds.NEURON_GATE, 4),
    ("c_h1", "h1_copy2", kinds.NEURON_GATE, 0), ("c_h1", "h1_copy2", kinds.NEURON_GATE, 4),
    ("o_copy", "d_plus", kinds.NEURON_GATE, 0), ("o_copy", "d_minus", kinds.NEURON_GATE, 0),
    ("o_copy2", "d_minus", kinds.RELAY_INHIBIT, 0),
    ("o", "d_minus", kinds.RELAY, 0), ("o", "d_plus", kinds.RELAY_INHIBIT, 0),
    ("t", "d_plus", kinds.RELAY, 0), ("t", "d_minus", kinds.RELAY_INHIBIT, 0),
    ("d_plus", "o", kinds.RELAY, 0), ("d_plus", "o_copy", kinds.RELAY, 0),
    ("d_plus", "o_copy2", kinds.RELAY, 0),
    ("d_minus", "o", kinds.RELAY, 4), ("d_minus", "o_copy", kinds.RELAY, 4),
    ("d_minus", "o_copy2", kinds.RELAY, 4),
    ("d_minus", "oT_minus", kinds.RELAY, 0), ("d_plus", "oT_minus", kinds.RELAY, 4),
]

_DATA = LoihiCompartment(threshold=kinds.THRESHOLD, bias=kinds.BIAS_DATA,
                         refractory=kinds.REFRACTORY_DATA)
_DATA_NOREFRACT = LoihiCompartment(threshold=kinds.THRESHOLD, bias=kinds.BIAS_DATA,
                                   refractory=kinds.REFRACTORY_NONE)
_GATE_NEURON = LoihiCompartment(threshold=kinds.THRESHOLD, bias=kinds.BIAS_GATE,
                                refractory=kinds.REFRACTORY_NONE)


def check_sizes(n_in: int, n_hidden: int, n_out: int) -> None:
    """Validate layer sizes (positive integers)."""
    for name, n in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise CircuitError(f"{name} must be a positive integer, got {n!r}")


def _layers(W1, W2):
    """Validated int64 ``(W1, W2)`` and the layer sizes ``(n_in, n_hidden, n_out)``."""
    from pulsegated.circuit import as_int_matrix
    W1 = np.asarray(W1)
    W2 = np.asarray(W2)
    if W1.ndim != 2 or W2.ndim != 2:
        raise CircuitError(f"W1 and W2 must be 2-D, got shapes {W1.shape} and {W2.shape}")
    n_hidden, n_in = W1.shape
    n_out = W2.shape[0]
    check_sizes(n_in, n_hidden, n_out)
    W1 = as_int_matrix(W1, (n_hidden, n_in), "W1 (n_hidden, n_in)")
    W2 = as_int_matrix(W2, (n_out, n_hidden), "W2 (n_out, n_hidden)")
    return W1, W2, (n_in, n_hidden, n_out)


def _add_ring(c: Circuit, n_phases: int) -> tuple:
    ring = tuple(f"g{k:02d}" for k in range(n_phases))
    for g in ring:
        c.add_population(g, 1, _GATE_NEURON, role="gate")
    for k in range(n_phases):
        c.connect(ring[k], ring[(k + 1) % n_phases], "one_to_one", kinds.RING, name=f"ring_{k:02d}")
    # The kick spike at step 0 arrives at step 1 where g00 fires: phase 0 of sample 0 is step 2.
    c.add_source("kick", 1, steps=(0,))
    c.connect("kick", ring[0], "one_to_one", kinds.RING, name="kick__g00")
    c.schedule = Schedule(n_phases=n_phases, ring=ring, kick="kick", t0=2)
    return ring


def plastic_copies(W1, W2, copies: dict | None = None) -> dict:
    """The (pre, post) matrices of the eight plastic connections of :data:`PLASTIC`.

    Each copy is its master matrix up to sign and transpose, saturated into the chip's 8-bit mixed
    range [-256, 254] (where ``W2 = -256`` the negated copy ``W2T_minus`` holds 254, as on the chip).

    Parameters
    ----------
    W1 : int array (n_hidden, n_in)
    W2 : int array (n_out, n_hidden)
    copies : dict, optional
        Explicit matrices for some or all connections (the full plastic state of a run being
        resumed: after a saturation a copy can differ from its master); validated for shape.

    Returns
    -------
    dict of str -> int64 array (pre, post)
    """
    from pulsegated.circuit import MIXED_WEIGHT_RANGE, as_int_matrix
    copies = dict(copies or {})
    unknown = set(copies) - set(PLASTIC)
    if unknown:
        raise CircuitError(f"unknown plastic connection(s): {', '.join(sorted(unknown))}; "
                           f"expected names from {', '.join(PLASTIC)}")
    mats = {"W1": np.asarray(W1).T, "W2": np.asarray(W2).T}
    out = {}
    for cname, (_, _, which, sign, transposed) in PLASTIC.items():
        m = mats[which]
        derived = sign * (m.T if transposed else m)
        if sign < 0:  # -(-256) = 256 does not fit the mixed range: the chip's copy holds 254
            lo, hi = MIXED_WEIGHT_RANGE
            derived = np.where(derived == -lo, hi, derived)
        if cname in copies:
            out[cname] = as_int_matrix(copies[cname], derived.shape, f"plastic copy {cname}")
        else:
            out[cname] = np.ascontiguousarray(derived, dtype=np.int64)
    return out


def _variant_gate(phase: int, post: str, kind: str, variant) -> int:
    """Weight of a ring gate in a circuit variant (:mod:`pulsegated.nbp.variants`)."""
    w = _GATE_WEIGHT[kind]
    if phase == 2 and post == "h1_copy" and kind == "minus_half":
        return w + variant.hidden_low
    if phase == 2 and post == "h1_copy2" and kind == "plus_half":
        return w - variant.hidden_high
    if phase == OUTPUT_PHASE and post == "o_copy" and kind == "minus_half":
        return w + variant.output_low
    if phase == OUTPUT_PHASE and post == "o_copy2" and kind == "plus_half":
        return w - variant.output_high
    if phase == OUTPUT_PHASE and post == "o" and kind == "gate":
        return w + variant.margin
    return w


def training_circuit(W1, W2, *, copies: dict | None = None, variant=None, step_shift: int = 0,
                     name: str = "nbp_training") -> Circuit:
    """The 12-phase nBP training network with initial weights ``W1`` and ``W2``.

    Parameters
    ----------
    W1 : int array, shape (n_hidden, n_in)
        Even integers in [-256, 254] (mantissas worth half when ``step_shift`` is 1).
    W2 : int array, shape (n_out, n_hidden)
    copies : dict, optional
        Explicit (pre, post) matrices of plastic copies (see :func:`plastic_copies`); the others
        are derived from ``W1``, ``W2``.
    variant : str, dict or Variant, optional
        A chip-expressible variant (:mod:`pulsegated.nbp.variants`): gate weights of the
        derivative edges and of the output, a target connection onto ``o`` for the margin.
        Default: the published circuit.
    step_shift : int
        The plastic connections' weight exponent is ``-step_shift`` (0..3: the variant's
        halved learning step).

    Returns
    -------
    Circuit
        Validated; ``activity`` holds :data:`TRAINING_ACTIVITY`; ``meta`` the layer sizes.
        Data sources: ``pixels`` (n_in, phase 0 so that x fires in phase 1) and ``targets``
        (n_out, phase 2 so that t fires in phase 3); fixed source ``reward`` spikes in phases 4 and 6
        so that the reward trace r1 is on in phases 5 and 7.  A variant with ``replay_keep``
        below 1 adds ``replay_off`` (n_in, phase 5): the pixels not to replay in phases 7 and 11,
        which inhibit ``m_x6`` in phase 6.
    """
    from pulsegated.nbp.variants import variant as _variant
    v = _variant(variant)
    from pulsegated.nbp.variants import MAX_SHIFT
    if isinstance(step_shift, bool) or step_shift not in range(MAX_SHIFT + 1):
        raise CircuitError(f"step_shift must be an integer in 0..{MAX_SHIFT}, got {step_shift!r}")
    W1, W2, (n_in, n_hidden, n_out) = _layers(W1, W2)

    c = Circuit(name=name)
    layers = [("x", n_in, "input"), ("m_x6", n_in, "memory"), ("h1", n_hidden, "hidden"),
              ("h1_copy", n_hidden, "hidden"), ("h1_copy2", n_hidden, "hidden"),
              ("m_h1", n_hidden, "memory"), ("c_h1", n_hidden, "derivative"),
              ("h1T", n_hidden, "error"), ("o", n_out, "output"), ("o_copy", n_out, "output"),
              ("o_copy2", n_out, "output"), ("t", n_out, "target"), ("d_plus", n_out, "error"),
              ("d_minus", n_out, "error"), ("oT_minus", n_out, "error")]
    for pname, size, role in layers:
        c.add_population(pname, size, _DATA_NOREFRACT if pname == "h1T" else _DATA, role=role)
    ring = _add_ring(c, N_PHASES)

    c.add_source("pixels", n_in, data_phase=0)
    c.add_source("targets", n_out, data_phase=2)
    c.add_source("reward", 1, phases=tuple(p - 1 for p in REWARD_PHASES))
    c.connect("pixels", "x", "one_to_one", kinds.RELAY)
    c.connect("targets", "t", "one_to_one", kinds.RELAY)
    if v.margin:  # the target unit must clear 512 + margin, the others stay under 512 - margin
        c.connect("targets", "o", "one_to_one", -2 * v.margin, name="targets__o_margin")
    if v.replay_keep < 1:  # the pixels not replayed: m_x6 held silent in phase 6
        c.add_source("replay_off", n_in, data_phase=5)
        c.connect("replay_off", "m_x6", "one_to_one", kinds.RELAY_INHIBIT,
                  name="replay_off__m_x6")

    rule = SumOfProducts.pulse_gated_hebbian(reward="reward")
    mats = plastic_copies(W1, W2, copies)
    for cname, (pre, post, which, sign, transposed) in PLASTIC.items():
        copy_of = None if cname in ("W1", "W2") else which
        c.connect(pre, post, "all_to_all", mats[cname], plasticity=rule, name=cname, sign=sign,
                  copy_of=copy_of, weight_exp=-step_shift if step_shift else None)

    for pre, post, w, d in _RELAYS:
        c.connect(pre, post, "one_to_one", w, delay=d, name=f"{pre}__{post}_d{d}")
    for phase, targets in _RING_GATES.items():
        for post, kind in targets:
            c.connect(ring[phase], post, "one_to_all", _variant_gate(phase, post, kind, v),
                      name=f"{ring[phase]}__{post}_{kind}")
    if not v.is_paper:
        # guard: the hidden units that fire in phase 7 (d1+ within the derivative window, which
        # the variants widen) are the ones with positive weights onto the erring output unit;
        # their sum can lift it over its bias in phase 8, an ungated phase of the paper's circuit
        for post in ("o", "o_copy", "o_copy2"):
            c.connect(ring[8], post, "one_to_all", kinds.GATE_INHIBIT,
                      name=f"{ring[8]}__{post}_guard")

    c.activity = dict(TRAINING_ACTIVITY)
    c.meta = {"algorithm": "nbp", "mode": "training", "n_in": n_in, "n_hidden": n_hidden,
              "n_out": n_out, "n_phases": N_PHASES, "output": "o", "output_phase": OUTPUT_PHASE,
              "variant": v.name, "step_shift": int(step_shift)}
    return c.validate()


def inference_circuit(W1, W2, *, readout_steps: int = 0,
                      name: str = "nbp_inference") -> Circuit:
    """The 4-step inference network: x (phase 1), h1 (phase 2), o (phase 3), gates g00..g03.

    The output potential ``z2`` of a sample is the input current of ``o`` in phase 3 minus the gate
    weight (the neurons are memoryless).

    With ``readout_steps`` K > 0 (a variant's ramp readout) every sample lasts 4 + K steps and a
    readout population ``r`` (one neuron per class) receives ``W2 h`` in phase 3 as ``o`` does,
    but integrates it: no voltage decay, a voltage floor at 0, a bias of
    :data:`pulsegated.nbp.rule.RAMP` per step, and the phase-0 gate's inhibition clears it for
    every sample.  Its first spike in phases 3 to 3 + K orders the classes by ``z2``
    (:func:`pulsegated.nbp.rule.ramp_readout` states it in integers).
    """
    from pulsegated.nbp.rule import RAMP

    W1, W2, (n_in, n_hidden, n_out) = _layers(W1, W2)
    if (isinstance(readout_steps, bool) or not isinstance(readout_steps, (int, np.integer))
            or readout_steps < 0):
        raise CircuitError(f"readout_steps must be a non-negative integer, got {readout_steps!r}")
    n_phases = INFERENCE_PHASES + int(readout_steps)

    c = Circuit(name=name)
    c.add_population("x", n_in, _DATA, role="input")
    c.add_population("h1", n_hidden, _DATA, role="hidden")
    c.add_population("o", n_out, _DATA, role="output")
    ring = _add_ring(c, n_phases)
    c.add_source("pixels", n_in, data_phase=0)
    c.connect("pixels", "x", "one_to_one", kinds.RELAY)
    c.connect("x", "h1", "all_to_all", np.ascontiguousarray(W1.T), name="W1")
    c.connect("h1", "o", "all_to_all", np.ascontiguousarray(W2.T), name="W2")
    gates = {0: [("o", "inhibit")], 1: [("x", "gate")], 2: [("h1", "gate")], 3: [("o", "gate")]}
    activity = {"x": (1,), "h1": (2,), "o": (OUTPUT_PHASE,),
                **{f"g{k:02d}": ((k - 1) % n_phases,) for k in range(n_phases)}}
    if readout_steps:
        c.add_population("r", n_out, LoihiCompartment(
            threshold=kinds.THRESHOLD, bias=RAMP, decay_u=4096, decay_v=0, v_min=0,
            refractory=kinds.REFRACTORY_NONE), role="output")
        c.connect("h1", "r", "all_to_all", np.ascontiguousarray(W2.T), name="W2_r")
        gates[0].append(("r", "inhibit"))
        activity["r"] = tuple(range(OUTPUT_PHASE, n_phases))
    for phase, targets in gates.items():
        for post, kind in targets:
            c.connect(ring[phase], post, "one_to_all", _GATE_WEIGHT[kind],
                      name=f"{ring[phase]}__{post}_{kind}")
    c.activity = activity
    c.meta = {"algorithm": "nbp", "mode": "inference", "n_in": n_in, "n_hidden": n_hidden,
              "n_out": n_out, "n_phases": n_phases, "output": "o",
              "output_phase": OUTPUT_PHASE, "readout_steps": int(readout_steps)}
    return c.validate()


def weights_from_circuit(weights: dict) -> tuple:
    """``(W1, W2)`` in reference layout from a dict of plastic connection matrices (pre, post)."""
    return (np.asarray(weights["W1"]).T.astype(np.int64),
            np.asarray(weights["W2"]).T.astype(np.int64))


def copies_consistent(weights: dict) -> dict:
    """For each plastic copy, whether it equals its master matrix up to sign and transpose.

    ``weights`` maps connection names of :data:`PLASTIC` to (pre, post) matrices.  Returns
    ``{name: bool}``.
    """
    W1, W2 = weights_from_circuit(weights)
    ref = {"W1": W1.T, "W2": W2.T}
    out = {}
    for cname, (_, _, which, sign, transposed) in PLASTIC.items():
        m = ref[which]
        expected = sign * (m.T if transposed else m)
        out[cname] = bool(np.array_equal(np.asarray(weights[cname]), expected))
    return out
