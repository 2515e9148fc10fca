"""US breach-notification law: the cited rule pack (``rules``), obligations per jurisdiction (``obligations``),
notice content and substitute notice (``content``), deadline arithmetic (``timing``) and federal business days
(``business_days``). Pure: no I/O beyond reading the bundled JSON, no Prefect, no database.
"""
