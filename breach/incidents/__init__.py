"""Incidents (the README's open and assess steps): opened from facts, facts and assessments kept as versions.

``service`` (open, get, new facts, new assessment, status), ``transitions`` (where an incident may go
next: the one table of allowed moves).
"""
