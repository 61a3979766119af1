"""Variants of the nBP circuit that the chip can run: wider derivative windows, an error margin,
a learning step halved through the plastic weights' exponent, and an answer read over several
steps.

Every variant is a change of gate weights, of one extra target connection, or of the exponent of
the plastic connections -- nothing the chip cannot express -- and every one keeps the circuit
deterministic, so the spiking backends stay bit-identical to the exact reference trainer.  In the
integer units of :mod:`pulsegated.nbp.rule` (1/1024 of the threshold)::

    f1' = [z1 > -hidden_low] and not [z1 > 1024 + hidden_high]     (paper: both 0)
    f2' = [z2 > -output_low] and not [z2 > 1024 + output_high]     (paper: both 0)
    o_k = [z2_k > 512 + margin]  for the target class k,   [z2_k > 512 - margin] for the others
    d+ = f2' & t & ~o        d- = f2' & o & ~t             (paper: margin = 0)

and when each epoch of ``halve_at`` starts the learning step is halved: the host doubles every
plastic mantissa (clipped to [-256, 254]) and lowers the plastic connections' weight exponent by
one (0, -1, -2, ...), so the network computes nearly the same function and a mantissa step of 2
moves a weight half as far as before; the weights span [-256, 254] / 2**s thresholds/1024 after s
halvings.  The chip applies a negative exponent to each mantissa first (an arithmetic shift,
flooring): after the first halving mantissas are even and nothing is rounded; from the second on
each synapse delivers ``floor(M / 2**s)``, so the mantissa carries fractional bits that move
the delivered weight only every few steps (the stepping is still deterministic).

How each is built (:func:`pulsegated.nbp.network.training_circuit`):

* ``hidden_low``: the gate that sets ``h1_copy``'s threshold in phase 2 adds ``512 + hidden_low``
  instead of 512 (the lower edge of the hidden derivative window moves down);
* ``output_low``: the same on ``o_copy`` in phase 3;
* ``hidden_high``, ``output_high``: the "plus half" gates of ``h1_copy2`` (phase 2) and ``o_copy2``
  (phase 3) add ``8192 - high`` instead of 8192 (the upper edge moves up);
* ``margin``: the phase-3 gate of ``o`` adds ``margin`` more, and the target spikes reach ``o``
  in phase 3 through a one-to-one connection of weight ``-2 margin``: the target unit must
  clear ``512 + margin``, every other unit stay below ``512 - margin``; ``o``'s phase-3 spikes
  only feed the error units, and inference (its own circuit) reads ``[z2 > 512]`` as always;
* ``halve_at``: the plastic connections' ``weight_exp`` (``-step_shift``);
* ``replay_keep``: a data source ``replay_off`` carries, for every sample, the active pixels the
  host chose not to replay (:func:`replay_masks`); its spikes reach ``m_x6`` in phase 6 through
  an inhibitory one-to-one relay, so those pixels are not replayed onto ``x`` in phases 7 and 11
  and ``W1`` learns from the others only (``W1 += 2 (d1 * f1') (x * keep)^T``);
* ``readout_steps`` (inference only; training is unchanged): the inference circuit gets a readout
  population ``r``, one neuron per class, that receives ``W2 h`` in the output phase like ``o``
  but integrates it (no voltage decay, a voltage floor at 0, a bias of
  :data:`~pulsegated.nbp.rule.RAMP` per step, cleared by the phase-0 gate), and every sample
  lasts ``readout_steps`` more steps; the answer is the neuron that spikes first
  (:func:`pulsegated.nbp.rule.ramp_readout`).  It is recorded beside the paper's readouts as
  ``acc_first_spike``.

Why: in the paper's circuit an output unit whose potential stays at or below 0 for every input of
its class never enters its derivative window and never learns (a silent class), and a hidden unit
below 0 gets no error; the ternary error stops as soon as the right unit is over 512 and the others
under it, so test points sit close to the decision boundary; a fixed step of 2/1024 keeps the test
accuracy fluctuating from epoch to epoch.  The paper's spike readout is a single step: a sample
with no output over half a threshold, or with several, is answered by the lowest index, which
costs about 2 points against the potential's argmax; a readout that integrates over a few steps
orders the outputs by their potential with spikes alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from pulsegated.errors import UsageError

__all__ = ["Variant", "VARIANTS", "PAPER", "ABLATION", "variant", "record_name", "MAX_LOW",
           "GRAIN", "MAX_SHIFT", "MAX_READOUT", "replay_masks", "REPLAY_STREAM"]

#: window edges and margins are multiples of this (1/16 threshold): a gate weight such as
#: 8704 + margin is an 8-bit mantissa times 2**6 only in these steps
GRAIN = 64

#: most halvings of the learning step (plastic weight exponent down to -MAX_SHIFT)
MAX_SHIFT = 3

#: most readout steps of the ramp readout
MAX_READOUT = 32

#: largest derivative-window extension below 0 (the gate weight stays within one threshold of
#: the data bias: 8192 + 512 + 7680 would let a gate alone lift a neuron by two thresholds)
MAX_LOW = 4096


@dataclass(frozen=True)
class Variant:
    """A chip-expressible variant of the nBP circuit and rule.

    Parameters
    ----------
    name : str
        How runs and records call it.
    hidden_low : int
        The hidden derivative window is ``-hidden_low < z1 <= 1024 + hidden_high``
        (threshold/1024 units).
    output_low : int
        The output derivative window is ``-output_low < z2 <= 1024 + output_high``.
    hidden_high, output_high : int
        Upper edges of the windows above one threshold (0 to ``MAX_LOW``).
    margin : int
        Error margin, 0 <= margin < 512: the target unit must exceed ``512 + margin`` and every
        other unit stay at or below ``512 - margin``, or an error is sent.
    halve_at : tuple of int
        Epochs (counting from 1, increasing, at most ``MAX_SHIFT``) at whose start the learning
        step is halved (plastic weight exponent one lower, mantissas doubled); an int is one
        epoch, None or () never.
    readout_steps : int
        Steps of the ramp readout of the inference circuit (0: none).
    replay_keep : float
        Probability, in (0, 1], that an active pixel is replayed in phases 7 and 11 of a
        training sample (1: always, the paper).  The host draws the replayed pixels of every
        sample (:func:`replay_masks`); ``W1`` learns only from those.
    """

    name: str = "custom"
    hidden_low: int = 0
    output_low: int = 0
    hidden_high: int = 0
    output_high: int = 0
    margin: int = 0
    halve_at: tuple = ()
    readout_steps: int = 0
    replay_keep: float = 1.0

    def __post_init__(self):
        h = self.halve_at
        if h is None:
            h = ()
        elif isinstance(h, (int, np.integer)) and not isinstance(h, bool):
            h = (int(h),)
        elif isinstance(h, (list, tuple)):
            h = tuple(h)
        object.__setattr__(self, "halve_at", h)
        self.validate()

    def validate(self, label: str = "variant") -> "Variant":
        """Check every field; :class:`~pulsegated.errors.UsageError` naming the bad one."""
        def is_int(v):
            return isinstance(v, int) and not isinstance(v, bool)

        for key in ("hidden_low", "output_low", "hidden_high", "output_high"):
            v = getattr(self, key)
            if not is_int(v) or not 0 <= v <= MAX_LOW:
                raise UsageError(f"{label}: {key} must be an integer in [0, {MAX_LOW}], got {v!r}")
        if not is_int(self.margin) or not 0 <= self.margin < 512:
            raise UsageError(f"{label}: margin must be an integer in [0, 512), got "
                             f"{self.margin!r}")
        for key in ("hidden_low", "output_low", "hidden_high", "output_high", "margin"):
            if getattr(self, key) % GRAIN:
                raise UsageError(f"{label}: {key} must be a multiple of {GRAIN} (the chip's 8-bit "
                                 f"weight mantissas hold the gate weights exactly only in steps "
                                 f"of {GRAIN}), got {getattr(self, key)!r}")
        if not is_int(self.readout_steps) or not 0 <= self.readout_steps <= MAX_READOUT:
            raise UsageError(f"{label}: readout_steps must be an integer in [0, {MAX_READOUT}], "
                             f"got {self.readout_steps!r}")
        k = self.replay_keep
        if (isinstance(k, bool) or not isinstance(k, (int, float, np.integer, np.floating))
                or not 0 < k <= 1):
            raise UsageError(f"{label}: replay_keep must be a probability in (0, 1], got {k!r}")
        h = self.halve_at
        if (not isinstance(h, tuple) or not all(is_int(e) and e >= 1 for e in h)
                or list(h) != sorted(set(h)) or len(h) > MAX_SHIFT):
            raise UsageError(f"{label}: halve_at must be increasing epoch numbers >= 1 (at most "
                             f"{MAX_SHIFT}), got {h!r}")
        return self

    @property
    def is_paper(self) -> bool:
        """True when the circuit and rule are the published ones."""
        return (self.hidden_low, self.output_low, self.hidden_high, self.output_high,
                self.margin, self.halve_at, self.readout_steps,
                self.replay_keep) == (0, 0, 0, 0, 0, (), 0, 1)

    def step_shift(self, epoch: int, position: int = 0) -> int:
        """How many times the step has been halved at ``epoch`` (epochs done, from 0) and
        ``position`` (samples done in it).

        A halving happens when its epoch starts: ``epoch == e - 1`` with ``position == 0`` is
        still before the halving at epoch ``e``.
        """
        return sum(1 for e in self.halve_at
                   if epoch > e - 1 or (epoch == e - 1 and position > 0))

    def halves_before(self, epoch: int) -> bool:
        """Whether the step is halved just before training epoch index ``epoch`` (from 0)."""
        return epoch + 1 in self.halve_at

    def to_dict(self) -> dict:
        d = asdict(self)
        d["halve_at"] = list(self.halve_at)
        if self.replay_keep == 1:   # (absent: the records of runs from before the field)
            del d["replay_keep"]
        else:
            d["replay_keep"] = float(self.replay_keep)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Variant":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise UsageError(f"variant: unknown field(s) {', '.join(sorted(unknown))}; expected "
                             f"{', '.join(sorted(known))}")
        return cls(**d)


#: the published circuit and rule (Renner et al.)
PAPER = Variant("paper")

#: named variants (``pulsegated train --variant NAME``): each change alone, and all together
VARIANTS = {
    "paper": PAPER,
    "wide": Variant("wide", hidden_low=512, output_low=512),
    "margin": Variant("margin", margin=128),
    "halve": Variant("halve", halve_at=20),
    "ramp": Variant("ramp", readout_steps=8),
    "all": Variant("all", hidden_low=512, output_low=512, margin=128, halve_at=20,
                   readout_steps=8),
    # the two changes that help, without the margin (which silences output classes of some
    # seeds) and the halving (no effect: the doubled mantissas clip)
    "wide_ramp": Variant("wide_ramp", hidden_low=512, output_low=512, readout_steps=8),
    # half the active pixels replayed in phases 7 and 11: W1 learns from a random half of the
    # input of each sample
    "replay": Variant("replay", replay_keep=0.5),
    "wide_ramp_replay": Variant("wide_ramp_replay", hidden_low=512, output_low=512,
                                readout_steps=8, replay_keep=0.5),
}

#: the stream of :func:`replay_masks` (apart from the weights' and the orders' of a seed)
REPLAY_STREAM = 0x5E7


def replay_masks(seed: int, epoch: int, n: int, n_in: int, keep: float) -> np.ndarray:
    """Which pixels the host replays, ``(n, n_in)`` bool, for the ``n`` samples of ``epoch``
    (from 0, in the order they are trained) of a run seeded ``seed``: each with probability
    ``keep``.  The generator is seeded by ``(seed, epoch)`` alone, so a resumed run and every
    backend draw the same masks."""
    if keep >= 1:
        return np.ones((n, n_in), dtype=bool)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(epoch), REPLAY_STREAM]))
    out = np.empty((n, n_in), dtype=bool)
    for a in range(0, n, 4096):   # in blocks: no (n, n_in) array of floats
        b = min(a + 4096, n)
        out[a:b] = rng.random((b - a, n_in), dtype=np.float32) < keep
    return out


#: the rows of the variants' ablation (``scripts/nbp_variants.py``, ``benchmarks/
#: bench_variants.py``): row name -> (variant name, hidden units); the published circuit has 400
#: hidden units, and the chip had room for more
ABLATION = {**{name: (name, 400) for name in VARIANTS},
            "paper_h1000": ("paper", 1000), "all_h1000": ("all", 1000),
            "wide_ramp_h1000": ("wide_ramp", 1000)}


def record_name(dataset: str, variant: str = "paper", hidden: int = 400,
                backend: str = "reference") -> str:
    """The name of a training run's records: ``nbp_<dataset>_<backend>[_<variant>][_h<hidden>]``.

    The published circuit (variant ``paper``, 400 hidden units) has no suffix; results go to
    ``results/<name>.jsonl`` and ``results/<name>_summary.json``, the accuracy curves to
    ``figures/<name>_accuracy.png``.
    """
    return (f"nbp_{dataset}_{backend}" + ("" if variant == "paper" else f"_{variant}")
            + ("" if hidden == 400 else f"_h{hidden}"))


def variant(spec) -> Variant:
    """A :class:`Variant` from a name of :data:`VARIANTS`, a dict of fields, or a Variant.

    Raises
    ------
    UsageError
        For an unknown name (listing the known ones) or bad fields.
    """
    if isinstance(spec, Variant):
        return spec.validate()
    if spec is None:
        return PAPER
    if isinstance(spec, str):
        if spec not in VARIANTS:
            raise UsageError(f"unknown variant {spec!r}; choose one of: {', '.join(VARIANTS)}")
        return VARIANTS[spec]
    if isinstance(spec, dict):
        return Variant.from_dict(spec)
    raise UsageError(f"variant: a name ({', '.join(VARIANTS)}), a dict of fields or a Variant, "
                     f"got {spec!r}")
