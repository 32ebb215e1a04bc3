//! Statements on an admin connection, used by the server, the target and the cleanup alike
//! (kept apart so that `server` and `cleanup` do not depend on each other).

use postgres::{Client, Config};

/// `DROP DATABASE … WITH (FORCE)` (PostgreSQL 13+), else terminate its sessions and drop.
pub fn drop_database(client: &mut Client, name: &str) -> Result<(), postgres::Error> {
    let ident = quote_ident(name);
    let version: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])?
        .get(0);
    if version >= 130000 {
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {ident} WITH (FORCE)"))
    } else {
        client.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&name],
        )?;
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {ident}"))
    }
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A server's address without secrets, for messages: `user@host:port/db`.
pub fn describe(config: &Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(h) => h.clone(),
            postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_string());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{host}:{port}/{}",
        config.get_user().unwrap_or("?"),
        config.get_dbname().unwrap_or("")
    )
}
