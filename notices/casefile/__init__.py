"""The case file: one incident as Markdown for the people deciding on it (shown as a Prefect artifact by flows)."""
