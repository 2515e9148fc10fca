"""Prefect orchestration for breach-notify: which step runs after which. No business rules here."""
