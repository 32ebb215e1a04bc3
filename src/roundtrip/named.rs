//! What the round-trip does on a server the user names (`--database-url`): a lock that says
//! the run is alive, the removal of scratch databases whose run is gone, exactly the roles a
//! run created, and errors that give the server's reason without the password.
//!
//! - **Liveness by lock**: each run holds a session-level advisory lock, key
//!   ([`LOCK_CLASS`], run id), on its administrative connection for its whole life, and names
//!   its scratch databases `migproof_<run id>_<n>`. `pg_locks` shows advisory locks of every
//!   database, so a later run (whatever database it connects to) drops exactly the scratch
//!   databases whose lock nobody holds: their run was killed (SIGKILL, a lost machine).
//! - **Roles**: the scratch session takes `txid_current()` before and after each script; the
//!   roles this run created are the new roles whose `pg_authid.xmin` lies inside one of those
//!   windows, found from the catalog (dynamic SQL included), never from names in the files.
//!   They are recorded in the scratch database's comment as they appear, so a run that was
//!   killed has its roles dropped by the next one.
//! - **One run at a time per server**: runs creating the same role would fail each other
//!   (a false MC301); a second run waits for the first (a second advisory lock), and says so.

use std::collections::BTreeMap;

use postgres::{Client, Config};

/// The first key of migproof's advisory locks (`'mgpf'`).
pub const LOCK_CLASS: i32 = 0x6d67_7066;
/// The second key of the lock that lets one run at a time work on a server.
pub const SERIAL_KEY: i32 = 0;

/// The server's reason for a failure, without the client library's "db error" wrapper:
/// `FATAL 28P01: password authentication failed for user "app"`, or the I/O error.
pub fn reason(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
        if let Some(d) = db.detail() {
            s.push_str(&format!(" ({d})"));
        }
        if let Some(h) = db.hint() {
            s.push_str(&format!("; hint: {h}"));
        }
        return s;
    }
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        let text = inner.to_string();
        if !s.contains(&text) {
            s.push_str(&format!(": {text}"));
        }
        source = inner.source();
    }
    s
}

/// Removes from `message` everything that could be the password of `url`: the parsed
/// password, and, for a URL whose password holds an unencoded `@` (which parsers split at the
/// wrong `@`), everything between `://` and the last `@` before the host.
pub fn scrub(message: &str, url: &str) -> String {
    let mut out = message.to_string();
    if let Ok(c) = url.parse::<Config>()
        && let Some(pw) = c.get_password()
    {
        let pw = String::from_utf8_lossy(pw);
        if !pw.is_empty() {
            out = out.replace(pw.as_ref(), "***");
        }
    }
    if let Some(rest) = url.split_once("://").map(|(_, r)| r) {
        let authority = rest.split(['/', '?']).next().unwrap_or(rest);
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if let Some((_, pw)) = userinfo.split_once(':') {
                for part in std::iter::once(pw).chain(pw.split('@')) {
                    if part.len() >= 2 {
                        out = out.replace(part, "***");
                    }
                }
            }
            // A parser that split at an earlier `@` takes the rest of the password for the
            // host: never show it.
            for piece in userinfo.split('@').skip(1) {
                if piece.len() >= 2 {
                    out = out.replace(piece, "***");
                }
            }
        }
    }
    out
}

/// The name of this run's scratch database number `n`.
pub fn scratch_name(run: u32, n: u32) -> String {
    format!("migproof_{run:08x}_{n}")
}

/// The run id in a scratch database name, if it is one of this scheme.
pub fn run_of(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("migproof_")?;
    let (run, n) = rest.split_once('_')?;
    if run.len() != 8 || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    u32::from_str_radix(run, 16).ok()
}

/// The advisory lock's second key for a run id (`int4`).
pub fn run_key(run: u32) -> i32 {
    run as i32
}

/// Takes this run's liveness lock on `admin`'s session. `false` if the id is taken (draw again).
pub fn hold_run_lock(admin: &mut Client, run: u32) -> Result<bool, postgres::Error> {
    Ok(admin
        .query_one("SELECT pg_try_advisory_lock($1, $2)", &[&LOCK_CLASS, &run_key(run)])?
        .get(0))
}

/// Waits for other runs on this server (a second advisory lock), telling the user once.
pub fn wait_turn(admin: &mut Client, description: &str) -> Result<(), postgres::Error> {
    let free: bool = admin
        .query_one("SELECT pg_try_advisory_lock($1, $2)", &[&LOCK_CLASS, &SERIAL_KEY])?
        .get(0);
    if !free {
        eprintln!("migproof: another migproof round-trip is running on {description}; waiting for it to finish");
        admin.execute("SELECT pg_advisory_lock($1, $2)", &[&LOCK_CLASS, &SERIAL_KEY])?;
    }
    Ok(())
}

/// A scratch database left by a run that is gone, and the roles it recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub database: String,
    pub roles: Vec<String>,
}

/// The scratch databases whose run holds no lock any more, with the roles each recorded.
pub fn stale_scratch(admin: &mut Client) -> Result<Vec<Stale>, postgres::Error> {
    let live: Vec<i64> = admin
        .query(
            "SELECT objid::text::bigint FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::int::oid \
             AND objsubid = 2 AND granted",
            &[&LOCK_CLASS],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let rows = admin.query(
        "SELECT d.datname::text, coalesce(shobj_description(d.oid, 'pg_database'), '') \
         FROM pg_database d WHERE d.datname LIKE 'migproof\\_%' ORDER BY 1",
        &[],
    )?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let name: String = r.get(0);
            let run = run_of(&name)?;
            if live.contains(&i64::from(run)) {
                return None;
            }
            let comment: String = r.get(1);
            Some(Stale {
                database: name,
                roles: recorded_roles(&comment),
            })
        })
        .collect())
}

/// The comment migproof puts on a scratch database: the roles its run created.
pub fn roles_comment(roles: &[String]) -> String {
    format!(
        "migproof scratch database; roles created: {}",
        serde_json::to_string(roles).unwrap_or_default()
    )
}

fn recorded_roles(comment: &str) -> Vec<String> {
    comment
        .strip_prefix("migproof scratch database; roles created: ")
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default()
}

/// Roles by name with their `pg_authid` row's creating transaction (`xmin`, 32 bits).
pub fn roles(admin: &mut Client) -> Result<BTreeMap<String, u32>, postgres::Error> {
    Ok(admin
        .query("SELECT rolname::text, xmin::text::bigint FROM pg_authid", &[])?
        .iter()
        .map(|r| (r.get(0), r.get::<_, i64>(1) as u32))
        .collect())
}

/// Whether 32-bit transaction id `xmin` lies in the 64-bit window `lo..=hi` (modulo 2^32).
pub fn in_window(xmin: u32, (lo, hi): (i64, i64)) -> bool {
    let span = (hi - lo).max(0) as u64;
    let offset = xmin.wrapping_sub(lo as u32) as u64;
    offset <= span
}

/// The current transaction id of a session (a new one, assigned now).
pub fn txid(client: &mut Client) -> Result<i64, postgres::Error> {
    Ok(client.query_one("SELECT txid_current()", &[])?.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_names_carry_the_run() {
        assert_eq!(run_of(&scratch_name(0xdeadbeef, 3)), Some(0xdeadbeef));
        assert_eq!(run_of("migproof_0123456789abcdef"), None);
        assert_eq!(run_of("migproof_zzzzzzzz_1"), None);
    }

    #[test]
    fn windows_wrap_around() {
        assert!(in_window(10, (5, 20)));
        assert!(!in_window(21, (5, 20)));
        assert!(in_window(3, ((1 << 32) - 5, (1 << 32) + 5)));
    }

    #[test]
    fn roles_survive_the_comment() {
        let roles = vec!["a b".to_string(), "\"x\"".to_string()];
        assert_eq!(recorded_roles(&roles_comment(&roles)), roles);
        assert!(recorded_roles("something else").is_empty());
    }

    #[test]
    fn a_password_with_an_at_sign_is_scrubbed() {
        let url = "postgres://app:p@ss@db.example:5432/app";
        let msg = "cannot connect to app@ss@db.example:5432/app: invalid port";
        let out = scrub(msg, url);
        assert!(!out.contains("ss@db"), "{out}");
        assert!(!out.contains("p@ss"), "{out}");
    }
}
