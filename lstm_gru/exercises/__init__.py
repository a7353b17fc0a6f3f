"""Exercises for every chapter: ``from lstm_gru.exercises import ch02``.

Checkable exercises: ``ch02.lstm_step.check(my_lstm_step)`` runs your answer against the
reference and says what differs; ``.hint()`` gives the next hint, ``.solution()`` prints the
model solution, ``.reference`` is the reference function (or number). Open questions, the
prose exercises of every chapter's Exercises section, are ``OpenQuestion``s listed in order
in the module's ``open_questions`` (e.g. ``ch03.half_open``): ``.hint()``, and
``.solution()`` prints a short model answer.

One module per chapter, ``ch01`` to ``ch08``; the machinery is in ``lstm_gru.exercises.core``.
"""
