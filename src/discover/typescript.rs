//! Reading SQL out of TypeScript migration modules, without a TypeScript parser.
//!
//! A small scanner that knows what is code and what is not in TypeScript (`//` and `/* */`
//! comments, `'…'` and `"…"` strings, `` `…` `` template literals with `${…}`) finds the template
//! literals passed as the first argument of a `.exec(` or `.query(` call (any receiver: `db`,
//! `pg`, `queryRunner`), and the `up`/`down` functions or methods they are in. The SQL's span
//! is the literal's content in the `.ts` file, so findings point into the `.ts` file.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// A template literal passed to `.exec(`/`.query(`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlLiteral {
    /// The literal's content (between the backticks).
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
    /// Template literals at any depth: (content span, interpolated, escaped).
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
                        while i < b.len() && b[i] != q && b[i] != b'\n' {
                            if b[i] == b'\\' {
                                i += 1;
                            }
                            i += 1;
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

/// The template literals passed as the first argument of `.exec(` / `.query(` in `text`.
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
    fn comments_are_blanked_not_strings() {
        let ts = "a /* b */ 'c // d' // e\nf";
        assert_eq!(without_comments(ts), "a         'c // d'     \nf");
    }
}
