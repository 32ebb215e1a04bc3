//! Measures the two PostgreSQL grammars on the same files: squawk-syntax (a hand-written
//! parser) and libpg_query (PostgreSQL's own, through `migproof::sql::pg`).
//!
//! Usage: `parser_compare @LIST` (one `.sql` path a line) or `parser_compare FILE...`.
//! Prints every statement on which the two disagree (file:line, both verdicts, the statement),
//! then the totals and the time each parser takes for all files, whole files, on one core.

use std::time::Instant;

use migproof::sql::{lexer, pg};

fn main() {
    let mut files: Vec<String> = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.strip_prefix('@') {
            Some(list) => files.extend(
                std::fs::read_to_string(list)
                    .expect("list file")
                    .lines()
                    .map(String::from),
            ),
            None => files.push(arg),
        }
    }
    let texts: Vec<(String, String)> = files
        .iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(f).ok()?;
            let scan = lexer::scan(&text, 0..text.len());
            Some((f.clone(), lexer::mask(&text, 0..text.len(), &scan.meta_commands)))
        })
        .collect();

    // Statement by statement: the lexer's spans, each parsed alone by both.
    let (mut statements, mut only_squawk, mut only_pg) = (0usize, 0usize, 0usize);
    for (file, text) in &texts {
        for span in lexer::scan(text, 0..text.len()).statements {
            statements += 1;
            let stmt = &text[span.clone()];
            let squawk = squawk_syntax::SourceFile::parse(stmt).errors();
            let pg = pg::parse(stmt);
            if squawk.is_empty() == pg.is_ok() {
                continue;
            }
            let line = text[..span.start].matches('\n').count() + 1;
            let verdict = match (&pg, squawk.first()) {
                (Err(e), _) => {
                    only_pg += 1;
                    format!("squawk accepts; PostgreSQL: {}", e.message)
                }
                (Ok(()), Some(e)) => {
                    only_squawk += 1;
                    format!("PostgreSQL accepts; squawk: {}", e.message())
                }
                _ => unreachable!(),
            };
            let shown: String = stmt.split_whitespace().collect::<Vec<_>>().join(" ");
            let shown: String = shown.chars().take(160).collect();
            println!("{file}:{line}: {verdict}\n    {shown}");
        }
    }

    // Whole files, one core, each parser alone.
    let t = Instant::now();
    let squawk_files = texts
        .iter()
        .filter(|(_, t)| !squawk_syntax::SourceFile::parse(t).errors().is_empty())
        .count();
    let squawk_time = t.elapsed();
    let t = Instant::now();
    let pg_files = texts.iter().filter(|(_, t)| pg::parse(t).is_err()).count();
    let pg_time = t.elapsed();
    println!(
        "{} files, {statements} statements; disagreements: {} (squawk alone rejects {only_squawk}, PostgreSQL alone rejects {only_pg})",
        texts.len(),
        only_squawk + only_pg
    );
    println!(
        "squawk-syntax: {squawk_files} files rejected, {:.1} ms (one core)",
        squawk_time.as_secs_f64() * 1e3
    );
    println!(
        "libpg_query:   {pg_files} files rejected, {:.1} ms (one core)",
        pg_time.as_secs_f64() * 1e3
    );
}
