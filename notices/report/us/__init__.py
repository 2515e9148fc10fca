"""US regulator, agency and HHS filings: `filings` (the export), `answers` (each form field from the facts), `pdf`."""
