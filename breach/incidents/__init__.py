"""Incidents (the README's open and assess steps): opened from facts, facts and assessments kept as versions, and where an incident may go next.

``service`` (open, get, new facts, new assessment, status), ``transitions`` (the one table of allowed moves).
"""
