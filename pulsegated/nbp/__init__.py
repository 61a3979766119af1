"""The on-chip backpropagation circuit (nBP) of Renner, Sheldon, Zlotnik, Tao & Sornborger.

* :mod:`~pulsegated.nbp.rule` -- the learning rule as plain integer arithmetic;
* :mod:`~pulsegated.nbp.network` -- the training and inference circuits (circuit descriptions);
* :mod:`~pulsegated.nbp.training` -- the training-backend interface, input checks and registry;
* :mod:`~pulsegated.nbp.reference` -- the exact compiled reference trainer;
* :mod:`~pulsegated.nbp.spiking` -- training on any registered circuit simulator (Loihi, Brian2).
"""
