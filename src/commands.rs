//! The commands of the command line: each turns parsed arguments into output and an exit code.

use std::io::Write;
use std::path::PathBuf;

use crate::checks;
use crate::cli::{CacheAction, CheckArgs, Cli, Command};
use crate::config;
use crate::discover::display_of;
use crate::error::Error;
use crate::finding::{Finding, Severity};
use crate::funnel;
use crate::model;
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
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "migproof", &mut out);
            out.flush().map(|_| EXIT_OK).map_err(Error::from)
        }
        Command::Cache { action } => run_cache(&action, &mut out),
        Command::Man => clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
            .render(&mut out)
            .and_then(|_| out.flush())
            .map(|_| EXIT_OK)
            .map_err(Error::from),
    };
    match result {
        Ok(code) => code,
        // The reader went away (`migproof check | head`): nothing more to say, and not a failure.
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("migproof: error: {}", crate::report::escape::text(&e.to_string()));
            EXIT_FAILURE
        }
    }
}

/// The check options the command line asks for (resolved once: rules, configuration, stdin).
pub fn check_options(args: &CheckArgs) -> Result<pipeline::Options, Error> {
    let stdin = match (args.paths.iter().any(|p| p.as_os_str() == "-"), &args.stdin_filename) {
        (false, None) => None,
        (false, Some(_)) => return Err(Error::Usage("--stdin-filename needs `-` among the paths".into())),
        (true, None) => {
            return Err(Error::Usage(
                "`-` reads a migration from standard input and needs --stdin-filename PATH (the file it stands for)"
                    .into(),
            ));
        }
        (true, Some(name)) => Some((name.clone(), read_stdin(args.max_file_size)?)),
    };
    let config = config::load_for_cli(args.config.as_deref())?;
    let roundtrip = match args.roundtrip {
        true => Some(roundtrip_options(args, config.as_ref())?),
        false => None,
    };
    Ok(pipeline::Options {
        base: args.base.clone(),
        all: args.all,
        config,
        format_of: args.format_of.clone(),
        max_file_size: args.max_file_size,
        roundtrip,
        rules: funnel::RuleSelection {
            select: (!args.select.is_empty())
                .then(|| pipeline::rule_codes(&args.select))
                .transpose()?,
            ignore: pipeline::rule_codes(&args.ignore)?,
        },
        stdin,
    })
}

/// Standard input, up to the file size limit.
fn read_stdin(max: Option<u64>) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let limit = max.unwrap_or(model::DEFAULT_MAX_FILE_SIZE);
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Usage(format!("cannot read standard input: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(Error::Usage(format!(
            "standard input is larger than {limit} bytes (--max-file-size)"
        )));
    }
    Ok(bytes)
}

/// The paths to check (`-` stands for the --stdin-filename) and what they name: files (whose
/// findings alone are shown) and directories.
fn paths_and_given(args: &CheckArgs) -> (Vec<PathBuf>, pipeline::Given) {
    let mut paths = Vec::new();
    let mut given = pipeline::Given::default();
    for p in &args.paths {
        let p = match (p.as_os_str() == "-", &args.stdin_filename) {
            (true, Some(name)) => name.clone(),
            _ => p.clone(),
        };
        let is_file = args.stdin_filename.as_ref() == Some(&p) || p.is_file();
        if is_file {
            given.files.push(display_of(&p));
        } else {
            given.dirs.push(display_of(&p));
        }
        paths.push(p);
    }
    (paths, given)
}

fn run_check(args: &CheckArgs, out: &mut dyn Write) -> Result<u8, Error> {
    let options = check_options(args)?;
    let (paths, given) = paths_and_given(args);
    if args.verbose {
        match &options.config {
            Some(c) => eprintln!("migproof: configuration: {}", c.file.display()),
            None => eprintln!("migproof: configuration: none (no migproof.toml here or above)"),
        }
    }
    let mut outcome = pipeline::check_with(&paths, &options)?;
    if !args.all {
        let given = given.with_migrations(&outcome.sets);
        outcome.hidden = pipeline::involving(&mut outcome.findings, &given);
    }
    if args.verbose {
        for note in &outcome.notes {
            eprintln!("migproof: {}", crate::report::escape::text(note));
        }
        for server in outcome.roundtrip.iter().flat_map(|r| &r.servers) {
            eprintln!(
                "migproof: round-trip server: PostgreSQL {}{}",
                server.version,
                server.bin_dir.as_ref().map_or_else(
                    || format!(" ({})", crate::report::escape::text(&server.description)),
                    |dir| format!(" from `{}`", crate::report::escape::text(dir))
                )
            );
        }
    }
    let style = report::Style {
        output: args.format,
        base: args.base.is_some(),
        deny_warnings: args.deny_warnings,
        github_actions: std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
        color: args.color.unwrap_or_default(),
    };
    out.write_all(report::render(&outcome, &style).as_bytes())?;
    if !outcome.hidden.is_empty() {
        let line = not_shown_line(&outcome.hidden);
        // The machine formats keep stdout to their own syntax.
        if matches!(args.format, None | Some(crate::cli::OutputFormat::Human)) {
            writeln!(out, "{line}")?;
        } else {
            eprintln!("migproof: {line}");
        }
    }
    out.flush()?;
    let code = outcome.exit_code(args.deny_warnings);
    // The process ends here: freeing every statement and finding one by one would only delay
    // the exit (the system reclaims the memory at once).
    std::mem::forget(outcome);
    Ok(code)
}

/// The one line that counts the findings not shown (they do not involve the given files).
fn not_shown_line(hidden: &[Finding]) -> String {
    let counts: Vec<String> = [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Note, "note"),
    ]
    .iter()
    .map(|(severity, word)| (hidden.iter().filter(|f| f.severity == *severity).count(), word))
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| format!("{n} {word}{}", if n == 1 { "" } else { "s" }))
    .collect();
    format!(
        "Not shown: {} in files not given, elsewhere in these directories (pre-existing; --all shows them)",
        counts.join(", ")
    )
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
    let mut pg_versions = if !args.pg_version.is_empty() {
        args.pg_version.clone()
    } else if database_url.is_none() {
        // One key says which PostgreSQL the migrations run on: the lock rules follow it, and so
        // does the throwaway server (a server the user names is what it is).
        config.map(|c| c.pg_versions.clone()).unwrap_or_default()
    } else {
        Vec::new()
    };
    pg_versions.sort_unstable();
    pg_versions.dedup();
    if database_url.is_some() && !pg_versions.is_empty() {
        return Err(Error::Usage(
            "--pg-version chooses the throwaway server among those installed; with --database-url the server is the \
             one you name"
                .into(),
        ));
    }
    let defaults = roundtrip::Options::default();
    Ok(roundtrip::Options {
        pg_builds: args
            .pg_builds
            .clone()
            .or_else(|| table.and_then(|t| t.builds_dir.as_ref()).map(relative))
            .into_iter()
            .collect(),
        pg_versions,
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
        cache: (!args.no_cache).then(|| args.cache_size.unwrap_or(roundtrip::cache::DEFAULT_CAP)),
        measure: !args.no_measure,
    })
}

/// `migproof cache show|clear`: the schema cache's entries (see [`roundtrip::cache`]).
fn run_cache(action: &CacheAction, out: &mut impl Write) -> Result<u8, Error> {
    let cache = roundtrip::cache::Cache::open(roundtrip::cache::DEFAULT_CAP).map_err(Error::Roundtrip)?;
    match action {
        CacheAction::Show => {
            let entries = cache.list();
            writeln!(out, "schema cache `{}`", cache.dir.display())?;
            if entries.is_empty() {
                writeln!(out, "no entries")?;
            }
            let total: u64 = entries.iter().map(|m| m.size).sum();
            for m in &entries {
                writeln!(
                    out,
                    "{}  {:>7.1} MiB  last used {}  {}: {} migrations up to {} ({}, PostgreSQL {})",
                    m.key,
                    m.size as f64 / 1048576.0,
                    roundtrip::cache::utc(m.last_used),
                    report::escape::line(&m.set),
                    m.steps,
                    report::escape::line(&m.last_version),
                    m.kind.as_str(),
                    m.server
                )?;
            }
            if !entries.is_empty() {
                writeln!(
                    out,
                    "{} {}, {:.1} MiB",
                    entries.len(),
                    if entries.len() == 1 { "entry" } else { "entries" },
                    total as f64 / 1048576.0
                )?;
            }
        }
        CacheAction::Clear => {
            let n = cache.clear();
            writeln!(
                out,
                "removed {n} {} from `{}`",
                if n == 1 { "entry" } else { "entries" },
                cache.dir.display()
            )?;
        }
    }
    Ok(EXIT_OK)
}
