"""Synfire-gated synfire chains: graded transfer under pulse gating (mean-field model)."""
