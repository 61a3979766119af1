"""The eRBP network's Brian2 model: neuron equations, synapse code and their constants.

Nothing here builds or runs Brian2 objects; :mod:`pulsegated.erbp.network` does, from these
descriptions.  Every model is a small frozen record of Brian2 strings (with units) and the
namespace of constants they use.

Neurons
-------
Three models, one Brian2 ``NeuronGroup`` each (layers are subgroups of them):

``input`` -- data and label neurons
    Escape-noise neurons: in every step a neuron fires with probability
    ``1 - exp(-rho dt)``, ``rho = input_rate * exp(input_gain * p - input_offset)`` for its
    intensity ``p`` in (0, 1] (``p = 0``: silent), then is dead for ``input_refractory``.  The
    first ``n_in`` neurons take the pixels of the current sample; the last ``n_classes`` are label
    neurons whose intensity is ``label_intensity`` for the true class during training and 0 at
    test.  ``p`` is read from a table of the chunk's samples at the start of every sample; the
    table's last column is the sample's learning rate relative to ``eta``: 0 for a test sample,
    1 for a training sample, less when the host lowers the rate between epochs (``learning`` of
    the units and ``on`` of the error neurons are read from it, so that one compiled network runs
    training and test samples alike, at any rate).

``unit`` -- hidden and prediction neurons
    The two-compartment neuron of :func:`pulsegated.nsat.neurons.dual_compartment_lif` with both
    couplings off::

        dv/dt = (I - v) / tau_m          (held during the refractory period, ceil(refractory/dt)
                                          whole steps: see ERBPParams.refractory)
        dI/dt = -I / tau_syn             forward spikes add their weight to I
        dU/dt = -U / tau_dendrite        error spikes add their weight to U only
        spike when v >= threshold; v = 0

    The soma ``v`` computes the forward pass; the dendrite ``U`` low-pass filters the error that
    reaches the neuron and is what its incoming plastic synapses read.  ``b_lo``/``b_hi`` hold
    the boxcar per neuron.  For eRBP, Poisson shot noise adds ``noise_weight`` to ``v`` at
    ``noise_rate`` (not during the refractory period).

``error`` -- error+ and error- neurons
    Non-leaky integrators: ``x`` (no dynamics) receives ``±error_weight`` per label/prediction
    spike and is clipped at 0 from below after every arriving spike; when ``x >= error_threshold``
    the neuron fires (training samples only) and ``error_threshold`` is subtracted (not reset
    to 0).  This is a
    sigma-delta modulator: error+ ``k`` fires at ``(error_weight / error_threshold) *
    [nu_label_k - nu_pred_k]^+`` (0.9 times the positive part of the rate difference), error-
    at the negative part.

All states and weights are in volt; the dimensionless numbers of the authors' simulations
(threshold 0.1, error weights 0.09, ...) are those values in volt.

The learning rule
-----------------
On every presynaptic spike at a plastic synapse ``j -> i``, in this order::

    gate = learning * [step within sample >= learn_off steps] * [b_lo_i < I_i < b_hi_i]
    w_ij += eta * U_i * gate           (8-bit: then stochastically rounded to 256 levels)
    I_i  += w_ij                       (the spike is delivered with the updated weight)

peRBP: a spike is transmitted with probability ``p_transmit``; a blanked-out spike neither
updates the weight nor reaches ``I_i``.  The update reads ``I_i`` and ``U_i`` as they are when
the spike is processed: spikes of one step are processed one synapse after the other, so ``I_i``
includes the forward spikes delivered before it in that step; error spikes of the step reach
``U`` after all forward spikes (the error synapses run later in the step).  Within a step the
error neurons take the label's spikes before the prediction's (see
:data:`pulsegated.erbp.network.PATHWAY_ORDER`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from brian2 import Hz, second, volt

from pulsegated.erbp.params import ERBPParams
from pulsegated.erbp.weights import levels_grid
from pulsegated.nsat.neurons import dual_compartment_lif

__all__ = ["NeuronCode", "SynapseCode", "input_model", "unit_model", "error_model",
           "plastic_synapse", "error_input_synapse", "dendrite_synapse", "noise_weight_expr",
           "sample_start_code"]


@dataclass(frozen=True)
class NeuronCode:
    """One neuron model: Brian2 equations, threshold, reset, refractory and constants."""

    equations: str
    threshold: str
    reset: str
    refractory: object
    namespace: dict = field(default_factory=dict)
    method: str = "euler"
    #: code run at the start of every sample (the group's ``run_regularly``), or ""
    sample_start: str = ""


@dataclass(frozen=True)
class SynapseCode:
    """One synapse model: Brian2 ``model`` and ``on_pre`` strings and constants."""

    model: str
    on_pre: str
    namespace: dict = field(default_factory=dict)


def input_model(p: ERBPParams) -> NeuronCode:
    """Data and label neurons (escape noise, dead time ``input_refractory``).

    ``stim`` (a 2-D ``TimedArray`` of the chunk's intensities, one row per sample) is added to the
    namespace by the network; ``chunk_start`` (the time the chunk's first sample starts) is set
    by the network before every chunk.
    """
    eqs = ("p : 1\n"
           "prob : 1\n"
           "nspk : integer\n"
           "chunk_start : second (shared)")
    start = ("p = stim(t - chunk_start, i)\n"
             "prob = int(p > 0) * (1 - exp(-input_rate * exp(input_gain * p - input_offset)"
             " * step_dt))")
    ns = {"input_rate": p.input_rate * Hz, "input_gain": p.input_gain,
          "input_offset": p.input_offset, "step_dt": p.dt * second}
    return NeuronCode(eqs, threshold="rand() < prob", reset="nspk += 1",
                      refractory=p.input_refractory_steps * p.dt * second, namespace=ns,
                      method="euler",
                      sample_start=start)


def unit_model(p: ERBPParams) -> NeuronCode:
    """Hidden and prediction neurons: :func:`~pulsegated.nsat.neurons.dual_compartment_lif` with
    per-neuron boxcar bounds, a shared learning switch and spike counters.

    ``nspk`` counts spikes until the driver reads and clears it; ``nsmp`` counts the spikes of the
    current sample (cleared at every sample start, read by the readout).
    """
    base = dual_compartment_lif(tau_m=p.tau_m * second, tau_syn=p.tau_syn * second,
                                tau_dendrite=p.tau_dendrite * second, v_rest=0 * volt,
                                v_reset=0 * volt, v_threshold=p.threshold * volt,
                                refractory=(p.refractory_steps * p.dt * second
                                            if p.refractory > 0 else None))
    eqs = (base.equations + "\n"
           "b_lo : volt (constant)\n"
           "b_hi : volt (constant)\n"
           "learning : 1 (shared)\n"
           "chunk_start : second (shared)\n"
           "nspk : integer\n"
           "nsmp : integer")
    ns = {k: v for k, v in base.namespace.items() if k not in ("k_vu", "k_uv")}
    start = ("learning = stim(t - chunk_start, learn_col)\n"
             "v = 0 * volt\nI = 0 * volt\nU = 0 * volt\nnsmp = 0")
    return NeuronCode(eqs, threshold=base.threshold, reset=base.reset + "\nnspk += 1\nnsmp += 1",
                      refractory=base.refractory, namespace=ns, method=base.method,
                      sample_start=start)


def noise_weight_expr(p: ERBPParams) -> str:
    """Weight expression of eRBP's shot noise (none during the refractory period)."""
    refr = " * int(not_refractory)" if p.refractory > 0 else ""
    return f"{p.noise_weight!r} * volt{refr}"


def error_model(p: ERBPParams) -> NeuronCode:
    """error+ / error- neurons: non-leaky, clipped at 0, subtract the threshold at a spike.

    They fire only in training samples (``on``, read from the sample's learning column of the
    intensity table at its start).
    """
    return NeuronCode("x : volt\nnspk : integer\non : 1 (shared)\nchunk_start : second (shared)",
                      threshold="x >= err_threshold and on > 0",
                      reset="x -= err_threshold\nnspk += 1", refractory=None,
                      namespace={"err_threshold": p.error_threshold * volt}, method="euler",
                      sample_start="on = stim(t - chunk_start, learn_col)\nx = 0 * volt")


def plastic_synapse(p: ERBPParams) -> SynapseCode:
    """The eRBP / peRBP plastic synapse (see the module docstring for the rule).

    Namespace constants: ``eta``, ``steps_per_sample``, ``learn_off_steps``, and for peRBP
    ``p_transmit``, for 8 bits ``w_lo``, ``w_step``, ``w_hi``.
    """
    ns = {"eta": p.eta, "steps_per_sample": p.steps_per_sample,
          "learn_off_steps": p.learn_off_steps}
    gate = ("learning_post * int(t_in_timesteps % steps_per_sample >= learn_off_steps)"
            " * int(I_post > b_lo_post) * int(I_post < b_hi_post)")
    lines = []
    if p.algorithm == "perbp":
        ns["p_transmit"] = p.p_transmit
        lines.append("tx = int(rand() < p_transmit)")
        gate = "tx * " + gate
    lines.append(f"w += eta * U_post * {gate}")
    if p.bits is not None:
        lo, step = levels_grid(p.levels, p.weight_max)
        ns.update(w_lo=lo * volt, w_step=step * volt, w_hi=(lo + step * (p.levels - 1)) * volt)
        lines.append("w = clip(w_lo + w_step * floor((w - w_lo) / w_step + rand()), w_lo, w_hi)")
    lines.append("I_post += tx * w" if p.algorithm == "perbp" else "I_post += w")
    return SynapseCode("w : volt", "\n".join(lines), ns)


def error_input_synapse() -> SynapseCode:
    """Label/prediction spikes onto error neurons: ``x = max(x + w, 0)``."""
    return SynapseCode("w : volt (constant)", "x_post = clip(x_post + w, 0 * volt, inf * volt)")


def dendrite_synapse() -> SynapseCode:
    """Error spikes onto a dendrite: ``U += w`` (they do not reach ``v`` or ``I``)."""
    return SynapseCode("w : volt (constant)", "U_post += w")


def sample_start_code(model: NeuronCode) -> str:
    """Code run at the start of every sample for ``model``."""
    return model.sample_start

