"""Companion package for the gated-RNN course: everything the notebooks share."""

from lstm_gru import i18n as _i18n

__all__ = ["seed_everything", "try_gpu"]

if _i18n.language() != "en":  # the Chinese edition: figures drawn in Chinese too
    _i18n.translate_figures()


def __getattr__(name: str):
    """``try_gpu`` and ``seed_everything``, imported on first use.

    ``import lstm_gru`` imports no torch, so ``lstm_gru.environment`` can report a missing or
    broken torch instead of failing as it is imported.
    """
    if name in __all__:
        from lstm_gru import device

        return getattr(device, name)
    raise AttributeError(f"module 'lstm_gru' has no attribute {name!r}")
