"""Storage: SQLAlchemy 2.0 tables, sessions and migrations. Repository functions never commit."""
