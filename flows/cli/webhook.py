"""CLI commands: webhook (registered by flows.cli.main)."""

from __future__ import annotations

import typer

webhook_app = typer.Typer(help="The SendGrid Event Webhook receiver.", no_args_is_help=True)


@webhook_app.command("serve")
def serve(host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (put a TLS proxy in front)"),
          port: int = typer.Option(8025, "--port", help="TCP port"),
          path: str = typer.Option("/sendgrid/events", "--path", help="URL path SendGrid posts to")) -> None:
    """Receive signed delivery events: delivered / bounced / dropped, with letter fallback."""
    import logging

    from flows.cli.console import console
    from flows.runtime import runtime
    from notices.webhook.server import WebhookReceiver, make_server
    from notices.webhook.verify import WebhookSettings

    settings = WebhookSettings()
    rt = runtime()
    receiver = WebhookReceiver(sessions=rt.sessions, cipher=rt.cipher, key=settings.verification_key(),
                               settings=settings, path=path, batch_size=rt.settings.batch_size)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = make_server(receiver, host=host, port=port)
    console.print(f"listening on http://{host}:{server.server_address[1]}{path} (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `breach` app."""
    app.add_typer(webhook_app, name="webhook")
