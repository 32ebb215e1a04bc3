//! What each statement does to tables, for the lock-safety rules ([`crate::checks::locks`]).
//!
//! Read from squawk-syntax's tree (the same parse as the syntax verdict, see
//! [`super::analyze`]): statement and action kinds are tree nodes; details (a type's name, a
//! default's function) are read from the tokens of the node that holds them. Only what the
//! rules need is kept; everything else is [`Kind::Other`]. Names are lowercased unless quoted,
//! and the schema is dropped (`public.t` is `t`).

use std::borrow::Cow;
use std::ops::Range;

use squawk_syntax::{SyntaxKind as K, SyntaxNode};

/// One top-level statement, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt {
    /// Byte range in the file.
    pub span: Range<usize>,
    pub kind: Kind,
}

impl Stmt {
    /// Moves every span of the statement `by` bytes later.
    fn shift(&mut self, by: usize) {
        let move_span = |r: &mut Range<usize>| *r = r.start + by..r.end + by;
        let move_constraint = |c: &mut Constraint| move_span(&mut c.span);
        let move_column = |c: &mut Column| {
            move_span(&mut c.span);
            c.constraints.iter_mut().for_each(move_constraint);
        };
        move_span(&mut self.span);
        match &mut self.kind {
            Kind::CreateTable(t) => {
                t.columns.iter_mut().for_each(move_column);
                t.constraints.iter_mut().for_each(move_constraint);
            }
            Kind::AlterTable { actions, .. } => {
                for a in actions {
                    move_span(&mut a.span);
                    match &mut a.kind {
                        ActionKind::AddColumn(c) => move_column(c),
                        ActionKind::AddConstraint(c) => move_constraint(c),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// A statement no lock rule looks at.
    pub fn other(span: Range<usize>) -> Stmt {
        Stmt {
            span,
            kind: Kind::Other,
        }
    }
}

/// What a statement is, as far as locks are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Begin,
    Commit,
    Rollback,
    /// `SET [LOCAL] name = value`; `value` lowercased without quotes.
    Set {
        name: String,
        local: bool,
        value: String,
    },
    CreateTable(CreateTable),
    CreateIndex {
        name: String,
        table: String,
        concurrently: bool,
        if_not_exists: bool,
        only: bool,
    },
    DropIndex {
        concurrently: bool,
        indexes: Vec<String>,
    },
    Reindex {
        concurrently: bool,
        what: String,
    },
    AlterTable {
        table: String,
        actions: Vec<Action>,
    },
    DropTable {
        tables: Vec<String>,
    },
    Vacuum {
        full: bool,
        tables: Vec<String>,
    },
    Cluster {
        table: Option<String>,
    },
    /// `UPDATE` or `DELETE` of a table.
    Backfill {
        table: String,
        verb: &'static str,
    },
    CreateDomain {
        name: String,
        check: bool,
    },
    /// A trigger, policy, `LOCK`, `TRUNCATE`, `REFRESH MATERIALIZED VIEW`: a lock stronger than
    /// SHARE UPDATE EXCLUSIVE on `table`.
    StrongLock {
        table: String,
        what: &'static str,
    },
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateTable {
    pub table: String,
    pub partition_of: Option<String>,
    pub partition_key: Vec<String>,
    pub columns: Vec<Column>,
    pub constraints: Vec<Constraint>,
}

/// A column definition (in `CREATE TABLE` or `ADD COLUMN`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Column {
    pub name: String,
    /// Normalised type ([`normalise_type`]); empty when absent.
    pub ty: String,
    pub not_null: bool,
    pub default: Option<Default>,
    pub generated_stored: bool,
    /// `GENERATED … AS IDENTITY`, `serial`, `bigserial`, `smallserial`.
    pub identity: bool,
    /// Inline constraints that are not NOT NULL / DEFAULT / GENERATED.
    pub constraints: Vec<Constraint>,
    /// Span of the column definition.
    pub span: Range<usize>,
}

/// A column default, judged by its volatility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Default {
    /// Constants and functions known to be immutable or stable (`now()`): no rewrite since PG11.
    NonVolatile,
    /// Calls a function known to be volatile (`random()`, `gen_random_uuid()`).
    Volatile(String),
    /// Calls a function whose volatility is unknown here (user-defined functions are VOLATILE
    /// unless declared otherwise).
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub name: Option<String>,
    pub kind: ConstraintKind,
    pub not_valid: bool,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConstraintKind {
    /// `CHECK (…)`; `not_null` are the columns it proves `IS NOT NULL` (top-level `AND` terms).
    Check {
        not_null: Vec<String>,
    },
    ForeignKey {
        references: String,
    },
    Unique {
        primary: bool,
        using_index: bool,
    },
    Exclude,
    /// PG18 `ADD CONSTRAINT c NOT NULL col [NOT VALID]`.
    NotNull {
        column: String,
    },
}

/// One action of `ALTER TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub kind: ActionKind,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    AddColumn(Column),
    DropColumn {
        column: String,
    },
    RenameColumn {
        column: String,
    },
    RenameTo {
        to: String,
    },
    SetType {
        column: String,
        ty: String,
        using: bool,
    },
    SetNotNull {
        column: String,
    },
    SetExpression {
        column: String,
    },
    AddConstraint(Constraint),
    ValidateConstraint {
        name: String,
    },
    DropConstraint {
        name: String,
    },
    AttachPartition {
        partition: String,
    },
    DetachPartition {
        concurrently: bool,
    },
    /// `SET LOGGED`, `SET UNLOGGED`: the table is rewritten.
    Rewrite {
        what: &'static str,
    },
    /// Takes at most SHARE UPDATE EXCLUSIVE (`SET STATISTICS`, `SET (fillfactor…)`, …).
    Weak,
    /// Anything else: ACCESS EXCLUSIVE, brief.
    Other,
}

/// Classifies each top-level statement of a parsed script. `offset` is added to every span:
/// where the parsed text starts in the file.
pub fn classify(root: &SyntaxNode, offset: usize) -> Vec<Stmt> {
    let mut stmts: Vec<Stmt> = root.children().filter_map(|n| statement(&n)).collect();
    if offset > 0 {
        stmts.iter_mut().for_each(|s| s.shift(offset));
    }
    stmts
}

/// Whether a statement (its text, from its first token) can be anything but [`Kind::Other`]:
/// decided from its leading keywords, so the statements no lock rule looks at (`INSERT`,
/// `CREATE FUNCTION`, `COMMENT`, `GRANT`, `DO`, …: most of a real migration's bytes) are never
/// given to the tree parser. Errs on the side of parsing: a statement whose start it cannot read
/// is parsed. Keep in step with [`statement`].
pub fn may_matter(stmt: &str) -> bool {
    let mut words = Tokens::new(stmt).take(6);
    let Some(first) = words.next() else { return true };
    let Token::Word(first) = first else {
        // A quoted word, a dot or a bracket: not a keyword the lexer can read; parse it.
        return true;
    };
    let is = |w: &str| first.eq_ignore_ascii_case(w);
    if [
        "begin", "start", "commit", "end", "rollback", "abort", "set", "reindex", "vacuum", "cluster",
    ]
    .iter()
    .chain(&["update", "delete", "with", "truncate", "lock"])
    .any(|k| is(k))
    {
        return true;
    }
    if is("alter") || is("drop") {
        return words.next().is_none_or(|w| w.is("table") || w.is("index"));
    }
    if is("create") {
        let modifier = [
            "or",
            "replace",
            "global",
            "local",
            "temp",
            "temporary",
            "unlogged",
            "unique",
            "constraint",
        ];
        let what = words.find(|w| !modifier.iter().any(|m| w.is(m)));
        return what.is_none_or(|w| {
            ["table", "index", "domain", "trigger", "policy"]
                .iter()
                .any(|k| w.is(k))
        });
    }
    // A word the lexer reads as an identifier but no keyword (`_x`, `x1`): parse it.
    !first.bytes().all(|b| b.is_ascii_alphabetic())
}

/// What a statement whose rules need only names is, read from its words without a parse:
/// `UPDATE`, `DELETE` (also after a `WITH` list), `DROP TABLE`, `DROP INDEX`, `CREATE POLICY`,
/// `CREATE TRIGGER` — in a real migration set often half the bytes the tree parser would
/// otherwise read. `None` when the statement is anything else or holds what this reader does
/// not follow (a `$`, a backslash, an unexpected word): it is then parsed. A test holds it to
/// the tree's reading of every such statement of the corpus.
pub fn shallow(stmt: &str) -> Option<Kind> {
    if stmt.contains(['$', '\\']) {
        return None;
    }
    let mut t = Tokens::new(stmt).peekable();
    let first = t.next()?;
    if first.is("update") || first.is("delete") || first.is("with") {
        return shallow_dml(first, t);
    }
    if first.is("drop") {
        let what = t.next().filter(|w| w.is("table") || w.is("index"))?;
        let concurrently = what.is("index") && t.next_if(|w| w.is("concurrently")).is_some();
        if t.next_if(|w| w.is("if")).is_some() && !t.next()?.is("exists") {
            return None;
        }
        let mut names = Vec::new();
        loop {
            names.push(qualified_name(&mut t)?);
            match t.next() {
                Some(Token::Other(b',')) => continue,
                Some(w) if w.is("cascade") || w.is("restrict") => break,
                Some(Token::Other(b';')) | None => break,
                Some(_) => return None,
            }
        }
        if t.any(|w| w != Token::Other(b';')) {
            return None;
        }
        return Some(if what.is("table") {
            Kind::DropTable { tables: names }
        } else {
            Kind::DropIndex {
                concurrently,
                indexes: names,
            }
        });
    }
    if first.is("create") {
        let what = t.next()?;
        if !(what.is("policy") || what.is("trigger")) {
            return None;
        }
        let _name = t.next().filter(|n| matches!(n, Token::Word(_) | Token::Quoted(_)))?;
        // A trigger's events come before `ON` (which no column can be named unquoted).
        let on = t.position(|w| w.is("on") || matches!(w, Token::Other(b'(' | b')')))?;
        if what.is("policy") && on != 0 {
            return None;
        }
        let table = qualified_name(&mut t)?;
        let what = if what.is("policy") {
            "CREATE POLICY"
        } else {
            "CREATE TRIGGER"
        };
        return t.peek().is_some().then_some(Kind::StrongLock { table, what });
    }
    None
}

/// `UPDATE [ONLY] t`, `DELETE FROM [ONLY] t`, or either after `WITH name AS (…), …`; any
/// other statement after a `WITH` list is no backfill.
fn shallow_dml<'a>(first: Token<'a>, mut t: std::iter::Peekable<Tokens<'a>>) -> Option<Kind> {
    let mut verb = first;
    if first.is("with") {
        t.next_if(|w| w.is("recursive"));
        loop {
            t.next().filter(|n| matches!(n, Token::Word(_) | Token::Quoted(_)))?;
            if t.peek() == Some(&Token::Other(b'(')) {
                skip_group(&mut t)?;
            }
            if !t.next()?.is("as") {
                return None;
            }
            t.next_if(|w| w.is("not"));
            t.next_if(|w| w.is("materialized"));
            if t.peek() != Some(&Token::Other(b'(')) {
                return None;
            }
            skip_group(&mut t)?;
            if t.next_if(|w| *w == Token::Other(b',')).is_none() {
                break;
            }
        }
        verb = t.next()?;
        if ["select", "insert", "merge", "values", "table"]
            .iter()
            .any(|k| verb.is(k))
        {
            return Some(Kind::Other);
        }
    }
    let verb = if verb.is("update") {
        "UPDATE"
    } else if verb.is("delete") && t.next()?.is("from") {
        "DELETE"
    } else {
        return None;
    };
    if t.peek().is_some_and(|w| w.is("only")) {
        return None;
    }
    let table = qualified_name(&mut t)?;
    if t.peek() == Some(&Token::Other(b'*')) {
        return None;
    }
    Some(Kind::Backfill { table, verb })
}

/// A possibly qualified name; its last part, as the tree would hold it.
fn qualified_name<'a>(t: &mut std::iter::Peekable<Tokens<'a>>) -> Option<String> {
    let mut last = t.next().filter(|n| matches!(n, Token::Word(_) | Token::Quoted(_)))?;
    while t.next_if(|w| *w == Token::Dot).is_some() {
        last = t.next().filter(|n| matches!(n, Token::Word(_) | Token::Quoted(_)))?;
    }
    last.name().map(Cow::into_owned)
}

/// Skips a bracketed group, from its `(` to the matching `)`.
fn skip_group<'a>(t: &mut std::iter::Peekable<Tokens<'a>>) -> Option<()> {
    let mut depth = 0usize;
    for w in t.by_ref() {
        match w {
            Token::Other(b'(') => depth += 1,
            Token::Other(b')') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(());
                }
            }
            _ => {}
        }
    }
    None
}

/// The table a plain `CREATE TABLE` makes, read from its first words without a parse: the
/// name as [`Kind::CreateTable`] would hold it. `None` for anything else, and for statements
/// whose details a rule reads on their own (`PARTITION OF` / `PARTITION BY`): those are parsed.
pub fn created_table(stmt: &str) -> Option<String> {
    let mut words = Tokens::new(stmt).take(12).peekable();
    if !words.next()?.is("create") {
        return None;
    }
    while words
        .next_if(|t| {
            ["global", "local", "temp", "temporary", "unlogged"]
                .iter()
                .any(|k| t.is(k))
        })
        .is_some()
    {}
    if !words.next()?.is("table") {
        return None;
    }
    let mut rest = words.collect::<Vec<_>>().into_iter().peekable();
    let mut lookahead = rest.clone();
    if lookahead.next().is_some_and(|t| t.is("if"))
        && lookahead.next().is_some_and(|t| t.is("not"))
        && lookahead.next().is_some_and(|t| t.is("exists"))
    {
        rest = lookahead;
    }
    // A qualified name: name (. name)*, then anything but a dot.
    let mut name = None;
    let mut expect_name = true;
    for t in rest {
        match (t, expect_name) {
            (Token::Word(_) | Token::Quoted(_), true) => {
                name = Some(t);
                expect_name = false;
            }
            (Token::Dot, false) => expect_name = true,
            (_, false) => break,
            _ => return None,
        }
    }
    let mentions_partition = stmt.as_bytes().windows(9).any(|w| w.eq_ignore_ascii_case(b"partition"));
    if expect_name || mentions_partition {
        return None;
    }
    name.and_then(Token::name).map(Cow::into_owned)
}

/// Whether a statement starts `ALTER TABLE`.
pub fn is_alter_table(stmt: &str) -> bool {
    let mut words = Tokens::new(stmt);
    words.next().is_some_and(|t| t.is("alter")) && words.next().is_some_and(|t| t.is("table"))
}

/// The names a statement mentions (unquoted ones lowercased, quoted ones as written), a
/// superset of the tables it can touch. Borrowed from the text where it already reads so.
pub fn mentioned_names(stmt: &str) -> impl Iterator<Item = Cow<'_, str>> {
    Tokens::new(stmt).filter_map(Token::name)
}

/// A token of a statement's text, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    /// An unquoted identifier or keyword, as written.
    Word(&'a str),
    /// A quoted identifier, between its quotes and still escaped (`""`); empty if unterminated.
    Quoted(&'a str),
    Dot,
    /// Anything else: punctuation as its byte, `'` for a string literal, `0` for a number.
    Other(u8),
}

impl<'a> Token<'a> {
    /// Whether this is the unquoted keyword `k` (lowercase), in any case.
    fn is(&self, k: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(k))
    }

    /// The name a word or quoted identifier stands for: unquoted ones lowercased, quoted ones
    /// unescaped.
    fn name(self) -> Option<Cow<'a, str>> {
        match self {
            Token::Word(w) if w.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) => {
                Some(Cow::Owned(w.to_lowercase()))
            }
            Token::Quoted(q) if q.contains("\"\"") => Some(Cow::Owned(q.replace("\"\"", "\""))),
            Token::Word(w) | Token::Quoted(w) => Some(Cow::Borrowed(w)),
            Token::Dot | Token::Other(_) => None,
        }
    }
}

/// The tokens of a text, skipping whitespace and comments; allocates nothing.
#[derive(Clone)]
struct Tokens<'a> {
    text: &'a str,
    i: usize,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Tokens<'a> {
        Tokens { text, i: 0 }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let bytes = self.text.as_bytes();
        let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
        let mut i = self.i;
        let token = loop {
            match *bytes.get(i)? {
                b if b.is_ascii_whitespace() => i += 1,
                b'-' if bytes.get(i + 1) == Some(&b'-') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => i = super::lexer::block_comment_end(bytes, i),
                b'"' => {
                    let start = i + 1;
                    i += 1;
                    let mut word = "";
                    loop {
                        match bytes.get(i) {
                            None => break,
                            Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                            Some(b'"') => {
                                word = &self.text[start..i];
                                i += 1;
                                break;
                            }
                            Some(_) => i += 1,
                        }
                    }
                    break Token::Quoted(word);
                }
                b'\'' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                    break Token::Other(b'\'');
                }
                b'.' => {
                    i += 1;
                    break Token::Dot;
                }
                b if ident(b) => {
                    let start = i;
                    while i < bytes.len() && ident(bytes[i]) {
                        i += 1;
                    }
                    // `start` and `i` are on char boundaries: non-ASCII bytes are consumed whole.
                    break Token::Word(&self.text[start..i]);
                }
                b => {
                    i += 1;
                    break Token::Other(b);
                }
            }
        };
        self.i = i;
        Some(token)
    }
}

fn span(n: &SyntaxNode) -> Range<usize> {
    let r = n.text_range();
    usize::from(r.start())..usize::from(r.end())
}

fn child(n: &SyntaxNode, kind: K) -> Option<SyntaxNode> {
    n.children().find(|c| c.kind() == kind)
}

fn has_token(n: &SyntaxNode, kind: K) -> bool {
    n.children_with_tokens().any(|c| c.kind() == kind)
}

/// The words of a node: tokens without trivia, lowercased unless quoted, quotes removed.
fn words(n: &SyntaxNode) -> Vec<String> {
    n.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
        .map(|t| ident_text(t.text()))
        .collect()
}

fn ident_text(text: &str) -> String {
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        inner.replace("\"\"", "\"")
    } else {
        text.to_lowercase()
    }
}

/// The last name in a node (a path's last segment): `public.t` → `t`.
fn last_name(n: &SyntaxNode) -> String {
    n.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia() && t.kind() != K::DOT)
        .last()
        .map(|t| ident_text(t.text()))
        .unwrap_or_default()
}

fn name_of(n: &SyntaxNode, kinds: &[K]) -> String {
    n.descendants()
        .find(|c| kinds.contains(&c.kind()))
        .map(|c| last_name(&c))
        .unwrap_or_default()
}

fn statement(n: &SyntaxNode) -> Option<Stmt> {
    let kind = match n.kind() {
        K::BEGIN => Kind::Begin,
        K::COMMIT_TRANSACTION => Kind::Commit,
        K::ROLLBACK_TRANSACTION => Kind::Rollback,
        K::SET => set(n)?,
        K::CREATE_TABLE => Kind::CreateTable(create_table(n)),
        K::CREATE_INDEX => {
            let relation = child(n, K::TABLE_RELATION_NAME);
            Kind::CreateIndex {
                name: child(n, K::INDEX).map(|c| last_name(&c)).unwrap_or_default(),
                table: relation.as_ref().map(last_name).unwrap_or_default(),
                concurrently: has_token(n, K::CONCURRENTLY_KW),
                if_not_exists: child(n, K::IF_NOT_EXISTS).is_some(),
                only: relation.is_some_and(|r| has_token(&r, K::ONLY_KW)),
            }
        }
        K::DROP_INDEX => Kind::DropIndex {
            concurrently: has_token(n, K::CONCURRENTLY_KW),
            indexes: n
                .children()
                .filter(|c| c.kind() == K::INDEX_REF)
                .map(|c| last_name(&c))
                .collect(),
        },
        K::REINDEX => {
            let w = words(n);
            Kind::Reindex {
                concurrently: w.iter().any(|x| x == "concurrently"),
                what: w.get(1).cloned().unwrap_or_default(),
            }
        }
        K::ALTER_TABLE => alter_table(n),
        K::DROP_TABLE => Kind::DropTable {
            tables: n
                .children()
                .filter(|c| c.kind() == K::TABLE_NAME_REF)
                .map(|c| last_name(&c))
                .collect(),
        },
        K::VACUUM => Kind::Vacuum {
            full: words(n).iter().take_while(|w| *w != "analyze").any(|w| w == "full"),
            tables: n
                .descendants()
                .filter(|c| c.kind() == K::TABLE_AND_COLUMNS)
                .map(|c| name_of(&c, &[K::PATH_REF, K::PATH, K::NAME_REF]))
                .collect(),
        },
        K::CLUSTER => Kind::Cluster {
            table: child(n, K::TABLE_NAME_REF).map(|c| last_name(&c)),
        },
        K::UPDATE | K::DELETE => Kind::Backfill {
            table: child(n, K::RELATION_NAME).map(|c| last_name(&c)).unwrap_or_default(),
            verb: if n.kind() == K::UPDATE { "UPDATE" } else { "DELETE" },
        },
        K::CREATE_DOMAIN => Kind::CreateDomain {
            name: child(n, K::DOMAIN).map(|c| last_name(&c)).unwrap_or_default(),
            check: n.descendants().any(|c| c.kind() == K::CHECK_CONSTRAINT),
        },
        K::CREATE_TRIGGER => strong(n, "CREATE TRIGGER")?,
        K::CREATE_POLICY => strong(n, "CREATE POLICY")?,
        K::TRUNCATE => strong(n, "TRUNCATE")?,
        K::LOCK => strong(n, "LOCK")?,
        _ => Kind::Other,
    };
    Some(Stmt { span: span(n), kind })
}

/// The first table named by a statement that locks it.
fn strong(n: &SyntaxNode, what: &'static str) -> Option<Kind> {
    let table = n
        .descendants()
        .find(|c| {
            matches!(
                c.kind(),
                K::TABLE_NAME_REF | K::RELATION_NAME | K::RELATION_NAME_REF | K::PATH_REF | K::TABLE_RELATION_NAME
            ) && c.parent().is_some_and(|p| &p == n || p.parent().as_ref() == Some(n))
        })
        .map(|c| last_name(&c))?;
    Some(Kind::StrongLock { table, what })
}

fn set(n: &SyntaxNode) -> Option<Kind> {
    let w = words(n);
    let local = w.get(1).is_some_and(|x| x == "local");
    let rest: Vec<&String> = w
        .iter()
        .skip(if local || w.get(1).is_some_and(|x| x == "session") {
            2
        } else {
            1
        })
        .collect();
    let name = rest.first()?.to_string();
    let value = rest
        .iter()
        .skip(1)
        .filter(|x| !matches!(x.as_str(), "=" | "to" | ";"))
        .map(|x| x.trim_matches('\'').to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let name = if name == "time" && rest.get(1).is_some_and(|x| *x == "zone") {
        "timezone".to_string()
    } else {
        name
    };
    let value = value.strip_prefix("zone ").map(str::to_string).unwrap_or(value);
    Some(Kind::Set { name, local, value })
}

fn create_table(n: &SyntaxNode) -> CreateTable {
    let mut t = CreateTable {
        table: child(n, K::TABLE_NAME).map(|c| last_name(&c)).unwrap_or_default(),
        partition_of: child(n, K::PARTITION_OF).map(|c| last_name(&c)),
        ..CreateTable::default()
    };
    if let Some(by) = child(n, K::PARTITION_BY) {
        t.partition_key = by
            .descendants()
            .filter(|c| c.kind() == K::PARTITION_ITEM)
            .map(|c| last_name(&c))
            .collect();
    }
    if let Some(args) = child(n, K::TABLE_ARG_LIST) {
        for a in args.children() {
            if a.kind() == K::COLUMN {
                t.columns.push(column(&a));
            } else if let Some(c) = constraint(&a) {
                t.constraints.push(c);
            }
        }
    }
    t
}

/// A column definition node (`COLUMN` or `ADD_COLUMN`).
fn column(n: &SyntaxNode) -> Column {
    let mut c = Column {
        name: child(n, K::COLUMN_NAME).map(|c| last_name(&c)).unwrap_or_default(),
        span: span(n),
        ..Column::default()
    };
    for part in n.children() {
        match part.kind() {
            k if is_type(k) && c.ty.is_empty() => {
                c.ty = normalise_type(&words(&part).join(" "));
                if matches!(
                    c.ty.as_str(),
                    "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
                ) {
                    c.identity = true;
                }
            }
            K::NOT_NULL_CONSTRAINT => c.not_null = true,
            K::PRIMARY_KEY_CONSTRAINT => {
                c.not_null = true;
                c.constraints.extend(constraint(&part));
            }
            K::DEFAULT_CONSTRAINT => c.default = Some(default_of(&part)),
            K::GENERATED_CONSTRAINT => {
                let w = words(&part);
                if w.iter().any(|x| x == "identity") {
                    c.identity = true;
                } else if w.iter().any(|x| x == "stored") {
                    c.generated_stored = true;
                }
            }
            _ => {
                if let Some(k) = constraint(&part) {
                    c.constraints.push(k);
                }
            }
        }
    }
    c
}

fn is_type(k: K) -> bool {
    matches!(
        k,
        K::PATH_TYPE
            | K::VARCHAR_TYPE
            | K::CHARACTER_TYPE
            | K::BIT_VARYING_TYPE
            | K::TIMESTAMP_TYPE
            | K::BIT_TYPE
            | K::DOUBLE_TYPE
            | K::TIME_TYPE
            | K::INTERVAL_TYPE
            | K::ARRAY_TYPE
            | K::PERCENT_TYPE
    )
}

/// A type's words as one canonical spelling: `character varying(20)` → `varchar(20)`,
/// `integer` → `int4`, `timestamp with time zone` → `timestamptz`, `decimal` → `numeric`.
pub fn normalise_type(words: &str) -> String {
    let s = words
        .to_lowercase()
        .replace(" (", "(")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",");
    let s = s.strip_prefix("pg_catalog . ").unwrap_or(&s).to_string();
    let (base, args) = match s.find('(') {
        Some(i) if !s.starts_with("timestamp") && !s.starts_with("time ") => {
            (s[..i].trim().to_string(), s[i..].replace(' ', ""))
        }
        _ => (s.clone(), String::new()),
    };
    let base = match base.as_str() {
        "character varying" | "varchar" => "varchar",
        "character" | "char" | "bpchar" => "bpchar",
        "int" | "integer" | "int4" => "int4",
        "bigint" | "int8" => "int8",
        "smallint" | "int2" => "int2",
        "decimal" | "numeric" => "numeric",
        "real" | "float4" => "float4",
        "double precision" | "float8" | "float" => "float8",
        "bool" | "boolean" => "bool",
        "timestamp with time zone" | "timestamptz" => "timestamptz",
        "timestamp" | "timestamp without time zone" => "timestamp",
        other => return format!("{other}{args}"),
    };
    format!("{base}{args}")
}

fn default_of(n: &SyntaxNode) -> Default {
    // Functions whose volatility decides a rewrite; everything else that is called is unknown.
    const VOLATILE: &[&str] = &[
        "random",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "uuidv4",
        "uuidv7",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "txid_current",
        "statement_timestamp",
    ];
    const NON_VOLATILE: &[&str] = &[
        "now",
        "transaction_timestamp",
        "current_timestamp",
        "current_date",
        "current_time",
        "localtimestamp",
        "localtime",
        "current_user",
        "session_user",
        "current_setting",
        "timezone",
        "lower",
        "upper",
        "to_jsonb",
        "jsonb_build_object",
        "json_build_object",
        "jsonb_build_array",
        "array",
        "coalesce",
        "make_interval",
        "interval",
    ];
    let mut unknown = None;
    for call in n.descendants().filter(|c| c.kind() == K::CALL_EXPR) {
        let name = call
            .children()
            .find(|c| matches!(c.kind(), K::NAME_REF | K::FIELD_EXPR | K::PATH_REF))
            .map(|c| last_name(&c))
            .unwrap_or_default();
        if VOLATILE.contains(&name.as_str()) {
            return Default::Volatile(name);
        }
        if !NON_VOLATILE.contains(&name.as_str()) && unknown.is_none() {
            unknown = Some(name);
        }
    }
    match unknown {
        Some(name) => Default::Unknown(name),
        None => Default::NonVolatile,
    }
}

/// A constraint node (column or table constraint), or `None` for DEFAULT, NULL, …
fn constraint(n: &SyntaxNode) -> Option<Constraint> {
    let name = child(n, K::CONSTRAINT_NAME_CLAUSE).map(|c| last_name(&c));
    let not_valid = child(n, K::NOT_VALID).is_some();
    let kind = match n.kind() {
        K::CHECK_CONSTRAINT => ConstraintKind::Check {
            not_null: n
                .children()
                .find(|c| c.kind() != K::CONSTRAINT_NAME_CLAUSE && c.kind() != K::NOT_VALID)
                .map(|e| not_null_terms(&e))
                .unwrap_or_default(),
        },
        K::FOREIGN_KEY_CONSTRAINT | K::REFERENCES_CONSTRAINT => ConstraintKind::ForeignKey {
            references: child(n, K::TABLE_NAME_REF).map(|c| last_name(&c)).unwrap_or_default(),
        },
        K::UNIQUE_CONSTRAINT | K::PRIMARY_KEY_CONSTRAINT => ConstraintKind::Unique {
            primary: n.kind() == K::PRIMARY_KEY_CONSTRAINT,
            using_index: child(n, K::USING_INDEX_NAME).is_some()
                || words(n).windows(2).any(|w| w == ["using", "index"]),
        },
        K::EXCLUDE_CONSTRAINT => ConstraintKind::Exclude,
        K::NOT_NULL_CONSTRAINT => ConstraintKind::NotNull {
            column: child(n, K::COLUMN_NAME_REF).map(|c| last_name(&c))?,
        },
        _ => return None,
    };
    Some(Constraint {
        name,
        kind,
        not_valid,
        span: span(n),
    })
}

/// The columns a CHECK expression proves not null: `col IS NOT NULL` terms joined by `AND`
/// at the top level (in parentheses or not).
fn not_null_terms(e: &SyntaxNode) -> Vec<String> {
    match e.kind() {
        K::PAREN_EXPR => e.children().flat_map(|c| not_null_terms(&c)).collect(),
        K::BIN_EXPR => {
            let parts: Vec<SyntaxNode> = e.children().collect();
            let op: Vec<String> = e
                .children_with_tokens()
                .filter(|c| c.as_node().is_none_or(|n| !parts.contains(n) || n.kind() == K::IS_NOT))
                .filter_map(|c| match c {
                    squawk_syntax::SyntaxElement::Token(t) if !t.kind().is_trivia() => Some(t.text().to_lowercase()),
                    squawk_syntax::SyntaxElement::Node(n) if n.kind() == K::IS_NOT => Some("is not".into()),
                    _ => None,
                })
                .collect();
            if op == ["and"] {
                return parts.iter().flat_map(not_null_terms).collect();
            }
            let is_not_null = parts.len() == 3
                && parts[1].kind() == K::IS_NOT
                && parts[2].kind() == K::LITERAL
                && words(&parts[2]) == ["null"]
                && parts[0].kind() == K::NAME_REF;
            if is_not_null {
                return vec![last_name(&parts[0])];
            }
            Vec::new()
        }
        K::POSTFIX_EXPR => {
            // `col IS NOT NULL` may also parse as a postfix form; `col NOTNULL`.
            let w = words(e);
            match w.as_slice() {
                [c, is, not, null] if is == "is" && not == "not" && null == "null" => vec![c.clone()],
                [c, notnull] if notnull == "notnull" => vec![c.clone()],
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

fn alter_table(n: &SyntaxNode) -> Kind {
    let table = child(n, K::TABLE_RELATION_NAME)
        .map(|c| last_name(&c))
        .unwrap_or_default();
    let actions = n
        .children()
        .filter(|c| !matches!(c.kind(), K::TABLE_RELATION_NAME | K::IF_EXISTS))
        .map(|a| Action {
            kind: action(&a),
            span: span(&a),
        })
        .collect();
    Kind::AlterTable { table, actions }
}

fn action(a: &SyntaxNode) -> ActionKind {
    let column_ref = || child(a, K::COLUMN_NAME_REF).map(|c| last_name(&c)).unwrap_or_default();
    match a.kind() {
        K::ADD_COLUMN => ActionKind::AddColumn(column(a)),
        K::DROP_COLUMN => ActionKind::DropColumn { column: column_ref() },
        K::RENAME_COLUMN => ActionKind::RenameColumn { column: column_ref() },
        K::TABLE_RENAME_TO => ActionKind::RenameTo { to: last_name(a) },
        K::ALTER_COLUMN => {
            let column = column_ref();
            let Some(option) = a.children().find(|c| c.kind() != K::COLUMN_NAME_REF) else {
                return ActionKind::Other;
            };
            match option.kind() {
                K::SET_TYPE => ActionKind::SetType {
                    column,
                    ty: option
                        .children()
                        .find(|c| is_type(c.kind()))
                        .map(|t| normalise_type(&words(&t).join(" ")))
                        .unwrap_or_default(),
                    using: child(&option, K::USING_EXPR).is_some(),
                },
                K::SET_NOT_NULL => ActionKind::SetNotNull { column },
                K::SET_EXPRESSION => ActionKind::SetExpression { column },
                K::SET_STATISTICS | K::SET_OPTIONS | K::RESET_OPTIONS | K::SET_OPTIONS_LIST => ActionKind::Weak,
                _ => ActionKind::Other,
            }
        }
        K::ADD_CONSTRAINT => match a.children().find_map(|c| constraint(&c)) {
            Some(c) => ActionKind::AddConstraint(c),
            None => ActionKind::Other,
        },
        K::VALIDATE_CONSTRAINT => ActionKind::ValidateConstraint { name: last_name(a) },
        K::DROP_CONSTRAINT => ActionKind::DropConstraint {
            name: a
                .descendants()
                .find(|c| matches!(c.kind(), K::CONSTRAINT_NAME_REF | K::NAME_REF | K::CONSTRAINT_NAME))
                .map(|c| last_name(&c))
                .unwrap_or_default(),
        },
        K::ATTACH_PARTITION => ActionKind::AttachPartition {
            partition: child(a, K::TABLE_NAME_REF).map(|c| last_name(&c)).unwrap_or_default(),
        },
        K::DETACH_PARTITION => ActionKind::DetachPartition {
            concurrently: has_token(a, K::CONCURRENTLY_KW) || words(a).iter().any(|w| w == "concurrently"),
        },
        K::SET_LOGGED => ActionKind::Rewrite { what: "SET LOGGED" },
        K::SET_UNLOGGED => ActionKind::Rewrite { what: "SET UNLOGGED" },
        K::SET_OPTIONS | K::RESET_OPTIONS | K::CLUSTER_ON | K::SET_WITHOUT_CLUSTER => ActionKind::Weak,
        K::COMMA | K::SEMICOLON | K::ALTER_KW | K::TABLE_KW => ActionKind::Weak,
        _ => ActionKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(sql: &str) -> Kind {
        let parse = squawk_syntax::SourceFile::parse(sql);
        classify(&parse.syntax_node(), 0).remove(0).kind
    }

    #[test]
    fn the_prefilter_keeps_every_statement_a_rule_reads() {
        let kept = [
            "BEGIN;",
            "start transaction;",
            "COMMIT;",
            "end;",
            "ROLLBACK;",
            "abort;",
            "SET LOCAL lock_timeout = '1s';",
            "set time zone 'UTC';",
            "CREATE TABLE t (a int);",
            "create unlogged table t (a int);",
            "CREATE GLOBAL TEMPORARY TABLE t (a int);",
            "CREATE UNIQUE INDEX CONCURRENTLY i ON t (a);",
            "create index on t (a);",
            "DROP INDEX CONCURRENTLY i;",
            "REINDEX TABLE t;",
            "ALTER TABLE t ADD COLUMN b int;",
            "DROP TABLE t;",
            "VACUUM FULL t;",
            "CLUSTER t USING i;",
            "UPDATE t SET a = 1;",
            "DELETE FROM t;",
            "WITH x AS (SELECT 1) UPDATE t SET a = 1;",
            "CREATE DOMAIN d AS int CHECK (VALUE > 0);",
            "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
            "CREATE OR REPLACE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
            "create constraint trigger tr after insert on t for each row execute function f();",
            "CREATE POLICY p ON t USING (true);",
            "TRUNCATE t;",
            "LOCK TABLE t IN ACCESS EXCLUSIVE MODE;",
            "-- a comment\n/* and /* a nested */ one */ ALTER TABLE t DROP COLUMN b;",
            "\"weird\" ;",
        ];
        for sql in kept {
            assert!(may_matter(sql), "{sql}");
        }
        // Each statement the classifier reads is kept by the prefilter.
        for sql in kept {
            let parse = squawk_syntax::SourceFile::parse(sql);
            for stmt in classify(&parse.syntax_node(), 0) {
                if stmt.kind != Kind::Other {
                    assert!(may_matter(&sql[stmt.span.clone()]), "{sql}");
                }
            }
        }
        let skipped = [
            "INSERT INTO t VALUES (1);",
            "CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ ALTER TABLE t ADD b int $$ LANGUAGE sql;",
            "CREATE EXTENSION IF NOT EXISTS vector;",
            "CREATE VIEW v AS SELECT 1;",
            "COMMENT ON TABLE t IS 'x';",
            "GRANT SELECT ON t TO r;",
            "DO $$ BEGIN END $$;",
            "SELECT 1;",
            "ALTER FUNCTION f() OWNER TO r;",
            "DROP FUNCTION f();",
            "CREATE TYPE e AS ENUM ('a');",
        ];
        for sql in skipped {
            assert!(!may_matter(sql), "{sql}");
            let parse = squawk_syntax::SourceFile::parse(sql);
            assert!(
                classify(&parse.syntax_node(), 0).iter().all(|s| s.kind == Kind::Other),
                "{sql}"
            );
        }
    }

    #[test]
    fn a_plain_create_table_is_named_without_a_parse() {
        let cases = [
            ("CREATE TABLE users (id int);", Some("users")),
            (
                "create unlogged table if not exists public.\"Users\" (id int);",
                Some("Users"),
            ),
            ("CREATE TEMP TABLE t ON COMMIT DROP AS SELECT 1;", Some("t")),
            ("/* c */ CREATE TABLE s.t2(a int);", Some("t2")),
            ("CREATE TABLE p PARTITION OF parent FOR VALUES IN (1);", None),
            ("CREATE TABLE m (a int) PARTITION BY RANGE (a);", None),
            ("CREATE INDEX i ON t (a);", None),
            ("CREATE TABLE (a int);", None),
        ];
        for (sql, name) in cases {
            assert_eq!(created_table(sql).as_deref(), name, "{sql}");
        }
        // The name as the parse would give it.
        for sql in [
            "CREATE TABLE users (id int);",
            "create table if not exists public.\"Users\" (id int);",
        ] {
            let Kind::CreateTable(t) = one(sql) else {
                panic!("{sql}")
            };
            assert_eq!(created_table(sql), Some(t.table), "{sql}");
        }
        let names: Vec<String> = mentioned_names("ALTER TABLE public.\"Users\" ADD COLUMN b text DEFAULT 'x y';")
            .map(Cow::into_owned)
            .collect();
        assert_eq!(
            names,
            [
                "alter", "table", "public", "Users", "add", "column", "b", "text", "default"
            ]
        );
        assert!(is_alter_table("-- x\nALTER TABLE ONLY t ADD b int;"));
        assert!(!is_alter_table("ALTER INDEX i RENAME TO j;"));
    }

    #[test]
    fn the_words_reader_reads_what_the_tree_reads_or_nothing() {
        // Read by words: the same kind as the tree's.
        for sql in [
            "UPDATE public.\"Users\" SET a = 1 WHERE b IN (SELECT 1);",
            "delete from t where x = 'a;(b';",
            "WITH RECURSIVE x (n) AS (SELECT 1 UNION SELECT n + 1 FROM x), y AS MATERIALIZED (SELECT 2) UPDATE t SET a = 1;",
            "WITH moved AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM moved;",
            "DROP INDEX CONCURRENTLY IF EXISTS s.i1, i2 CASCADE;",
            "DROP TABLE IF EXISTS a, \"B\";",
            "CREATE POLICY p ON s.t USING (owner = current_user);",
            "CREATE TRIGGER tr AFTER INSERT OR UPDATE OF a, b ON s.t FOR EACH ROW EXECUTE FUNCTION f();",
        ] {
            assert_eq!(shallow(sql), Some(one(sql)), "{sql}");
        }
        // Left to the tree: dollar quotes, escapes, `ONLY`, `*`, anything unexpected.
        for sql in [
            "WITH x AS (SELECT $$)$$) UPDATE t SET a = 1;",
            "UPDATE t SET a = E'\\'';",
            "UPDATE ONLY t SET a = 1;",
            "DELETE FROM t * WHERE a;",
            "DROP VIEW v;",
            "DROP TABLE a b;",
            "CREATE POLICY p AS PERMISSIVE ON t;",
            "ALTER TABLE t ADD b int;",
        ] {
            assert_eq!(shallow(sql), None, "{sql}");
        }
    }

    #[test]
    fn reads_alter_table_actions() {
        let Kind::AlterTable { table, actions } = one(
            "ALTER TABLE public.\"T\" ADD COLUMN x int NOT NULL DEFAULT random(), ALTER COLUMN s TYPE character varying(20), ADD CONSTRAINT c CHECK ((a IS NOT NULL) AND b > 0) NOT VALID;",
        ) else {
            panic!()
        };
        assert_eq!(table, "T");
        let ActionKind::AddColumn(c) = &actions[0].kind else {
            panic!()
        };
        assert_eq!((c.name.as_str(), c.ty.as_str(), c.not_null), ("x", "int4", true));
        assert_eq!(c.default, Some(Default::Volatile("random".into())));
        assert_eq!(
            actions[1].kind,
            ActionKind::SetType {
                column: "s".into(),
                ty: "varchar(20)".into(),
                using: false
            }
        );
        let ActionKind::AddConstraint(k) = &actions[2].kind else {
            panic!()
        };
        assert!(k.not_valid);
        assert_eq!(
            k.kind,
            ConstraintKind::Check {
                not_null: vec!["a".into()]
            }
        );
    }

    #[test]
    fn reads_sets_and_indexes() {
        assert_eq!(
            one("SET LOCAL lock_timeout = '2s';"),
            Kind::Set {
                name: "lock_timeout".into(),
                local: true,
                value: "2s".into()
            }
        );
        assert_eq!(
            one("SET TIME ZONE 'UTC';"),
            Kind::Set {
                name: "timezone".into(),
                local: false,
                value: "utc".into()
            }
        );
        assert_eq!(
            one("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY s.t (a);"),
            Kind::CreateIndex {
                name: "i".into(),
                table: "t".into(),
                concurrently: true,
                if_not_exists: true,
                only: true
            }
        );
        assert_eq!(normalise_type("timestamp with time zone"), "timestamptz");
        assert_eq!(normalise_type("numeric ( 12 , 2 )"), "numeric(12,2)");
    }
}
