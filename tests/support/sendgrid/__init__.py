"""The local SendGrid stand-in: mail send, limits, the Email Activity API and the signed Event Webhook."""
