"""Companion package for the gated-RNN course: everything the notebooks share."""

from lstm_gru.device import seed_everything, try_gpu

__all__ = ["seed_everything", "try_gpu"]
