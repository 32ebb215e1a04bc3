//! Reading SQL out of TypeScript migration modules, without a TypeScript parser.
//!
//! A small scanner that knows what is code and what is not in TypeScript (`//` and `/* */`
//! comments, `'…'` and `"…"` strings, `` `…` `` template literals with `${…}`) finds the string
//! and template literals passed as the first argument of a `.exec(` or `.query(` call (any
//! receiver: `db`, `pg`, `queryRunner`), and the `up`/`down` functions or methods they are in.
//! The SQL's span is the literal's content in the `.ts` file, so findings point into the `.ts`
//! file; a literal with `\` escapes is read through [`unescaped`], which keeps every offset.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// A string or template literal passed to `.exec(`/`.query(`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlLiteral {
    /// The literal's content (between the backticks or quotes).
    pub span: Range<usize>,
    /// It contains `${…}`: the SQL is only known at run time.
    pub interpolated: bool,
    /// It contains a `\` escape: the text sent differs from the text in the file.
    pub escaped: bool,
}

/// Direction of a migration function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// A copy of `text` with comments blanked (newlines kept), so regexes over it see only code
/// and strings; offsets are unchanged.
pub fn without_comments(text: &str) -> String {
    let mut out = text.as_bytes().to_vec();
    for r in scan(text).comments {
        for b in &mut out[r] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

struct Scanned {
    comments: Vec<Range<usize>>,
    /// String and template literals at any depth (templates: inner ones first).
    templates: Vec<SqlLiteral>,
}

/// What the scanner is inside: code (at the top, or inside a template's `${…}`, with the depth
/// of its own `{` braces), or a template literal.
#[derive(Clone, Copy)]
enum Frame {
    Code {
        depth: usize,
    },
    Template {
        start: usize,
        interpolated: bool,
        escaped: bool,
    },
}

/// Finds comments and template literals in `text` (inner literals before the ones around them).
///
/// Templates nest inside `${…}` of templates to any depth, so the nesting is an explicit stack:
/// a recursive scanner overflowed the thread's stack on `` `${`${`${… `` (found by fuzzing).
fn scan(text: &str) -> Scanned {
    let b = text.as_bytes();
    let mut out = Scanned {
        comments: Vec::new(),
        templates: Vec::new(),
    };
    let mut stack = vec![Frame::Code { depth: 0 }];
    let mut i = 0;
    while let Some(&frame) = stack.last() {
        let top = stack.len() - 1;
        match frame {
            Frame::Code { depth } => {
                if i >= b.len() {
                    stack.pop();
                    continue;
                }
                match b[i] {
                    b'/' if b.get(i + 1) == Some(&b'/') => {
                        let start = i;
                        while i < b.len() && b[i] != b'\n' {
                            i += 1;
                        }
                        out.comments.push(start..i);
                    }
                    b'/' if b.get(i + 1) == Some(&b'*') => {
                        let start = i;
                        i += 2;
                        while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                            i += 1;
                        }
                        i = (i + 2).min(b.len());
                        out.comments.push(start..i);
                    }
                    q @ (b'\'' | b'"') => {
                        i += 1;
                        let start = i;
                        let mut escaped = false;
                        while i < b.len() && b[i] != q && b[i] != b'\n' {
                            if b[i] == b'\\' {
                                escaped = true;
                                i += 1;
                            }
                            i += 1;
                        }
                        // A string ends at its quote; an unterminated one is not a literal.
                        if i < b.len() && b[i] == q {
                            out.templates.push(SqlLiteral {
                                span: start..i,
                                interpolated: false,
                                escaped,
                            });
                        }
                        i += 1;
                    }
                    b'`' => {
                        i += 1;
                        stack.push(Frame::Template {
                            start: i,
                            interpolated: false,
                            escaped: false,
                        });
                    }
                    b'{' => {
                        stack[top] = Frame::Code { depth: depth + 1 };
                        i += 1;
                    }
                    b'}' => {
                        i += 1;
                        // Inside `${…}` the `}` at depth 0 closes it; at the top it is a stray.
                        if top > 0 && depth == 0 {
                            stack.pop();
                        } else {
                            stack[top] = Frame::Code {
                                depth: depth.saturating_sub(1),
                            };
                        }
                    }
                    _ => i += 1,
                }
            }
            Frame::Template {
                start,
                interpolated,
                escaped,
            } => {
                if i < b.len() && b[i] != b'`' {
                    if b[i] == b'\\' {
                        stack[top] = Frame::Template {
                            start,
                            interpolated,
                            escaped: true,
                        };
                        i += 2;
                    } else if b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
                        stack[top] = Frame::Template {
                            start,
                            interpolated: true,
                            escaped,
                        };
                        i += 2;
                        stack.push(Frame::Code { depth: 0 });
                    } else {
                        i += 1;
                    }
                } else {
                    out.templates.push(SqlLiteral {
                        span: start..i.min(b.len()),
                        interpolated,
                        escaped,
                    });
                    i += 1;
                    stack.pop();
                }
            }
        }
    }
    out
}

static CALL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\.\s*(exec|query)\s*(<[^>()]*>)?\s*\(\s*$").unwrap());

/// The string and template literals passed as the first argument of `.exec(` / `.query(` in `text`.
pub fn sql_literals(text: &str) -> Vec<SqlLiteral> {
    let scanned = scan(text);
    let code = without_comments(text);
    scanned
        .templates
        .into_iter()
        .filter(|t| {
            let before = &code[..t.span.start.saturating_sub(1)];
            // Look back at most a few lines for the call.
            let from = before.len().saturating_sub(200);
            let from = (from..=before.len()).find(|&k| before.is_char_boundary(k)).unwrap_or(0);
            CALL.is_match(&before[from..])
        })
        .collect()
}

/// A copy of `text` in which the content of every escaped literal among `literals` is the
/// text it sends: each `\` escape replaced by the character it stands for. Each line of such a
/// literal is padded with spaces at its end to its length in the file, so every line keeps its
/// place and every offset outside the line is kept; on a line with an escape, what follows the
/// escape moves left by the escape's extra bytes (a finding there is on the right line, a few
/// columns early at most). Trailing spaces are whitespace to the grammar, or part of a string.
/// An escaped line break (`\n`) is sent as a line break: here it is a space, which SQL reads
/// alike; a line continuation (`\` at the end of a line) keeps its line break.
pub fn unescaped(text: &str, literals: &[SqlLiteral]) -> String {
    let mut out = text.as_bytes().to_vec();
    for lit in literals.iter().filter(|l| l.escaped) {
        let span = lit.span.start.min(text.len())..lit.span.end.min(text.len());
        let content = &text[span.clone()];
        let mut line_start = 0;
        let mut line = String::new();
        let mut flush = |from: usize, to: usize, line: &mut String| {
            let target = &mut out[span.start + from..span.start + to];
            let n = line.len().min(target.len());
            target[..n].copy_from_slice(&line.as_bytes()[..n]);
            target[n..].fill(b' ');
            line.clear();
        };
        let mut i = 0;
        while i < content.len() {
            let rest = &content[i..];
            let c = rest.chars().next().unwrap_or(' ');
            if c == '\n' {
                flush(line_start, i, &mut line);
                line_start = i + 1;
                i += 1;
                continue;
            }
            if c == '\\' && rest.len() > 1 {
                if rest[1..].starts_with('\n') {
                    i += 1;
                    continue;
                }
                if rest[1..].starts_with("\r\n") {
                    i += 2;
                    continue;
                }
                let (len, replacement) = escape_at(rest);
                line.push_str(&replacement);
                i += len;
                continue;
            }
            line.push(c);
            i += c.len_utf8();
        }
        flush(line_start, content.len(), &mut line);
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The escape at the start of `s` (which starts with `\` and a character): its length in bytes
/// and the text it stands for, never longer than the escape and never a line break.
fn escape_at(s: &str) -> (usize, String) {
    let next = s[1..].chars().next().unwrap_or(' ');
    let hex = |digits: &str| u32::from_str_radix(digits, 16).ok().and_then(char::from_u32);
    let fits = |len: usize, c: Option<char>| match c {
        Some(c) if c.len_utf8() <= len && !c.is_control() => (len, c.to_string()),
        _ => (len, " ".to_string()),
    };
    match next {
        'x' if s.len() >= 4 && s.is_char_boundary(4) => fits(4, hex(&s[2..4])),
        'u' if s[2..].starts_with('{') => match s[3..].find('}') {
            Some(close) => fits(close + 4, hex(&s[3..3 + close])),
            None => (2, "u".to_string()),
        },
        'u' if s.len() >= 6 && s.is_char_boundary(6) => fits(6, hex(&s[2..6])),
        // Line breaks and other control characters: whitespace to the grammar.
        'n' | 'r' | 't' | 'b' | 'f' | 'v' | '0' => (2, " ".to_string()),
        // `\'`, `\"`, `` \` ``, `\\`, `\$` and any other character: the character itself.
        c => (1 + c.len_utf8(), c.to_string()),
    }
}

static FUNCTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?m)(?:\bexport\s+(?:const|let|var)\s+(up|down)\b|\bexport\s+(?:async\s+)?function\s*\*?\s*(up|down)\s*[(<]|^[ \t]*(?:public\s+|protected\s+)?(?:async\s+)?(up|down)\s*\(|^[ \t]*(up|down)\s*:\s*async\b)",
    )
    .unwrap()
});

/// Where the `up` and `down` functions (or methods) start, in order.
pub fn functions(text: &str) -> Vec<(usize, Direction)> {
    let code = without_comments(text);
    FUNCTION
        .captures_iter(&code)
        .map(|c| {
            let name = c.iter().skip(1).flatten().next().map_or("up", |m| m.as_str());
            let at = c.get(0).map_or(0, |m| m.start());
            (at, if name == "up" { Direction::Up } else { Direction::Down })
        })
        .collect()
}

/// The direction each literal belongs to: that of the last `up`/`down` function before it.
pub fn by_direction(text: &str) -> Vec<(Direction, SqlLiteral)> {
    let functions = functions(text);
    sql_literals(text)
        .into_iter()
        .filter_map(|lit| {
            functions
                .iter()
                .rev()
                .find(|(at, _)| *at < lit.span.start)
                .map(|(_, d)| (*d, lit))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exec_literals_by_direction() {
        let ts = "import x from 'y';\n\
            // await db.exec(`DROP TABLE nope`);\n\
            export const up = async (db: PGlite) => {\n  await db.exec(`CREATE TABLE a (id int);`);\n  await pg.query(`SELECT ${x}`);\n};\n\
            export const down = async (db: PGlite) => {\n  await db.exec(\n    `DROP TABLE a;`\n  );\n  log(`not sql`);\n};\n";
        let found = by_direction(ts);
        let texts: Vec<(Direction, &str, bool)> = found
            .iter()
            .map(|(d, l)| (*d, &ts[l.span.clone()], l.interpolated))
            .collect();
        assert_eq!(
            texts,
            [
                (Direction::Up, "CREATE TABLE a (id int);", false),
                (Direction::Up, "SELECT ${x}", true),
                (Direction::Down, "DROP TABLE a;", false),
            ]
        );
    }

    #[test]
    fn typeorm_methods() {
        let ts = "export class AddUsers1700000000000 implements MigrationInterface {\n\
            public async up(queryRunner: QueryRunner): Promise<void> {\n    await queryRunner.query(`CREATE TABLE u (id int)`);\n    await queryRunner.query(`CREATE INDEX i ON u (id)`);\n  }\n\
            public async down(queryRunner: QueryRunner): Promise<void> {\n    await queryRunner.query(`DROP TABLE u`);\n  }\n}\n";
        let dirs: Vec<Direction> = by_direction(ts).into_iter().map(|(d, _)| d).collect();
        assert_eq!(dirs, [Direction::Up, Direction::Up, Direction::Down]);
    }

    #[test]
    fn quoted_strings_are_sql_too() {
        let ts = "public async up(queryRunner: QueryRunner) {\n  await queryRunner.query('CREATE TABLE a (id int)');\n  await queryRunner.query(\"DROP TABLE b\");\n  log('not sql');\n}\n";
        let texts: Vec<&str> = sql_literals(ts).iter().map(|l| &ts[l.span.clone()]).collect();
        assert_eq!(texts, ["CREATE TABLE a (id int)", "DROP TABLE b"]);
    }

    #[test]
    fn escapes_keep_offsets_and_lines() {
        let ts = r#"q.query('UPDATE t SET a = \'it\'\'s\'\nWHERE \x62 = \u0031');"#;
        let lits = sql_literals(ts);
        assert_eq!(lits.len(), 1);
        assert!(lits[0].escaped);
        let out = unescaped(ts, &lits);
        assert_eq!(out.len(), ts.len());
        assert_eq!(
            out[lits[0].span.clone()].trim_end(),
            "UPDATE t SET a = 'it''s' WHERE b = 1"
        );
        assert!(!out.contains('\n'));
    }

    #[test]
    fn comments_are_blanked_not_strings() {
        let ts = "a /* b */ 'c // d' // e\nf";
        assert_eq!(without_comments(ts), "a         'c // d'     \nf");
    }
}
