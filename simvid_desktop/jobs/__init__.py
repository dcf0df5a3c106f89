"""The render queue: jobs, their SQLite store, and the backends that run them. No Qt here."""
