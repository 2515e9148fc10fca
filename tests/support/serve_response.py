"""Serve the breach-response deployment from this checkout, as a worker of prefect.yaml's pool would run it.

Used by the live UI and REST API tests (tests/flows/test_ui_approval.py, tests/flows/test_rest_api.py): the
process polls the Prefect server named by PREFECT_API_URL and runs each flow run in a subprocess with this
environment (BREACH_DB_URL, BREACH_DATA_DIR, BREACH_MASTER_KEY, BREACH_MANAGERS).
"""

from __future__ import annotations

from flows.breach_response import breach_response

if __name__ == "__main__":
    breach_response.serve(name="breach-response", print_starting_message=False)
