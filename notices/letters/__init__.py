"""The letter channel: print-ready A4 letters as PDF batches with a manifest for a print-and-post service (``pdf``)."""
