"""Analysis of recorded activity (no simulation here)."""
