CREATE TABLE partner_keys (
    key_id UUID NOT NULL,
    partner_id UUID,
    prefix VARCHAR(16),
    key_hash VARCHAR(64),
    scopes TEXT[] NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE,
    revoked_at TIMESTAMP WITH TIME ZONE,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_partner_keys PRIMARY KEY (key_id),
    CONSTRAINT uq_partner_keys_prefix UNIQUE (prefix)
)
