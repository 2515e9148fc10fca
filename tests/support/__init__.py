"""Test support: a local SendGrid-compatible server for tests and benchmarks."""

from .sendgrid.server import Refusal, SendGridTestServer, default_schema_path

__all__ = ["Refusal", "SendGridTestServer", "default_schema_path"]
