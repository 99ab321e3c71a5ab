-- BEGIN GUARD (service_runtime.security.audit.guard_audit_log runs from here)
DO $guard$
DECLARE
    service_role text := current_setting('audit_guard.service_role');
    owner_role text := current_setting('audit_guard.owner_role');
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = owner_role) THEN
        EXECUTE format('CREATE ROLE %I NOLOGIN', owner_role);
    END IF;
    IF pg_has_role(service_role, owner_role, 'MEMBER') THEN
        EXECUTE format('REVOKE %I FROM %I', owner_role, service_role);
    END IF;
    CREATE SCHEMA IF NOT EXISTS audit;
    -- A log an earlier release made in public.
    IF to_regclass('public.audit_log') IS NOT NULL AND to_regclass('audit.audit_log') IS NULL THEN
        ALTER TABLE public.audit_log SET SCHEMA audit;
        DROP FUNCTION IF EXISTS public.audit_log_refuse_change() CASCADE;
    END IF;
    CREATE TABLE IF NOT EXISTS audit.audit_log (
        id bigint PRIMARY KEY,
        occurred_at timestamptz NOT NULL,
        service text NOT NULL,
        subject text NOT NULL,
        role text NOT NULL,
        agency text,
        lawyer_id text,
        resource text NOT NULL,
        action text NOT NULL,
        case_id uuid,
        record_id text,
        fields jsonb NOT NULL,
        outcome text NOT NULL,
        prev_hash varchar(64) NOT NULL,
        hash varchar(64) NOT NULL UNIQUE
    );
    CREATE INDEX IF NOT EXISTS ix_audit_audit_log_case_id ON audit.audit_log (case_id);
    CREATE OR REPLACE FUNCTION audit.audit_log_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $fn$;
    DROP TRIGGER IF EXISTS audit_log_append_only ON audit.audit_log;
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit.audit_log
        FOR EACH ROW EXECUTE FUNCTION audit.audit_log_refuse_change();
    ALTER TABLE audit.audit_log ENABLE ALWAYS TRIGGER audit_log_append_only;
    DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit.audit_log;
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit.audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit.audit_log_refuse_change();
    ALTER TABLE audit.audit_log ENABLE ALWAYS TRIGGER audit_log_no_truncate;

    EXECUTE format('ALTER SCHEMA audit OWNER TO %I', owner_role);
    EXECUTE format('ALTER TABLE audit.audit_log OWNER TO %I', owner_role);
    EXECUTE format('ALTER FUNCTION audit.audit_log_refuse_change() OWNER TO %I', owner_role);
    EXECUTE format('REVOKE ALL ON SCHEMA audit FROM PUBLIC, %I', service_role);
    EXECUTE format('GRANT USAGE ON SCHEMA audit TO %I', service_role);
    EXECUTE format('REVOKE ALL ON audit.audit_log FROM PUBLIC, %I', service_role);
    EXECUTE format('GRANT SELECT, INSERT ON audit.audit_log TO %I', service_role);
END
$guard$;
