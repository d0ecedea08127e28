CREATE TABLE adverse_decisions (
    id UUID NOT NULL,
    application_id UUID NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    note TEXT,
    decided_by TEXT NOT NULL,
    decided_at TIMESTAMP WITH TIME ZONE NOT NULL,
    appeal_until DATE NOT NULL,
    ref_id UUID,
    partner_id UUID,
    reversed_at TIMESTAMP WITH TIME ZONE,
    reversed_by_grievance_id UUID,
    reversal_effect TEXT,
    CONSTRAINT pk_adverse_decisions PRIMARY KEY (id)
);
CREATE INDEX ix_adverse_decisions_application_id ON adverse_decisions (application_id);
CREATE TABLE consent_withdrawals (
    application_id UUID NOT NULL,
    partner_id UUID NOT NULL,
    withdrawn_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_consent_withdrawals PRIMARY KEY (application_id, partner_id)
);
