"""breach-notify content and channels: templates, e-mail, letters, reports. No Prefect here."""
