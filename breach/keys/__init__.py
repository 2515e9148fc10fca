"""Key material for contact details at rest: ``cipher`` (AES-256-GCM per value, HMAC blind indexes) and
``master`` (master keys: generating, loading from the environment or a key file, retiring old ones).

Re-encrypting the stored people under a new key is ``breach.people.rekey``.
"""
