//! Writes a synthetic golang-migrate directory of N realistic migration pairs:
//! `cargo run --release --example gen_synthetic -- DIR N`. Used by `bench/compare.sh`.

use std::fmt::Write as _;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: gen_synthetic DIR N"));
    let n: usize = args
        .next()
        .and_then(|n| n.parse().ok())
        .expect("usage: gen_synthetic DIR N");
    std::fs::create_dir_all(&dir).expect("create DIR");
    let width = n.to_string().len().max(6);
    for i in 1..=n {
        let (up, down) = migration(i);
        let name = format!("{i:0width$}_{}", title(i));
        std::fs::write(dir.join(format!("{name}.up.sql")), up).expect("write up");
        std::fs::write(dir.join(format!("{name}.down.sql")), down).expect("write down");
    }
}

fn title(i: usize) -> String {
    match i % 4 {
        0 => format!("create_table_t{i}"),
        1 => format!("add_columns_to_t{}", i - 1),
        2 => format!("index_t{}", i - 2),
        _ => format!("audit_trigger_t{}", i - 3),
    }
}

/// Four kinds of migration in turn: a table, new columns, indexes, a PL/pgSQL trigger.
fn migration(i: usize) -> (String, String) {
    let mut up = String::new();
    let down = match i % 4 {
        0 => {
            let _ = write!(
                up,
                "-- Table t{i}: entities of kind {i}.\nCREATE TABLE t{i} (\n    id          BIGSERIAL PRIMARY KEY,\n    tenant_id   UUID NOT NULL,\n    name        TEXT NOT NULL CHECK (length(name) > 0),\n    status      TEXT NOT NULL DEFAULT 'active',\n    payload     JSONB NOT NULL DEFAULT '{{}}'::jsonb,\n    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),\n    updated_at  TIMESTAMPTZ,\n    CONSTRAINT t{i}_tenant_name_key UNIQUE (tenant_id, name)\n);\n\nCOMMENT ON TABLE t{i} IS 'synthetic table {i}';\n"
            );
            format!("DROP TABLE IF EXISTS t{i};\n")
        }
        1 => {
            let t = i - 1;
            let _ = write!(
                up,
                "ALTER TABLE t{t}\n    ADD COLUMN IF NOT EXISTS owner_id BIGINT,\n    ADD COLUMN IF NOT EXISTS archived BOOLEAN NOT NULL DEFAULT false;\n\nUPDATE t{t} SET archived = true WHERE status = 'deleted';\n"
            );
            format!("ALTER TABLE t{t}\n    DROP COLUMN IF EXISTS archived,\n    DROP COLUMN IF EXISTS owner_id;\n")
        }
        2 => {
            let t = i - 2;
            let _ = write!(
                up,
                "CREATE INDEX IF NOT EXISTS t{t}_tenant_created_idx ON t{t} (tenant_id, created_at DESC);\nCREATE INDEX IF NOT EXISTS t{t}_active_idx ON t{t} (name) WHERE NOT archived;\n"
            );
            format!("DROP INDEX IF EXISTS t{t}_active_idx;\nDROP INDEX IF EXISTS t{t}_tenant_created_idx;\n")
        }
        _ => {
            let t = i - 3;
            let _ = write!(
                up,
                "CREATE OR REPLACE FUNCTION t{t}_touch() RETURNS trigger\nLANGUAGE plpgsql AS $$\nBEGIN\n    NEW.updated_at := now();\n    RETURN NEW;\nEND;\n$$;\n\nCREATE TRIGGER t{t}_touch BEFORE UPDATE ON t{t}\n    FOR EACH ROW EXECUTE FUNCTION t{t}_touch();\n"
            );
            format!("DROP TRIGGER IF EXISTS t{t}_touch ON t{t};\nDROP FUNCTION IF EXISTS t{t}_touch();\n")
        }
    };
    (up, down)
}
