"""Four-eyes approval: who approved which drafts (bound to their content hash), and whether sending may start.

``decisions``: record an approval or rejection, and ``require_approved`` before anything is sent.
"""
