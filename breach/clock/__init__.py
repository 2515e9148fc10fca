"""The clocks of an incident (the README's clock step): one deadline per obligation, its reminders, and the filing that stops it.

``regimes`` (which reports are owed to whom and by when, from ``breach/data/regimes.json``),
``deadlines`` (the stored deadline rows and their reminders), ``filing`` (a notification filed with its
receipt stops its clock). Time arithmetic itself is ``breach.instants``.
"""
