"""The bundled demo: a fictional Danish controller, a breach and 1,000 invented people."""
