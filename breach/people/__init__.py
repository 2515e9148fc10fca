"""The people a breach affects (the README's people step): read, validated, de-duplicated, stored encrypted.

``rows`` (one person of a people file and its problems), ``importer`` (streaming CSV / JSONL reader),
``store`` (storing them per incident, contacts encrypted), ``rekey`` (re-encrypting them under the newest master key).
"""
