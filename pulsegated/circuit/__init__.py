"""Backend-neutral circuit descriptions."""
from pulsegated.circuit.description import *  # noqa: F401,F403
from pulsegated.circuit.description import __all__  # noqa: F401
