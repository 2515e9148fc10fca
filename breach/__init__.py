"""breach-notify domain: facts, assessment, clocks, people, storage. No Prefect here."""

__version__ = "0.1.0"
