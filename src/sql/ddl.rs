//! What each statement does to tables, for the lock-safety rules ([`crate::checks::locks`]).
//!
//! Read from squawk-syntax's tree (the same parse as the syntax verdict, see
//! [`super::analyze`]): statement and action kinds are tree nodes; details (a type's name, a
//! default's function) are read from the tokens of the node that holds them. Only what the
//! rules need is kept; everything else is [`Kind::Other`]. Names are lowercased unless quoted,
//! and the schema is dropped (`public.t` is `t`).

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
    pub(crate) fn shift(&mut self, by: usize) {
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
    /// Boxed: most statements are small, and every statement of a script is kept.
    CreateTable(Box<CreateTable>),
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
        K::CREATE_TABLE => Kind::CreateTable(Box::new(create_table(n))),
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
    // One word (most columns' types): only the names below change.
    if words
        .bytes()
        .all(|b| b.is_ascii() && b != b' ' && b != b'(' && !b.is_ascii_uppercase())
    {
        return canonical_type(words).unwrap_or(words).to_string();
    }
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
    format!("{}{args}", canonical_type(&base).unwrap_or(&base))
}

/// The canonical spelling of a type's name (lowercase, without arguments), if it has another.
fn canonical_type(base: &str) -> Option<&'static str> {
    Some(match base {
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
        _ => return None,
    })
}

/// Functions whose volatility decides a rewrite; everything else a default calls is unknown.
pub(crate) const VOLATILE: &[&str] = &[
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
/// Functions known to be immutable or stable.
pub(crate) const NON_VOLATILE: &[&str] = &[
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

fn default_of(n: &SyntaxNode) -> Default {
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
