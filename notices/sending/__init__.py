"""Sending exactly once (the README's send step): the outbox of deliveries and the batches that carry them.

``outbox`` (one delivery per person, draft and channel, written before anything is sent), ``batches``
(send one batch by e-mail or as letters and record each outcome), ``claims`` (who holds a batch and
whether that holder still lives), ``fallback`` (a bounced e-mail becomes a letter).
"""
