"""SendGrid's signed Event Webhook: what happened to each e-mail after it was accepted.

``verify`` (signature, freshness and event parsing; pure), ``events`` (applying them to deliveries,
once), ``server`` (the small HTTP endpoint behind ``breach webhook serve``).
"""
