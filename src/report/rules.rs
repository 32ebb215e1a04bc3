//! `migproof rules`: one line per rule, from the registry.

use std::io::Write;

use crate::checks::REGISTRY;

pub fn list(out: &mut dyn Write) -> std::io::Result<()> {
    for entry in REGISTRY {
        let r = entry.rule;
        writeln!(
            out,
            "{}  {:<20} {:<8} {}",
            r.code,
            r.name,
            r.severity.as_str(),
            r.summary()
        )?;
    }
    Ok(())
}
