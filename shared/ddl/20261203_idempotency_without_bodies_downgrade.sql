DELETE FROM idempotency_keys;
DROP INDEX ix_idempotency_keys_created_at;
ALTER TABLE idempotency_keys DROP COLUMN resource;
ALTER TABLE idempotency_keys ADD COLUMN body JSONB;
ALTER TABLE idempotency_keys ADD COLUMN headers JSONB DEFAULT '{}'::jsonb NOT NULL;
