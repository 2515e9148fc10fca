"""US state and federal breach-notification duties as clocks: `duties` (which, when due), `done` (what stops them)."""
