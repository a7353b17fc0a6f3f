"""Input checks shared by every module: a clear error naming the argument, expected vs received.

Checks of a tensor's *values* (token ids, valid lengths) run only on CPU tensors: on a GPU,
reading values back makes the CPU wait until the GPU has finished all queued work, at every
call, which would stall training. Data built by the package is in range by construction, and
``Seq2SeqEncoder`` checks its valid lengths on the CPU copy that packing needs anyway.
"""

import torch


def check_tensor(
    value,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    floating: bool | None = None,
    sizes: dict[int, int] | None = None,
    nonempty_dim: int | None = None,
) -> torch.Tensor:
    """Check that ``value`` is a tensor with the given rank, dtype kind and sizes; return it.

    ``ndim``: allowed rank(s). ``floating``: True needs a float dtype, False an integer one.
    ``sizes``: ``{dim: expected_size}``. ``nonempty_dim``: a dimension that must be > 0.
    Raises TypeError (not a tensor, wrong dtype kind) or ValueError (wrong shape), naming
    ``name`` and the expected and received shape or type.
    """
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if value.dim() not in allowed:
            want = " or ".join(str(n) for n in allowed)
            raise ValueError(
                f"{name} must have {want} dimensions, got shape {tuple(value.shape)} "
                f"({value.dim()} dimensions)"
            )
    if floating is True and not value.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor, got dtype {value.dtype} "
            f"(convert with .float(), or one-hot encode token ids)"
        )
    if floating is False and (
        value.is_floating_point() or value.is_complex() or value.dtype == torch.bool
    ):
        raise TypeError(f"{name} must be an integer tensor (token ids), got dtype {value.dtype}")
    for dim, expected in (sizes or {}).items():
        if value.shape[dim] != expected:
            raise ValueError(
                f"{name} must have size {expected} in dimension {dim}, "
                f"got shape {tuple(value.shape)}"
            )
    if nonempty_dim is not None and value.shape[nonempty_dim] == 0:
        raise ValueError(
            f"{name} must not be empty in dimension {nonempty_dim}, got shape {tuple(value.shape)}"
        )
    return value


def check_positive_int(value, name: str, *, minimum: int = 1) -> int:
    """Check that ``value`` is an int >= ``minimum``; return it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_shape(value, name: str, shape: tuple[int, ...]) -> torch.Tensor:
    """Check that ``value`` is a floating-point tensor of exactly ``shape``; return it.

    For recurrent states, e.g. ``check_shape(h, "state", (1, batch_size, num_hiddens))``.
    """
    check_tensor(value, name, floating=True)
    if tuple(value.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got shape {tuple(value.shape)}")
    return value


def check_like(tensor: torch.Tensor, name: str, like: torch.Tensor, like_name: str) -> None:
    """``tensor`` must have the dtype and device of ``like`` (``like_name`` in the message)."""
    if tensor.dtype != like.dtype:
        raise TypeError(
            f"{name} must have {like_name}'s dtype {like.dtype}, got {tensor.dtype} "
            f"(convert with .to({like.dtype}))"
        )
    if tensor.device != like.device:
        raise ValueError(
            f"{name} must be on {like_name}'s device {like.device}, got {tensor.device} "
            f"(move it with .to(device))"
        )


def _on_cpu(tensor: torch.Tensor) -> bool:
    """Whether ``tensor``'s values can be read without waiting for an accelerator."""
    return tensor.device.type == "cpu"


def check_token_ids(ids: torch.Tensor, name: str, vocab_size: int) -> torch.Tensor:
    """Check that every token id in the integer tensor ``ids`` lies in ``[0, vocab_size)``.

    The values are checked on the CPU only (see the module's docstring); on a GPU only the dtype.
    """
    check_tensor(ids, name, floating=False)
    if ids.numel() > 0 and _on_cpu(ids):
        low, high = (int(v) for v in torch.aminmax(ids))
        if low < 0 or high >= vocab_size:
            raise ValueError(
                f"{name} holds token ids outside the vocabulary [0, {vocab_size}): "
                f"smallest {low}, largest {high}"
            )
    return ids


def check_valid_len(
    valid_len, name: str, *, batch_size: int, num_steps: int, minimum: int = 1
) -> torch.Tensor:
    """Check valid lengths: integers, shape ``(batch_size,)``, each in ``[minimum, num_steps]``.

    Lists and tuples are converted to a tensor; returns an int64 tensor. The values are
    checked on the CPU only (see the module's docstring); on a GPU only the dtype and shape.
    """
    if isinstance(valid_len, (list, tuple)):
        valid_len = torch.as_tensor(valid_len)
    check_tensor(valid_len, name, ndim=1, floating=False, sizes={0: batch_size})
    valid_len = valid_len.long()
    if valid_len.numel() > 0 and _on_cpu(valid_len):
        low, high = (int(v) for v in torch.aminmax(valid_len))
        if low < minimum or high > num_steps:
            raise ValueError(
                f"{name} must lie in [{minimum}, {num_steps}] (num_steps of the padded batch), "
                f"got values from {low} to {high}"
            )
    return valid_len
