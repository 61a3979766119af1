"""Event-driven random backpropagation (eRBP) and its blank-out variant (peRBP), in Brian2."""
