"""FIN key rotation: `python -m intake.applicants.rotate` re-encrypts, under the current key, every
FIN (applicants.fin_ciphertext) and every stored import file (import_files.content) that an older
key sealed, in batches, while the services keep serving.

How to rotate: give every intake instance the new key as INTAKE_FIN_ENCRYPTION_KEY with a new
INTAKE_FIN_ENCRYPTION_KEY_ID, and the old one in INTAKE_FIN_ENCRYPTION_OLD_KEYS
(`{"<old id>": "<old key>"}`), so that all write under the new key and read under both; then run
this command with the same settings. It reports what it changed and what is left under other
keys (0 unless an instance still writes with an old key); once that is 0, the old key can be
taken out of the keyring.

Each batch is one short transaction; a row is rewritten only if its ciphertext is still the one
read (compare and set), and only fin_ciphertext changes, so concurrent requests lose nothing and
read the FIN under either key throughout. Ciphertexts written before key ids existed are
re-encrypted too.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA, UUID
from sqlalchemy.ext.asyncio import AsyncEngine

from intake.applicants.models import Applicant
from intake.applicants.pii import UNVERSIONED_FIN_ASSOCIATED_DATA, FinProtector, Keyring
from intake.imports.models import ImportFile
from intake.imports.service import FileCipher
from intake.settings import IntakeSettings
from shared.db import create_engine

DEFAULT_BATCH_SIZE = 1000


@dataclass
class Rotation:
    key_id: str
    fins: int = 0  # applicants whose FIN was re-encrypted
    files: int = 0  # import files re-encrypted
    fins_left: int = 0  # applicants still under another key at the end
    files_left: int = 0

    def lines(self) -> list[str]:
        return [
            f"re-encrypted under key {self.key_id}: {self.fins} FINs, {self.files} import files",
            f"left under other keys: {self.fins_left} FINs, {self.files_left} import files",
        ]


async def _rotate_column(
    engine: AsyncEngine,
    keyring: Keyring,
    table: sa.Table,
    columns: tuple[str, str],
    unversioned_associated: Callable[[uuid.UUID], bytes],
    batch_size: int,
) -> tuple[int, int]:
    """(rows re-encrypted, rows left under other keys) of one column of `table`, walked in the
    order of its id; `columns` are (id, ciphertext).

    Every row is looked at, and kept only if it opens under the current key: a header alone
    could, by chance, start a ciphertext of the first format."""
    id_column, data_column = table.c[columns[0]], table.c[columns[1]]
    changed = 0
    after: uuid.UUID | None = None
    while True:
        # An erased person's FIN is gone (NULL): nothing to re-encrypt.
        query = (
            sa.select(id_column, data_column)
            .where(data_column.is_not(None))
            .order_by(id_column)
            .limit(batch_size)
        )
        if after is not None:
            query = query.where(id_column > after)
        async with engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        if not rows:
            break
        after = rows[-1][0]
        stale = [(id_, sealed) for id_, sealed in rows if not keyring.is_current(sealed, id_.bytes)]
        if not stale:
            continue
        fresh = [
            keyring.seal(
                keyring.open(sealed, id_.bytes, unversioned_associated=unversioned_associated(id_)),
                id_.bytes,
            )
            for id_, sealed in stale
        ]
        given = (
            sa.func.unnest(
                sa.cast(sa.bindparam("ids", [id_ for id_, _ in stale]), ARRAY(UUID(as_uuid=True))),
                sa.cast(sa.bindparam("old", [sealed for _, sealed in stale]), ARRAY(BYTEA)),
                sa.cast(sa.bindparam("new", fresh), ARRAY(BYTEA)),
            )
            .table_valued("id", "old", "new")
            .render_derived()
        )
        # Compare and set: a row changed since it was read is left to the count below.
        async with engine.begin() as connection:
            result = await connection.execute(
                sa.update(table)
                .where(id_column == given.c.id, data_column == given.c.old)
                .values({data_column.name: given.c.new})
            )
        changed += result.rowcount
    # Rows written meanwhile by an instance that still encrypts with an older key.
    header = sa.literal(keyring.current_header, BYTEA)
    other_key = sa.func.substring(data_column, 1, len(keyring.current_header)) != header
    async with engine.connect() as connection:
        left = await connection.scalar(
            sa.select(sa.func.count()).select_from(table).where(other_key)
        )
    return changed, left or 0


async def rotate(
    engine: AsyncEngine, settings: IntakeSettings, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> Rotation:
    rotation = Rotation(key_id=settings.fin_encryption_key_id)
    rotation.fins, rotation.fins_left = await _rotate_column(
        engine,
        FinProtector(settings).keyring,
        Applicant.metadata.tables[Applicant.__tablename__],
        ("id", "fin_ciphertext"),
        lambda _: UNVERSIONED_FIN_ASSOCIATED_DATA,
        batch_size,
    )
    rotation.files, rotation.files_left = await _rotate_column(
        engine,
        FileCipher(settings).keyring,
        ImportFile.metadata.tables[ImportFile.__tablename__],
        ("import_id", "content"),
        lambda import_id: import_id.bytes,
        batch_size,
    )
    return rotation


async def run(settings: IntakeSettings, batch_size: int) -> Rotation:
    engine = create_engine(settings.database_url)
    try:
        return await rotate(engine, settings, batch_size=batch_size)
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m intake.applicants.rotate",
        description="Re-encrypt the FINs and import files under the current FIN encryption key. "
        "Uses INTAKE_DATABASE_URL and the INTAKE_FIN_ENCRYPTION_* settings.",
    )
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="rows per transaction"
    )
    args = parser.parse_args(argv)
    rotation = asyncio.run(run(IntakeSettings(), args.batch_size))
    print("\n".join(rotation.lines()))
    return 1 if rotation.fins_left or rotation.files_left else 0


if __name__ == "__main__":
    sys.exit(main())
