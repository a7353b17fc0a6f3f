"""G2P on cmudict: train for a wall-clock budget, then score the test split greedy and with beams.

``python -m lstm_gru.bench g2p --seconds 600`` prints one JSON line per decoder ("greedy",
"beam") with the phoneme and word error rates (fractions) on the test words, the number of
training (word, pronunciation) pairs seen, and the sizes. Anchors on cmudict (with stress-free
phonemes, their own splits): Phonetisaurus 33.9% WER; Yao & Zweig 2015 (bidirectional LSTM)
5.45% PER, 23.55% WER.
"""

import argparse

from lstm_gru.bench import add_device_options, device_from, emit, round_sig
from lstm_gru.g2p import evaluate_g2p, load_g2p, train_g2p


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m lstm_gru.bench g2p", description=__doc__)
    parser.add_argument("--seconds", type=float, default=600, help="training time budget")
    add_device_options(parser)
    parser.add_argument("--cell", default="gru", choices=["gru", "lstm"])
    parser.add_argument(
        "--decoder",
        default="context",
        choices=["context", "attention"],
        help="Seq2SeqDecoder (one fixed context) or Seq2SeqAttentionDecoder",
    )
    parser.add_argument("--num-hiddens", type=int, default=256, help="decoder hidden size")
    parser.add_argument("--embed-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--beam-size", type=int, default=4)
    parser.add_argument("--alpha", type=float, default=0.0, help="beam length normalisation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    args = parser.parse_args(argv)
    device = device_from(args)

    data = load_g2p()
    run = train_g2p(
        data,
        seconds=args.seconds,
        device=device,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        progress=args.progress,
        cell=args.cell,
        num_hiddens=args.num_hiddens,
        embed_size=args.embed_size,
        attention=args.decoder == "attention",
    )
    common = {
        "train_seconds": round_sig(run.seconds),
        "words_seen": run.words_seen,
        "words_per_second": round_sig(run.words_seen / run.seconds),
        "epochs": round_sig(run.words_seen / sum(len(p) for _, p in data.train)),
        "final_train_loss": round_sig(run.history.train_loss[-1]),
        "num_parameters": sum(p.numel() for p in run.model.parameters()),
        "train_words": len(data.train),
        "test_words": len(data.test),
        "cmudict_sha256": data.sha256,
        **run.config,
    }
    common["model_decoder"] = args.decoder
    for decoder, beam_size in (("greedy", 1), ("beam", args.beam_size)):
        scores = evaluate_g2p(
            run.model, data.test, data.letters, data.phonemes, beam_size=beam_size, alpha=args.alpha
        )
        emit(
            "g2p",
            device,
            decoder=decoder,
            beam_size=beam_size,
            alpha=args.alpha if beam_size > 1 else None,
            per=round_sig(scores["per"]),
            wer=round_sig(scores["wer"]),
            eval_seconds=round_sig(scores["seconds"]),
            **common,
        )
