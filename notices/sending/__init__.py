"""Sending exactly once (the README's send step): the outbox of deliveries and the batches that carry them.

``outbox`` (one delivery per person, draft and channel, written before anything is sent), ``batches``
(send one batch by e-mail or as letters and record each outcome), ``claims`` (who holds a batch and
whether that holder still lives), ``evidence`` (what SendGrid told about a request: stored webhook
events, the Activity API's shared budget), ``reconcile`` (a request whose answer was lost: taken,
not taken, or uncertain), ``uncertain`` (the operator's decisions), ``fallback`` (a bounced e-mail
becomes a letter).
"""
