"""The Art. 33(5) breach register: every breach, notified or not, with its reasoning.

``entries`` (the register's columns and the CSV / JSON it is written as), ``export`` (read from the
database and written, hashes remembered), ``stats`` (counts, time to filing, a chart).
"""
