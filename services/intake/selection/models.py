"""Tables of this domain (see intake/models.py, which lists every domain for Alembic)."""
