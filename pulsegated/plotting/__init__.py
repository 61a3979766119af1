"""Plotting of recorded activity and training curves (no simulation here)."""
