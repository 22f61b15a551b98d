-- The DuckLake catalog beside Temporal's databases in the stack's PostgreSQL: its own role and
-- database (the lake-setup one-shot runs this on every `docker compose up`, so it is idempotent).
-- psql variables: lake_user, lake_password, lake_database. format() quotes the identifiers (%I)
-- and the password (%L); \gexec runs the statement each SELECT builds.
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'lake_user', :'lake_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'lake_user') \gexec
-- The compose file's password wins over an older one.
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'lake_user', :'lake_password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'lake_database', :'lake_user')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'lake_database') \gexec
