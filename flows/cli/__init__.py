"""The ``breach`` command line: one module per command group, all registered on the Typer app in ``main``.

``main`` (assess, open, status, approve, send, export, filed, demo, audit, setup), ``deadlines``,
``discover``, ``keys``, ``register``, ``webhook``; ``status`` and ``words`` (the ``breach status`` screen
in en/da/nb), ``console`` (Rich output, ids and counts only), ``demo`` (the bundled example end to end).
"""
