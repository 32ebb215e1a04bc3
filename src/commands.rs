//! The commands of the command line: each turns parsed arguments into output and an exit code.

use std::io::Write;

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
            eprintln!("migproof: error: {e}");
            EXIT_FAILURE
        }
    }
}

fn run_check(args: &CheckArgs, out: &mut dyn Write) -> Result<u8, Error> {
    let options = pipeline::Options {
        base: args.base.clone(),
        all: args.all,
        config: config::load_for_cli(args.config.as_deref())?,
        format_of: args.format_of.clone(),
        max_file_size: args.max_file_size,
        roundtrip: args.roundtrip.then(|| roundtrip_options(args)),
    };
    let outcome = pipeline::check_with(&args.paths, &options)?;
    if args.verbose {
        for note in &outcome.notes {
            eprintln!("migproof: {note}");
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

/// The round-trip options the command line asks for.
pub fn roundtrip_options(args: &CheckArgs) -> roundtrip::Options {
    roundtrip::Options {
        pg_bin: args.pg_bin.clone(),
        database_url: args.database_url.clone().filter(|u| !u.is_empty()),
        setup: args.setup.clone(),
        statement_timeout: std::time::Duration::from_secs(args.statement_timeout),
        lock_timeout: std::time::Duration::from_secs(args.lock_timeout),
        progress: true,
    }
}
