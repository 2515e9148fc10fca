"""Breach-notification law outside the EEA, one folder per legal system (``us/``: US state and federal law)."""
