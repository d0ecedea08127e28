"""Tables of this domain (see plans/models.py, which lists every domain for Alembic)."""
