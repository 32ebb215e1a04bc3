//! The commands of the command line: each turns parsed arguments into output and an exit code.

use std::io::Write;
use std::path::PathBuf;

use crate::checks;
use crate::cli::{CheckArgs, Cli, Command};
use crate::config;
use crate::error::Error;
use crate::outcome::{EXIT_FAILURE, EXIT_OK};
use crate::pipeline;
use crate::report;
use crate::roundtrip;
use crate::scaffold;

/// Runs a parsed command line, writing to stdout/stderr; returns the exit code.
pub fn run(cli: Cli) -> u8 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = match cli.command {
        Command::Check(args) => run_check(&args, &mut out),
        Command::Rules => report::rules::list(&mut out).map(|_| EXIT_OK).map_err(Error::from),
        Command::Rule { code } => match checks::find_rule(&code) {
            Some(rule) => writeln!(out, "{} {}\n\n{}", rule.code, rule.name, rule.documentation())
                .map(|_| EXIT_OK)
                .map_err(Error::from),
            None => Err(Error::UnknownRule(code)),
        },
        Command::New { name, dir, config } => config::load_for_cli(config.as_deref())
            .and_then(|c| scaffold::new(&name, dir.as_deref(), c.as_ref(), &mut out))
            .map(|()| EXIT_OK),
        Command::Renumber {
            base,
            dir,
            write,
            config,
        } => config::load_for_cli(config.as_deref())
            .and_then(|c| scaffold::renumber(&base, dir.as_deref(), write, c.as_ref(), &mut out))
            .map(|()| EXIT_OK),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("migproof: error: {}", crate::report::escape::text(&e.to_string()));
            EXIT_FAILURE
        }
    }
}

fn run_check(args: &CheckArgs, out: &mut dyn Write) -> Result<u8, Error> {
    let config = config::load_for_cli(args.config.as_deref())?;
    let roundtrip = match args.roundtrip {
        true => Some(roundtrip_options(args, config.as_ref())?),
        false => None,
    };
    let options = pipeline::Options {
        base: args.base.clone(),
        all: args.all,
        config,
        format_of: args.format_of.clone(),
        max_file_size: args.max_file_size,
        roundtrip,
    };
    let outcome = pipeline::check_with(&args.paths, &options)?;
    if args.verbose {
        for note in &outcome.notes {
            eprintln!("migproof: {}", crate::report::escape::text(note));
        }
    }
    let style = report::Style {
        output: args.format,
        base: args.base.is_some(),
        deny_warnings: args.deny_warnings,
        github_actions: std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
    };
    out.write_all(report::render(&outcome, &style).as_bytes())?;
    Ok(outcome.exit_code(args.deny_warnings))
}

/// The round-trip options the command line asks for, then the `[roundtrip]` table of the
/// configuration file, then the defaults.
pub fn roundtrip_options(args: &CheckArgs, config: Option<&config::Config>) -> Result<roundtrip::Options, Error> {
    let table = config.map(|c| &c.roundtrip);
    let relative = |p: &PathBuf| match config {
        Some(c) if p.is_relative() => c.root.join(p),
        _ => p.clone(),
    };
    let database_url = match args.database_url.clone().filter(|u| !u.is_empty()) {
        Some(url) => Some(url),
        None => match table.and_then(|t| t.database_url_env.as_ref()) {
            Some(var) => match std::env::var(var) {
                Ok(url) if !url.is_empty() => Some(url),
                _ => {
                    return Err(Error::Roundtrip(format!(
                        "`[roundtrip] database-url-env = \"{var}\"` in `{}`, but {var} is not set: set it, or remove \
                         the key to round-trip on a throwaway server",
                        config.map_or(String::new(), |c| c.file.display().to_string())
                    )));
                }
            },
            None => None,
        },
    };
    let defaults = roundtrip::Options::default();
    Ok(roundtrip::Options {
        pg_bin: args
            .pg_bin
            .clone()
            .or_else(|| table.and_then(|t| t.bin_dir.as_ref()).map(relative)),
        database_url,
        setup: args
            .setup
            .clone()
            .or_else(|| table.and_then(|t| t.setup.as_ref()).map(relative)),
        statement_timeout: args
            .statement_timeout
            .or(table.and_then(|t| t.timeout_secs))
            .map_or(defaults.statement_timeout, std::time::Duration::from_secs),
        lock_timeout: args
            .lock_timeout
            .or(table.and_then(|t| t.lock_timeout_secs))
            .map_or(defaults.lock_timeout, std::time::Duration::from_secs),
        max_cluster_size: table
            .and_then(|t| t.max_cluster_mb)
            .map_or(defaults.max_cluster_size, |mb| mb << 20),
        progress: true,
    })
}
