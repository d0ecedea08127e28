"""Tables of this domain (see assets/models.py, which lists every domain for Alembic)."""
