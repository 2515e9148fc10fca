"""Notices under US state and federal breach law: letter groups, the en-US notice params and contact inserts."""
