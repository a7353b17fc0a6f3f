"""How an encoder-decoder turns one word into tokens, step by step, greedily and with a beam:
the data the decoding explorer draws."""

from dataclasses import dataclass

import torch

from lstm_gru.checks import check_positive_int
from lstm_gru.device import cpu_threads, model_device
from lstm_gru.encoder_decoder import beam_search, greedy_steps


@dataclass
class DecodingTrace:
    """How an encoder-decoder (e.g. a G2P model) turns one word into tokens, step by step.

    ``word``: the word as decoded (lowercased); ``unknown``: its characters that are not in the
    letter vocabulary (read as ``<unk>``).
    ``candidates[t]``: the ``top_k`` most probable tokens at greedy step t+1 as ``(token,
    probability)``, best first, given the word and the greedy prefix, so ``candidates[t][0]``
    is the greedy choice; ``greedy``: the greedy output without ``<eos>``; ``greedy_log_prob``
    its summed log-probability (``<eos>`` included).
    ``beam_steps[t]``: the hypotheses the beam keeps after step t+1, ``(tokens, log_prob,
    finished)``, ``tokens`` without ``<eos>``, ``finished`` when that step chose ``<eos>``;
    ``beam``: the final hypotheses ``(tokens, log_prob)``, best first (``beam[0][0]`` is what
    ``lstm_gru.g2p.predict`` returns for the same ``beam_size``).
    ``attention[t]``: for a decoder with attention, the weights over the word's letters at
    greedy step t+1 (None for a decoder without).
    """

    word: str
    unknown: int
    candidates: list[list[tuple[str, float]]]
    greedy: list[str]
    greedy_log_prob: float
    beam_size: int
    beam_steps: list[list[tuple[list[str], float, bool]]]
    beam: list[tuple[list[str], float]]
    attention: list[list[float]] | None = None

    @property
    def num_steps(self) -> int:
        """The steps there are to show: the longer of the greedy and the beam runs."""
        return max(len(self.candidates), len(self.beam_steps))

    def finished_before(self, step: int) -> list[tuple[list[str], float]]:
        """Hypotheses the beam finished at steps 1..step-1, ``(tokens, log_prob)`` best first."""
        done = [(t, lp) for hyps in self.beam_steps[: step - 1] for t, lp, end in hyps if end]
        return sorted(done, key=lambda pair: pair[1], reverse=True)


def _check_seq2seq(model) -> None:
    if not (
        hasattr(model, "encoder") and callable(getattr(model.decoder, "init_state", None))
        if hasattr(model, "decoder")
        else False
    ):
        raise TypeError(
            "model must be an encoder-decoder with .encoder and .decoder.init_state, like "
            f"lstm_gru.g2p.g2p_model(...); got {type(model).__name__}"
        )


def trace_decoding(
    model,
    letters,
    phonemes,
    word: str,
    *,
    beam_size: int = 3,
    top_k: int = 5,
    alpha: float = 0.0,
    max_len: int | None = None,
) -> DecodingTrace:
    """Decode ``word`` greedily and with a beam, recording every step (batch of one).

    ``model``: an ``EncoderDecoder`` whose encoder takes ``(src, valid_len)``, such as
    ``lstm_gru.g2p.g2p_model``; ``letters`` / ``phonemes``: the source and target vocabularies
    (the target has ``<bos>`` and ``<eos>``). The word is lowercased like ``g2p.predict``;
    at most ``max_len`` tokens (default ``2 * len(word) + 5``, as ``predict``).
    Greedy decoding is ``encoder_decoder.greedy_steps``, which gives each step's
    distribution; the beam is ``beam_search`` with ``return_steps=True``.
    """
    _check_seq2seq(model)
    if not isinstance(word, str) or not word:
        raise ValueError(f"word must be a non-empty str, got {word!r}")
    check_positive_int(beam_size, "beam_size")
    check_positive_int(top_k, "top_k")
    word = word.lower()
    max_len = 2 * len(word) + 5 if max_len is None else check_positive_int(max_len, "max_len")
    bos, eos = phonemes["<bos>"], phonemes["<eos>"]
    ids = letters[list(word)]
    device = model_device(model)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), cpu_threads(1, device):
            src = torch.tensor([ids], dtype=torch.long, device=device)  # (1, num_letters)
            valid_len = torch.tensor([len(ids)])  # (1,)
            candidates, greedy, greedy_log_prob = [], [], 0.0
            attends = hasattr(model.decoder, "attention_weights")
            attention = [] if attends else None
            for log_probs, best, choice, _ in greedy_steps(
                model, src, max_len, bos=bos, eos=eos, src_valid_len=valid_len
            ):  # log_probs (1, vocab_size); best, choice (1,)
                if attends:  # (1, 1, num_letters): where this step looked
                    attention.append(model.decoder.attention_weights[0, -1].tolist())
                top_lp, top = log_probs[0].topk(min(top_k, log_probs.shape[-1]))
                tokens = phonemes.to_tokens(top.tolist())
                candidates.append(list(zip(tokens, top_lp.exp().tolist(), strict=True)))
                greedy_log_prob += float(best[0])
                chosen = int(choice[0])
                if chosen == eos:
                    break
                greedy.append(phonemes.to_tokens(chosen))
            results, steps = beam_search(
                model, src, beam_size, max_len, bos=bos, eos=eos, src_valid_len=valid_len,
                alpha=alpha, return_steps=True,
            )  # fmt: skip
    finally:
        model.train(was_training)
    beam_steps = [
        [(phonemes.to_tokens(t[:-1] if end else t), lp, end) for t, lp, end in step[0]]
        for step in steps
    ]
    beam = [(phonemes.to_tokens(h.tokens), h.log_prob) for h in results[0]]
    unknown = sum(i == letters.unk for i in ids)
    return DecodingTrace(
        word, unknown, candidates, greedy, greedy_log_prob, beam_size, beam_steps, beam, attention
    )
