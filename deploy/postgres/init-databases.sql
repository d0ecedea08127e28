-- Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d):
-- one database per service. `dayaq migrate` would create them too; this keeps compose explicit.
CREATE DATABASE dayaq_intake;
CREATE DATABASE dayaq_plans;
CREATE DATABASE dayaq_assets;
CREATE DATABASE dayaq_monitoring;
