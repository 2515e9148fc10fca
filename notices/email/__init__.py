"""The e-mail channel: a batch of personal notices in, one SendGrid request (or .eml files) out.

``message`` (the model and the request body; the other modules import it, never the reverse),
``errors`` (failures and retry timing), ``sendgrid`` (the provider call), ``activity`` (what the Email
Activity API's answers mean for a lost request), ``eml_folder`` (.eml files in a
folder when no key is set), ``senders`` (``build_sender`` picks one of the two).
"""
