"""Chapter 07 (encoder–decoder): ``sequence_mask``, ``masked_loss`` and
``length_normalised_score`` check themselves; the open questions of the chapter's Exercises
(``lstm``, ``wider_bottleneck``, ``length_normalisation``, ``padding_bug``, ``explore``; all in
``open_questions``) have hints and a model answer."""

import torch
import torch.nn.functional as F

from lstm_gru.exercises.core import Case, CodeExercise, OpenQuestion
from lstm_gru.i18n import later

__all__ = [
    "explore",
    "length_normalisation",
    "length_normalised_score",
    "lstm",
    "masked_loss",
    "padding_bug",
    "sequence_mask",
    "wider_bottleneck",
]


def masked_loss_reference(logits, targets, valid_len):
    """Mean cross-entropy over the real tokens only. logits (batch_size, num_steps,
    vocab_size); targets (batch_size, num_steps) ids; valid_len (batch_size,): sequence i's
    first valid_len[i] steps are real, the rest padding. Returns a scalar tensor."""
    losses = F.cross_entropy(logits.permute(0, 2, 1), targets, reduction="none")  # (B, T)
    real = torch.arange(targets.shape[1])[None, :] < valid_len[:, None]  # (B, T)
    return (losses * real).sum() / real.sum()


def _masked(logits, targets, valid_len, extra=0):
    """(token losses with padding zeroed, real-token mask), each (batch_size, num_steps);
    ``extra`` counts that many padded steps as real too."""
    real = torch.arange(targets.shape[1])[None, :] < valid_len[:, None] + extra
    return F.cross_entropy(logits.permute(0, 2, 1), targets, reduction="none") * real, real


def _mean_over_padding_too(logits, targets, valid_len):
    return _masked(logits, targets, valid_len)[0].mean()  # d2l's MaskedSoftmaxCELoss, averaged


def _mean_of_sequence_means(logits, targets, valid_len):
    return (_masked(logits, targets, valid_len)[0].sum(1) / valid_len).mean()


def _one_too_many(logits, targets, valid_len):
    losses, real = _masked(logits, targets, valid_len, extra=1)
    return losses.sum() / real.sum()


def _summed(logits, targets, valid_len):
    return _masked(logits, targets, valid_len)[0].sum()


def _no_mask(logits, targets, valid_len):
    return F.cross_entropy(logits.permute(0, 2, 1), targets)  # padding's losses included


def _summed_per_sequence(logits, targets, valid_len):
    return _masked(logits, targets, valid_len)[0].sum() / len(targets)  # d2l's training loop


def _loss_cases() -> list[Case]:
    cases = []
    for label, batch_size, num_steps, valid, seed in [
        (later.tr("batch 1, length 1, no padding"), 1, 1, [1], 0),
        (later.tr("batch 3 with padding"), 3, 5, [5, 2, 3], 1),
        (later.tr("batch 4 with padding"), 4, 6, [1, 6, 4, 2], 2),
    ]:
        gen = torch.Generator().manual_seed(seed)
        logits = 3 * torch.randn(batch_size, num_steps, 7, generator=gen)
        targets = torch.randint(0, 7, (batch_size, num_steps), generator=gen)
        cases.append(Case(label, (logits, targets, torch.tensor(valid))))
    return cases


masked_loss = CodeExercise(
    "ch07.masked_loss",
    masked_loss_reference,
    _loss_cases,
    names=(later.tr("the loss"),),
    hints=(
        later.tr(
            "What should a padded position contribute to the mean, and what should the sum of the "
            "losses be divided by?"
        ),
        later.tr(
            "F.cross_entropy(logits.permute(0, 2, 1), targets, reduction='none') gives one loss "
            "per token, (batch_size, num_steps)."
        ),
        later.tr(
            "A mask torch.arange(num_steps)[None, :] < valid_len[:, None] is True at real tokens."
        ),
        later.tr(
            "Divide the masked sum by the number of real tokens, not by batch_size * num_steps."
        ),
    ),
    mistakes={
        later.tr(
            "averaging over every position, padding included (the d2l book's MaskedSoftmaxCELoss)"
        ): _mean_over_padding_too,
        later.tr(
            "averaging each sequence first, then the sequences (a short word then weighs as much "
            "as a long one)"
        ): _mean_of_sequence_means,
        later.tr(
            "counting one token too many per sequence (<= valid_len instead of <)"
        ): _one_too_many,
        later.tr("summing instead of averaging"): _summed,
        later.tr(
            "no mask at all: the mean cross-entropy over every position (the padding's "
            "predictions are trained and counted too)"
        ): _no_mask,
        later.tr(
            "the masked sum divided by the batch size (the d2l book's training loop: a loss per "
            "sequence, not per token, so long words weigh more and the scale depends on length)"
        ): _summed_per_sequence,
    },
)


def length_normalised_score_reference(log_prob, length, alpha):
    """Beam search's score of a finished hypothesis: its summed log-probability divided by
    length ** alpha, length = the generated tokens, <eos> included (alpha = 0: no
    normalisation). Returns a float."""
    return log_prob / length**alpha


def _score_cases() -> list[Case]:
    return [
        Case(later.tr("a 3-token output, alpha 0.75"), (-2.5, 3, 0.75)),
        Case(later.tr("a 1-token output, alpha 0.75"), (-0.7, 1, 0.75)),
        Case(later.tr("alpha 0: no normalisation"), (-4.0, 6, 0.0)),
        Case(later.tr("alpha 1: the mean per token"), (-6.0, 4, 1.0)),
    ]


length_normalised_score = CodeExercise(
    "ch07.length_normalised_score",
    length_normalised_score_reference,
    _score_cases,
    names=(later.tr("the score"),),
    atol=1e-9,
    hints=(
        later.tr(
            "Why does a plain sum of log-probabilities favour short outputs, and what could take "
            "that advantage away?"
        ),
        later.tr(
            "Log-probabilities are negative and only fall as tokens are added; dividing by a "
            "power of the length takes away the advantage of stopping early."
        ),
        later.tr("score = log_prob / length ** alpha."),
    ),
    mistakes={
        later.tr("dividing by the length and ignoring alpha"): lambda lp, n, a: lp / n,
        later.tr("no normalisation at all"): lambda lp, n, a: lp,
        later.tr("multiplying by length ** alpha"): lambda lp, n, a: lp * n**a,
    },
)


def sequence_mask_reference(valid_len, num_steps):
    """valid_len (batch_size,) -> a bool mask (batch_size, num_steps), True at real tokens
    (the first valid_len[i] steps of row i), False at padding."""
    return torch.arange(num_steps)[None, :] < valid_len[:, None]


sequence_mask = CodeExercise(
    "ch07.sequence_mask",
    sequence_mask_reference,
    lambda: [
        Case(later.tr("one sequence of length 1"), (torch.tensor([1]), 1)),
        Case(later.tr("batch 3, width 5"), (torch.tensor([5, 2, 0]), 5)),
        Case(later.tr("width wider than every length"), (torch.tensor([1, 3]), 6)),
    ],
    names=(later.tr("the mask"),),
    dims=(later.tr("batch row"), later.tr("step")),
    convert=lambda mask: torch.as_tensor(mask).to(torch.int64),
    atol=0,
    hints=(
        later.tr(
            "Which positions of a row are real tokens: how does a position's index compare with "
            "the row's valid length?"
        ),
        later.tr(
            "Compare a row of positions 0 .. num_steps - 1 with each length, by broadcasting."
        ),
    ),
    mistakes={
        later.tr("<= instead of < (one padded step too many)"): lambda v, n: (
            torch.arange(n)[None, :] <= v[:, None]
        ),
        later.tr("the positions counted from the end"): lambda v, n: (
            torch.arange(n).flip(0)[None, :] < v[:, None]
        ),
    },
)

lstm = OpenQuestion(
    later.tr("LSTM"),
    (
        later.tr(
            "Read the code: print(inspect.getsource(Seq2SeqDecoder.init_state)). What is "
            "hidden[0] when the state is a tuple?"
        ),
        later.tr(
            "Note run.seconds, the parameter count and both WERs for each cell; the LSTM has four "
            "weight blocks to the GRU's three."
        ),
    ),
    later.tr("""
    init_state takes hidden[0] when the state is a tuple, and its top layer: the context is
    the final hidden state h (with the bidirectional encoder, forward and backward h
    concatenated), not the memory cell c. c is not dropped: the whole tuple (h, c) is the
    decoder's initial state, so c reaches the decoder through its recurrence, but only h is
    concatenated to every input.

    For the comparison, note run.seconds, the parameter count and the greedy and beam WERs
    of both runs; section 5 prints the GRU's: its training time, 156,907 parameters and both
    WERs. At the same num_hiddens the LSTM does four blocks of work to three, so more time
    per update is expected; measure how much. A lower LSTM WER could come from the cell or
    from its extra parameters: to separate them, also train a GRU with as many parameters
    (chapter 04's equal_params_hidden). On 6,178 test words a WER near a half has a sampling
    standard error of about 0.6 points, and seeds move it further: rerun both with a second
    seed before ranking them.
    """),
)

wider_bottleneck = OpenQuestion(
    later.tr("A wider bottleneck"),
    (
        later.tr(
            "Keep the chapter's table (by_length_128 = by_length.copy()), set num_hiddens = 256, "
            "rerun, and compare the tables group by group."
        ),
        later.tr(
            "Compare relative changes, (PER_256 - PER_128) / PER_128 per length group, not points: "
            "long words start higher."
        ),
    ),
    later.tr("""
        before = by_length_128["greedy PER %"]  # the chapter's run, kept before rerunning
        print((by_length["greedy PER %"] - before) / before)  # relative change per group

    Section 7's table is the baseline: the greedy PER rises steeply from 5-letter words to
    words of 12+ letters.
    - 12+ letters fall clearly more, relatively, than 5-7 letters: the state size was a
      bottleneck for long words.
    - All groups fall by about the same fraction: the wider model is better everywhere, more
      capacity rather than a wider bottleneck.
    - Long words do not improve: the limit is elsewhere, e.g. one context for every output
      step, which attention (chapter 08) removes.

    Mind the noise: the groups hold 293 to 1,126 words; the 12+ group's WER alone, 319 words
    with most of them wrong, has a binomial standard error of about 2 points. Doubling
    num_hiddens also quadruples the recurrent weights and changes training in the same 1,500
    updates, so check a difference with a second seed.
    """),
)

length_normalisation = OpenQuestion(
    later.tr("Length normalisation"),
    (
        later.tr(
            "Each token adds a log-probability <= 0 to a hypothesis's score. What does that do to "
            "long hypotheses against short ones?"
        ),
        later.tr(
            "Mean output length: sum(map(len, preds)) / len(preds); compare it with the mean "
            "length of the references."
        ),
    ),
    later.tr("""
        for alpha in (0.0, 0.75):
            preds = predict(model, test_words, letters, phonemes, beam_size=4, alpha=alpha)
            print(alpha, word_error_rate(preds, references), sum(map(len, preds)) / len(preds))
        print(sum(len(r[0]) for r in references) / len(references))  # first reference's length

    Why plain beam search favours short outputs: a score is a sum of log-probabilities, each
    <= 0, so every extra token can only lower it, and a hypothesis that ends early stops
    paying. Dividing by length^alpha offsets this (alpha = 1: the mean per token). Example: 4
    tokens with log P = -1.0 beat 5 tokens with -1.1 at alpha = 0, but lose at alpha = 0.75
    (-1.0 / 4^0.75 ≈ -0.354 < -1.1 / 5^0.75 ≈ -0.329).

    Reading: alpha = 0.75 lengthens the outputs towards the references and lowers the WER:
    the bias was costing words. Lengths and WER barely move: the model's <eos> is confident
    (plausible in G2P, where the spelling says much about the length), little bias to fix. Outputs grow past
    the references and WER rises: alpha over-corrects. The chapter's alpha = 0 beam and its
    greedy decoding are in section 5's printout.
    """),
)

padding_bug = OpenQuestion(
    later.tr("The padding bug"),
    (
        later.tr(
            "d2l.MaskedSoftmaxCELoss()(logits, labels, label_len) gives one number per sequence: "
            "its token losses summed and divided by the padded width."
        ),
        later.tr(
            "Work out the weight of one real phoneme in each loss: 1 / (batch size × padded width) "
            "against 1 / (real phonemes in the batch)."
        ),
    ),
    later.tr("""
        ce = d2l.MaskedSoftmaxCELoss()

        def d2l_loss(model, batch):
            src, src_len, dec_in, labels, label_len = batch
            logits, _ = model(src, dec_in, src_len)
            return ce(logits, labels, label_len).sum() / len(src), len(src)

    Train it and g2p_loss the same way (train_g2p's body with only the loss changed) and
    compare the WER, overall and by length. Why they can differ: a real phoneme weighs
    1 / (B · W) in d2l's loss (W the batch's padded width) and 1 / N in the right one (N the
    batch's real phonemes); the ratio is the batch's fill, N / (B · W). Adam divides by the
    gradient's scale, so a constant factor would hardly matter; what can matter is that
    batches with more padding count less. Measure the fill of each training batch before
    training, label_len.sum() / labels.numel(): batches are grouped by number of letters, so
    the lowest fill, and the words most affected, come where pronunciation lengths vary most
    for a given spelling length. If the WERs differ by less than a second seed moves them, the
    bug is harmless here.
    """),
)

explore = OpenQuestion(
    later.tr("Explore"),
    (
        later.tr(
            "The top panel's first row is greedy decoding's pick at each step, with its "
            "probability: look for the steps where it falls well below 1."
        ),
        later.tr(
            "The beam recovers when its best hypothesis leaves the greedy path at such a step and "
            "ends with a higher probability for the whole pronunciation."
        ),
    ),
    later.tr("""
    Read the steps where greedy's top probability drops (say below 0.5) with a close second:
    there the model hesitates between readings. Check whether they fall where the spelling
    allows several readings (vowel letters, clusters). Then move beam_size from 1 to 4 (or
    draw decoding_figure(model, letters, phonemes, word, beam_size=4)): the beam recovered if
    its best hypothesis leaves the greedy path at such a step and finishes with a higher
    probability for the whole pronunciation.

    A higher probability is not correctness. For blorft there is no reference; for a dictionary
    word, dict(data.train + data.valid + data.test).get(word) gives its pronunciations. For the
    long word, note whether the drops come late: section 7 measured the error per phoneme
    rising with length (its table, highest at 12+ letters), which a fixed-shape state
    predicts.
    Compare with a shorter word that shares its ending (establishment) before blaming the
    length: a hard ending is hard at any length.
    """),
)

open_questions = (lstm, wider_bottleneck, length_normalisation, padding_bug, explore)
