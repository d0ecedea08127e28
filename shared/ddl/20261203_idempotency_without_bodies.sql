DELETE FROM idempotency_keys;
ALTER TABLE idempotency_keys DROP COLUMN body;
ALTER TABLE idempotency_keys DROP COLUMN headers;
ALTER TABLE idempotency_keys ADD COLUMN resource TEXT;
CREATE INDEX ix_idempotency_keys_created_at ON idempotency_keys (created_at);
