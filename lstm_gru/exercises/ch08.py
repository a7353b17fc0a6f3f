"""Chapter 08 (attention): ``masked_softmax``, ``dot_product_attention`` and
``additive_scores`` check themselves; the open questions of the chapter's Exercises
(``dot_product_instead``, ``what_a_peak_means``, ``scheduled_sampling``,
``attention_over_the_bottleneck``, ``explore``; all in ``open_questions``) have hints and a
model answer."""

import math

import torch

from lstm_gru.exercises.core import Case, CodeExercise, OpenQuestion
from lstm_gru.i18n import later

__all__ = [
    "additive_scores",
    "attention_over_the_bottleneck",
    "dot_product_attention",
    "dot_product_instead",
    "explore",
    "masked_softmax",
    "scheduled_sampling",
    "what_a_peak_means",
]


def masked_softmax_reference(scores, valid_len):
    """Softmax over the last axis of scores (batch_size, num_queries, num_keys), with every
    key at or beyond its row's valid length (valid_len (batch_size,), each >= 1) given weight
    exactly 0. Returns weights of the same shape."""
    keep = torch.arange(scores.shape[-1])[None, None, :] < valid_len[:, None, None]
    return torch.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1)


def _zeroed_after(scores, valid_len):
    keep = torch.arange(scores.shape[-1])[None, None, :] < valid_len[:, None, None]
    return torch.softmax(scores, dim=-1) * keep


def _zero_scores(scores, valid_len):
    keep = torch.arange(scores.shape[-1])[None, None, :] < valid_len[:, None, None]
    return torch.softmax(scores.masked_fill(~keep, 0.0), dim=-1)


def _softmax_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    return [
        Case(
            later.tr("batch 1, one real key of 3"),
            (torch.randn(1, 1, 3, generator=gen), torch.tensor([1])),
        ),
        Case(
            later.tr("batch 2, 2 queries, no padding"),
            (torch.randn(2, 2, 4, generator=gen), torch.tensor([4, 4])),
        ),
        Case(
            later.tr("batch 3 with padding"),
            (3 * torch.randn(3, 2, 5, generator=gen), torch.tensor([2, 5, 3])),
        ),
    ]


masked_softmax = CodeExercise(
    "ch08.masked_softmax",
    masked_softmax_reference,
    _softmax_cases,
    names=(later.tr("the weights"),),
    dims=(later.tr("batch row"), later.tr("query"), later.tr("key")),
    hints=(
        later.tr(
            "A padded key must get weight exactly 0 while the real keys' weights still sum to 1: "
            "should the mask act before the softmax or after it?"
        ),
        later.tr(
            "Build a mask of the real keys by comparing torch.arange(num_keys) with valid_len."
        ),
        later.tr(
            "Set the scores of padded keys to -inf BEFORE the softmax (masked_fill), so the real "
            "keys' weights still sum to 1."
        ),
    ),
    mistakes={
        later.tr(
            "zeroing the padding after the softmax (the real weights then sum to less than 1)"
        ): _zeroed_after,
        later.tr("no mask at all (the padding gets weight too)"): lambda scores, valid_len: (
            torch.softmax(scores, dim=-1)
        ),
        later.tr(
            "setting the padded scores to 0 instead of -inf (a score of 0 still gets weight "
            "exp(0) in the softmax)"
        ): _zero_scores,
    },
)


def dot_product_attention_reference(queries, keys, values):
    """Scaled dot-product attention without a mask: queries (B, Q, d), keys (B, K, d),
    values (B, K, v) -> softmax(queries @ keys^T / sqrt(d)) @ values, (B, Q, v)."""
    d = queries.shape[-1]
    weights = torch.softmax(queries @ keys.transpose(1, 2) / math.sqrt(d), dim=-1)
    return weights @ values


def _attention_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(1)
    return [
        Case(
            later.tr("one query, one key"),
            (
                torch.randn(1, 1, 2, generator=gen),
                torch.randn(1, 1, 2, generator=gen),
                torch.randn(1, 1, 3, generator=gen),
            ),
        ),
        Case(
            later.tr("batch 2, 3 queries, 4 keys, d = 8"),
            (
                torch.randn(2, 3, 8, generator=gen),
                torch.randn(2, 4, 8, generator=gen),
                torch.randn(2, 4, 5, generator=gen),
            ),
        ),
    ]


def _unscaled(q, k, v):
    return torch.softmax(q @ k.transpose(1, 2), dim=-1) @ v


def _by_d(q, k, v):
    return torch.softmax(q @ k.transpose(1, 2) / q.shape[-1], dim=-1) @ v


def _over_queries(q, k, v):
    return torch.softmax(q @ k.transpose(1, 2) / math.sqrt(q.shape[-1]), dim=1) @ v


dot_product_attention = CodeExercise(
    "ch08.dot_product_attention",
    dot_product_attention_reference,
    _attention_cases,
    names=(later.tr("the output"),),
    dims=(later.tr("batch row"), later.tr("query"), later.tr("feature")),
    hints=(
        later.tr(
            "Each query needs one weight per key, the weights summing to 1 over the keys: which "
            "axis does the softmax run over, and why scale the scores by the square root of d?"
        ),
        later.tr("Scores: queries @ keys.transpose(1, 2), (B, Q, K); scale by 1 / sqrt(d)."),
        later.tr("Softmax over the keys (the last axis), then a batched product with the values."),
    ),
    mistakes={
        later.tr("no scaling by sqrt(d)"): _unscaled,
        later.tr("dividing by d instead of sqrt(d)"): _by_d,
        later.tr(
            "the softmax over the queries instead of the keys (each key's weights then sum to 1, "
            "not each query's)"
        ): _over_queries,
    },
)


def additive_scores_reference(queries, keys, W_q, W_k, w_v):
    """Additive attention's scores (before the softmax): queries (B, Q, q), keys (B, K, k),
    W_q (q, h), W_k (k, h), w_v (h,) -> w_v . tanh(query @ W_q + key @ W_k) for every query and
    key, (B, Q, K)."""
    features = torch.tanh((queries @ W_q)[:, :, None, :] + (keys @ W_k)[:, None, :, :])
    return features @ w_v


def _additive_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(2)
    return [
        Case(
            later.tr("batch 2, 3 queries of size 4, 5 keys of size 6"),
            (
                torch.randn(2, 3, 4, generator=gen),
                torch.randn(2, 5, 6, generator=gen),
                torch.randn(4, 8, generator=gen),
                torch.randn(6, 8, generator=gen),
                torch.randn(8, generator=gen),
            ),
        ),
        Case(
            later.tr("one query, one key"),
            (
                torch.randn(1, 1, 2, generator=gen),
                torch.randn(1, 1, 3, generator=gen),
                torch.randn(2, 4, generator=gen),
                torch.randn(3, 4, generator=gen),
                torch.randn(4, generator=gen),
            ),
        ),
    ]


additive_scores = CodeExercise(
    "ch08.additive_scores",
    additive_scores_reference,
    _additive_cases,
    names=(later.tr("the scores"),),
    dims=(later.tr("batch row"), later.tr("query"), later.tr("key")),
    hints=(
        later.tr(
            "Every query must meet every key: what shape must the combined features have before "
            "w_v turns each pair into one score?"
        ),
        later.tr("Project first: queries @ W_q is (B, Q, h), keys @ W_k is (B, K, h)."),
        later.tr(
            "Add them with broadcasting as (B, Q, 1, h) + (B, 1, K, h), take tanh, then @ w_v."
        ),
    ),
    mistakes={
        later.tr("leaving out the tanh"): lambda q, k, W_q, W_k, w_v: (
            ((q @ W_q)[:, :, None, :] + (k @ W_k)[:, None, :, :]) @ w_v
        ),
        later.tr("a sigmoid instead of tanh"): lambda q, k, W_q, W_k, w_v: (
            torch.sigmoid((q @ W_q)[:, :, None, :] + (k @ W_k)[:, None, :, :]) @ w_v
        ),
    },
)

dot_product_instead = OpenQuestion(
    later.tr("Dot product instead"),
    (
        later.tr(
            "Additive attention learns how to compare the decoder's state with each encoder "
            "output. What must hold for a plain dot product to be a good score, and what does it "
            "save at every step?"
        ),
        later.tr(
            "The decoder calls self.attention(query, keys, keys, valid_len, projected_keys) and "
            "first computes self.attention.W_k(keys): give DotProductAttention that call and an "
            "nn.Identity() as W_k."
        ),
    ),
    later.tr("""
        class DotAttention(DotProductAttention):  # the call the decoder makes; no parameters
            def __init__(self):
                super().__init__()
                self.W_k = nn.Identity()  # the decoder's precomputed "projected keys"

            def forward(self, queries, keys, values, valid_len=None, projected_keys=None):
                return super().forward(queries, keys, values, valid_len)

    train_g2p builds its model inside, so train it with lstm_gru.attention.AdditiveAttention
    replaced by lambda *args: DotAttention() (put the class back afterwards), with section 3's
    arguments. The query, the decoder's state, and the keys, the encoder's outputs (64 units
    per direction), both have 128 entries, so no projection is needed. Dot product drops
    32,896 parameters (W_q, W_k: 128 × 128 each; w_v: 128) and the tanh over a (batch,
    letters, 128) tensor at every step, so expect faster updates; compare run.seconds. It
    scores high only where state and output point the same way in the same coordinates,
    which the two RNNs must now learn. Which is more accurate is the measurement: compare
    greedy PER and WER, overall and by length. With one seed, WER differences under about a
    point are noise (6,178 test words with a WER near a half: a binomial standard error of
    about 0.6 points).
    """),
)

what_a_peak_means = OpenQuestion(
    later.tr("What a peak means"),
    (
        later.tr(
            "The encoder is bidirectional. Which letters has its output h_j read, through its "
            "forward half and through its backward half?"
        ),
        later.tr(
            "With a one-directional encoder, h_j has read letters 1 to j only. Where must a "
            "phoneme look when it depends on a later letter?"
        ),
        later.tr(
            "train_g2p(..., attention=True, bidirectional=False) trains the same model with a "
            "one-directional encoder; draw its alignments with section 4's cell."
        ),
    ),
    later.tr("""
    Each encoder output is h_j = [→h_j; ←h_j]: the forward half has read letters 1 to j, the
    backward half letters j to T. So every h_j summarises the whole word, weighted towards
    its neighbourhood, and a peak at letter j says where the decoder found the most useful
    summary, not which letter it reads. In the stored figure the AY of knight peaks on the n:
    ←h_n has read "night", the i and the gh included. Attention weights are not explanations
    (Jain & Wallace 2019). To learn what a step uses, change the input instead: spell a letter
    differently and see which phonemes change, wherever the weights were.

    With a one-directional encoder h_j has read letters 1 to j only. A phoneme that depends on
    later letters can find them only at an h_j at or after them, so predict the peaks to move
    right: the AY of knight to the h of igh or later, the vowel of a magic-e word (bite) to
    its final e. If they do, where a peak sits depends on what the encoder has read at each
    letter, not on the letters alone.
    """),
)

scheduled_sampling = OpenQuestion(
    later.tr("Scheduled sampling"),
    (
        later.tr(
            "In training the decoder always reads the correct previous phoneme. What does it read "
            "when it decodes, and when does it first meet a prefix with a mistake in it?"
        ),
        later.tr(
            "Run the decoder one step at a time from state = model.decoder.init_state("
            "model.encoder(src, src_len), src_len): logits, state = model.decoder(inputs, state) "
            "with inputs (batch_size, 1); the next input is torch.where(coin < p, own, correct)."
        ),
    ),
    later.tr("""
        state = model.decoder.init_state(model.encoder(src, src_len), src_len)
        inputs, steps = dec_in[:, :1], []  # <bos>
        for t in range(dec_in.shape[1]):
            logits, state = model.decoder(inputs, state)  # (batch_size, 1, num_phonemes)
            steps.append(logits)
            if t + 1 < dec_in.shape[1]:
                own = logits.argmax(-1)  # the model's own choice: no gradient through it
                coin = torch.rand(own.shape, device=own.device)
                inputs = torch.where(coin < p, own, dec_in[:, t + 1 : t + 2])
        loss = masked_cross_entropy(torch.cat(steps, dim=1), labels, label_len)

    This is g2p_loss with the decoder run step by step (masked_cross_entropy is in
    lstm_gru.encoder_decoder); let p grow with the update count, as train_g2p's loss_fn
    counts updates for its learning rate. It targets the printout of section 5: at the same
    steps, the model goes wrong more often after its own wrong phoneme than after the
    correct one. Rerun that cell with the new model and its greedy outputs: its two rows
    should come closer. Then compare the free-running PER and the teacher-forced error:
    expect the latter to rise a little, as fewer steps train on correct prefixes, and the
    PER to fall only if what its own mistakes cost outweighs that. Run two seeds of each.
    """),
)

attention_over_the_bottleneck = OpenQuestion(
    later.tr("Attention over the bottleneck"),
    (
        later.tr(
            "Where did attention help most, and what can one look at the letters at the first "
            "step give the later phonemes of a long word?"
        ),
        later.tr(
            "Start from chapter 07's Seq2SeqDecoder, which concatenates one context to every "
            "step's input: at the first step only, use an AdditiveAttention context queried with "
            "the initial state over the encoder's outputs (masked by the valid lengths)."
        ),
    ),
    later.tr("""
    Build it from chapter 07's Seq2SeqDecoder: at the first step, query an AdditiveAttention
    with the initial state over the encoder's outputs at the real letters, and concatenate
    that context with the <bos> embedding; at every later step concatenate the fixed context
    as before. Train it for the same 500 updates and put its PER by length beside section
    3's table.

    Prediction: little of the gain remains. Section 3's table shows where attention helped
    most: on words of 12+ letters it removed far more of the fixed context's errors than on
    5-letter words. The later phonemes of a long word depend on letters far from its start;
    one look at the first step can give the decoder a better start, but everything after it
    must again pass through the state, the bottleneck that attention removes by looking
    again at every step. Expect the first phonemes to improve and the curve by length to
    keep the fixed context's slope. If much of the gain remains, the fixed model's trouble
    was the start of decoding rather than the size of its state.
    """),
)

explore = OpenQuestion(
    later.tr("Explore"),
    (
        later.tr(
            "Which letters of blorpht spell one sound together? And in which English words is a "
            "sound spoken in another order than its letters are written?"
        ),
        later.tr(
            "Section 4 measured how close each phoneme's most-weighted letter stays to the "
            "diagonal, so backward steps are rare: search the test words with section 4's loop "
            "and print those where a peak moves left."
        ),
    ),
    later.tr("""
        for word, output in zip(test_words, greedy["attention"]):
            ids = phonemes[list(output)] + [eos]
            weights = alignment(model, torch.tensor([letters[list(word)]]), ids, bos)
            peaks = weights.argmax(dim=1).tolist()
            if any(b < a for a, b in zip(peaks, peaks[1:])):
                print(word, " ".join(output), peaks)

    For blorpht expect one phoneme per sound: B, L, a vowel for the o, R, F for the digraph
    ph, T. The F can peak on either letter of ph (in the stored figure the two F's of
    photograph peak once on the h, once on the p), and the other letter gets no phoneme of
    its own. Check that the peaks walk left to right; what the model pronounces is its guess
    for a word no dictionary has. A backward step is where the order of the sounds differs
    from the order of the letters: try words ending in a consonant plus -le (table: the AH
    of "le" is spoken before the L but spelled after it) or -re (acre). Section 4's printout
    puts the trained model's peaks within a letter of the diagonal on average, far closer
    than the untrained model's, so backward steps are rare and most words show none.
    """),
)

open_questions = (
    dot_product_instead,
    what_a_peak_means,
    scheduled_sampling,
    attention_over_the_bottleneck,
    explore,
)
