"""Event-driven random backpropagation (eRBP) and its blank-out variant (peRBP), in Brian2.

eRBP (Neftci, Augustine, Paul & Detorakis, "Event-Driven Random Back-Propagation: Enabling
Neuromorphic Deep Learning Machines", Front. Neurosci. 11:324, 2017) trains a spiking multilayer
network online, one image at a time, with a learning rule that costs one addition and two
comparisons per synaptic event:

* The forward pass is a network of integrate-and-fire neurons: data neurons fire at a rate that
  grows with their pixel's intensity, hidden neurons, and one prediction neuron per class.  The
  answer is the prediction neuron that fires most during the 250 ms an image is shown.
* During training a label neuron fires for the true class.  Pairs of error neurons (error+ and
  error- per class) count the difference between the label's and the prediction's spikes and fire
  at its positive and negative parts.
* Error spikes reach a second compartment of every hidden and prediction neuron, the dendrite
  ``U``, which does not drive the neuron.  A prediction neuron receives its own class's error; a
  hidden neuron receives all errors through a fixed random matrix ``G`` (random backpropagation,
  also called feedback alignment: no transposed forward weights are needed).  The prediction
  dendrites take their error with the authors' weight 0.09 (see
  :class:`~pulsegated.erbp.params.ERBPParams`, ``output_dendrite_weight``, for why not 1).
* On each presynaptic spike at a plastic synapse, if the postsynaptic neuron's synaptic current
  lies in a window (the "boxcar", standing for the derivative of the activation), the weight
  moves by ``eta * U``, before the spike is delivered.
* eRBP adds Poisson shot noise to the membrane potential; peRBP instead lets each plastic synapse
  transmit a spike only with probability 0.65 and learns only on transmitted spikes.  An 8-bit
  variant rounds every weight stochastically to 256 levels after each update.

Modules
-------
============================================  ================================================
module                                        holds
============================================  ================================================
:mod:`~pulsegated.erbp.params`                ``ERBPParams``: every constant, the authors' values
:mod:`~pulsegated.erbp.weights`               initial weights, ``G``, stochastic rounding
:mod:`~pulsegated.erbp.model`                 Brian2 equations and synapse code (with units)
:mod:`~pulsegated.erbp.network`               ``ERBPNetwork``: the Brian2 network, built once
:mod:`~pulsegated.erbp.synops`                SynOps accounting per training / test sample
:mod:`~pulsegated.erbp.reference`             numpy BP and RBP of the same architecture
:mod:`~pulsegated.erbp.checkpoint`            run checkpoints (float weights)
:mod:`~pulsegated.erbp.training`              ``ERBPConfig``, ``ERBPTrainer``: MNIST runs
:mod:`~pulsegated.erbp.diagnostics`           ``record_sample``: one sample's spikes, ``v``,
                                              ``I``, ``U`` (opt-in monitors, removed after)
:mod:`~pulsegated.erbp.figures`               the eRBP figures (``pulsegated figures``, job
                                              ``erbp-figures``); plots in
                                              :mod:`pulsegated.plotting.erbp`
:mod:`~pulsegated.erbp.cli`                   the ``erbp`` sub-command
============================================  ================================================

Examples
--------
Train 784-100-10 for one epoch at 1 ms steps and print the test error (needs the MNIST files on
the data search path, e.g. ``PULSEGATED_DATA``)::

    python -m pulsegated.erbp.cli --hidden 100 --dt 1 --epochs 1 --out runs/erbp
"""
