"""The SQLAlchemy store: tables, engine set-up and Alembic migrations."""
