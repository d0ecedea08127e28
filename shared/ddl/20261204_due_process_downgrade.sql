DROP TABLE consent_withdrawals;
DROP TABLE adverse_decisions;
