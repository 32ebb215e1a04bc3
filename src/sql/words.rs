//! What a statement is for the lock rules, read from its words without a parse: the first
//! words that decide whether the rules look at a statement at all ([`may_matter`]), and a
//! reader of the statements real migrations are made of ([`shallow`], [`create_table`]): DML,
//! drops, indexes, `ALTER TABLE` and `CREATE TABLE` in their common forms. squawk-syntax's tree
//! ([`super::ddl`]) stays the reference: `tests/corpus_ddl.rs` holds this reader to it (kinds,
//! names, types, defaults, spans) on every statement of the corpus and the fixtures that
//! PostgreSQL accepts, and anything this reader does not follow goes to the tree. On the corpus
//! this leaves the tree about a tenth of the bytes it used to parse.

use std::borrow::Cow;

use super::ddl::{Action, ActionKind, Column, Constraint, ConstraintKind, CreateTable, Default, Kind, Stmt};

/// Whether a statement (its text, from its first token) can be anything but [`Kind::Other`]:
/// decided from its leading keywords, so the statements no lock rule looks at (`INSERT`,
/// `CREATE FUNCTION`, `COMMENT`, `GRANT`, `DO`, …: most of a real migration's bytes) are never
/// given to the tree parser. Errs on the side of parsing: a statement whose start it cannot read
/// is parsed. Keep in step with the tree reader (`ddl::statement`).
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

/// What a statement whose rules need only names and flags is, read from its words without a
/// parse: `UPDATE`, `DELETE` (also after a `WITH` list), `DROP TABLE`, `DROP INDEX`,
/// `CREATE POLICY`, `CREATE TRIGGER`, `CREATE INDEX`, and `ALTER TABLE` with the actions a
/// real migration set is made of (columns added, dropped, renamed or altered; foreign keys,
/// unique keys and checks added; …). `at` is where `stmt` starts in the file: the spans of the
/// result are the file's. `None` when the statement is anything else or holds what this reader
/// does not follow (an unexpected word, an expression it cannot judge): it is then parsed. A
/// test holds it to the tree's reading of every such statement of the corpus.
///
/// The caller keeps psql meta-commands away (a statement that holds one is parsed, masked).
pub fn shallow(stmt: &str, at: usize) -> Option<Stmt> {
    let mut r = Reader::new(stmt);
    let first = r.next()?;
    let kind = if first.is("update") || first.is("delete") || first.is("with") {
        shallow_dml(first, &mut r)?
    } else if first.is("drop") {
        drop_table_or_index(&mut r)?
    } else if first.is("create") {
        let unique = r.eat("unique");
        let what = r.next()?;
        if what.is("index") {
            create_index(&mut r)?
        } else if !unique && (what.is("policy") || what.is("trigger")) {
            policy_or_trigger(what, &mut r)?
        } else {
            return None;
        }
    } else if first.is("alter") && r.eat("table") {
        alter_table(&mut r)?
    } else {
        return None;
    };
    let mut stmt = Stmt {
        span: 0..stmt.len(),
        kind,
    };
    stmt.shift(at);
    Some(stmt)
}

/// `DROP TABLE`, `DROP INDEX [CONCURRENTLY]`: the names dropped.
fn drop_table_or_index(r: &mut Reader<'_>) -> Option<Kind> {
    let what = r.next().filter(|w| w.is("table") || w.is("index"))?;
    let concurrently = what.is("index") && r.eat("concurrently");
    if r.eat("if") && !r.eat("exists") {
        return None;
    }
    let mut names = Vec::new();
    loop {
        names.push(r.qualified_name()?);
        match r.next() {
            Some(Token::Other(b',')) => continue,
            Some(w) if w.is("cascade") || w.is("restrict") => break,
            Some(Token::Other(b';')) | None => break,
            Some(_) => return None,
        }
    }
    r.eat_byte(b';');
    r.at_end()?;
    Some(if what.is("table") {
        Kind::DropTable { tables: names }
    } else {
        Kind::DropIndex {
            concurrently,
            indexes: names,
        }
    })
}

/// `CREATE POLICY name ON table …`, `CREATE TRIGGER name … ON table …`.
fn policy_or_trigger(what: Token<'_>, r: &mut Reader<'_>) -> Option<Kind> {
    let _name = r.next().filter(|n| matches!(n, Token::Word(_) | Token::Quoted(_)))?;
    // A trigger's events come before `ON` (which no column can be named unquoted).
    let mut skipped = 0;
    loop {
        let w = r.next()?;
        if w.is("on") {
            break;
        }
        if matches!(w, Token::Other(b'(' | b')')) {
            return None;
        }
        skipped += 1;
    }
    if what.is("policy") && skipped != 0 {
        return None;
    }
    let table = r.qualified_name()?;
    let what = if what.is("policy") {
        "CREATE POLICY"
    } else {
        "CREATE TRIGGER"
    };
    r.peek().is_some().then_some(Kind::StrongLock { table, what })
}

/// `UPDATE [ONLY] t`, `DELETE FROM [ONLY] t`, or either after `WITH name AS (…), …`; any
/// other statement after a `WITH` list is no backfill.
fn shallow_dml(first: Token<'_>, r: &mut Reader<'_>) -> Option<Kind> {
    let mut verb = first;
    if first.is("with") {
        r.eat("recursive");
        loop {
            r.next().filter(|n| matches!(n, Token::Word(_) | Token::Quoted(_)))?;
            if r.peek() == Some(Token::Other(b'(')) {
                r.skip_group()?;
            }
            if !r.eat("as") {
                return None;
            }
            r.eat("not");
            r.eat("materialized");
            if r.peek() != Some(Token::Other(b'(')) {
                return None;
            }
            r.skip_group()?;
            if !r.eat_byte(b',') {
                break;
            }
        }
        verb = r.next()?;
        if ["select", "insert", "merge", "values", "table"]
            .iter()
            .any(|k| verb.is(k))
        {
            return Some(Kind::Other);
        }
    }
    let verb = if verb.is("update") {
        "UPDATE"
    } else if verb.is("delete") && r.eat("from") {
        "DELETE"
    } else {
        return None;
    };
    if r.peek().is_some_and(|w| w.is("only")) {
        return None;
    }
    let table = r.qualified_name()?;
    if r.peek() == Some(Token::Other(b'*')) {
        return None;
    }
    Some(Kind::Backfill { table, verb })
}

/// After `CREATE [UNIQUE] INDEX`: `[CONCURRENTLY] [IF NOT EXISTS] [name] ON [ONLY] table …`;
/// what follows the table is no rule's business.
fn create_index(r: &mut Reader<'_>) -> Option<Kind> {
    let concurrently = r.eat("concurrently");
    let if_not_exists = r.eat("if");
    if if_not_exists && !(r.eat("not") && r.eat("exists")) {
        return None;
    }
    let name = if r.peek()?.is("on") { String::new() } else { r.name()? };
    if !r.eat("on") {
        return None;
    }
    let only = r.eat("only");
    let table = r.qualified_name()?;
    if !(r.peek() == Some(Token::Other(b'(')) || r.peek().is_some_and(|w| w.is("using"))) {
        return None;
    }
    Some(Kind::CreateIndex {
        name,
        table,
        concurrently,
        if_not_exists,
        only,
    })
}

/// After `ALTER TABLE`: `[IF EXISTS] [ONLY] table action [, action]…`, every action one this
/// reader knows (else `None`).
fn alter_table(r: &mut Reader<'_>) -> Option<Kind> {
    if r.eat("if") && !r.eat("exists") {
        return None;
    }
    r.eat("only");
    let table = r.qualified_name()?;
    let mut actions = Vec::new();
    loop {
        let start = r.next_start()?;
        let mut kind = action(r)?;
        let mut end = r.end;
        if let ActionKind::AddColumn(c) = &mut kind {
            // The column's node is the action's.
            end = c.span.end;
            c.span = start..end;
        }
        actions.push(Action { kind, span: start..end });
        if !r.eat_byte(b',') {
            break;
        }
    }
    r.eat_byte(b';');
    r.at_end()?;
    Some(Kind::AlterTable { table, actions })
}

/// One `ALTER TABLE` action, up to (not including) the `,` or `;` after it.
fn action(r: &mut Reader<'_>) -> Option<ActionKind> {
    let w = r.next()?;
    let kind = if w.is("add") {
        let next = r.peek()?;
        if ["constraint", "primary", "unique", "check", "foreign", "exclude"]
            .iter()
            .any(|k| next.is(k))
        {
            ActionKind::AddConstraint(table_constraint(r)?)
        } else {
            r.eat("column");
            if r.eat("if") && !(r.eat("not") && r.eat("exists")) {
                return None;
            }
            ActionKind::AddColumn(column(r)?)
        }
    } else if w.is("drop") {
        if r.eat("constraint") {
            if r.eat("if") && !r.eat("exists") {
                return None;
            }
            let name = r.name()?;
            let _ = r.eat("cascade") || r.eat("restrict");
            ActionKind::DropConstraint { name }
        } else {
            r.eat("column");
            if r.eat("if") && !r.eat("exists") {
                return None;
            }
            let column = r.name()?;
            let _ = r.eat("cascade") || r.eat("restrict");
            ActionKind::DropColumn { column }
        }
    } else if w.is("rename") {
        if r.eat("constraint") {
            r.rest()?;
            ActionKind::Other
        } else if r.eat("to") {
            ActionKind::RenameTo { to: r.name()? }
        } else {
            r.eat("column");
            let column = r.name()?;
            if !r.eat("to") {
                return None;
            }
            r.name()?;
            ActionKind::RenameColumn { column }
        }
    } else if w.is("alter") {
        r.eat("column");
        let column = r.name()?;
        alter_column(column, r)?
    } else if w.is("validate") {
        if !r.eat("constraint") {
            return None;
        }
        ActionKind::ValidateConstraint { name: r.name()? }
    } else if w.is("set") {
        if r.eat("logged") {
            ActionKind::Rewrite { what: "SET LOGGED" }
        } else if r.eat("unlogged") {
            ActionKind::Rewrite { what: "SET UNLOGGED" }
        } else if r.eat("schema") {
            r.rest()?;
            ActionKind::Other
        } else {
            return None;
        }
    } else if ["owner", "enable", "disable", "force", "replica"]
        .iter()
        .any(|k| w.is(k))
    {
        r.rest()?;
        ActionKind::Other
    } else {
        return None;
    };
    r.at_action_end()?;
    Some(kind)
}

/// After `ALTER [COLUMN] column`: the change.
fn alter_column(column: String, r: &mut Reader<'_>) -> Option<ActionKind> {
    let w = r.next()?;
    if w.is("set") {
        if r.eat("not") {
            r.eat("null").then_some(ActionKind::SetNotNull { column })
        } else if r.eat("default") {
            r.rest()?;
            Some(ActionKind::Other)
        } else if r.eat("data") {
            r.eat("type").then_some(())?;
            set_type(column, r)
        } else if r.eat("statistics") {
            r.rest()?;
            Some(ActionKind::Weak)
        } else {
            None
        }
    } else if w.is("drop") {
        if r.eat("not") {
            r.eat("null").then_some(ActionKind::Other)
        } else {
            r.eat("default").then_some(ActionKind::Other)
        }
    } else if w.is("type") {
        set_type(column, r)
    } else {
        None
    }
}

/// After `TYPE` (or `SET DATA TYPE`): the type and whether a `USING` expression follows.
fn set_type(column: String, r: &mut Reader<'_>) -> Option<ActionKind> {
    let ty = r.type_name()?;
    let using = r.eat("using");
    if using {
        r.rest()?;
    }
    Some(ActionKind::SetType { column, ty, using })
}

/// Words that end a column's type and start one of its constraints.
const COLUMN_CONSTRAINT: &[&str] = &[
    "not",
    "null",
    "default",
    "constraint",
    "check",
    "references",
    "unique",
    "primary",
    "generated",
    "collate",
    "deferrable",
    "initially",
    "using",
];

/// A column definition: `name type [constraint]…`, with the constraints this reader knows
/// (`NOT NULL`, `NULL`, `DEFAULT` with a constant or plain calls, `PRIMARY KEY`, `UNIQUE`,
/// `REFERENCES`, `CHECK`, `GENERATED … AS IDENTITY`, `GENERATED ALWAYS AS (…) STORED`). Its
/// span runs from its name to where the tree ends it.
fn column(r: &mut Reader<'_>) -> Option<Column> {
    let start = r.next_start()?;
    let name = r.name()?;
    if COLUMN_CONSTRAINT.iter().any(|k| name == *k) {
        return None;
    }
    let ty = r.type_name()?;
    let identity = matches!(
        ty.as_str(),
        "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
    );
    let mut c = Column {
        name,
        ty,
        identity,
        ..Column::default()
    };
    let mut end = r.end;
    while !r.at_separator() {
        let from = r.next_start()?;
        let constraint_name = if r.eat("constraint") { Some(r.name()?) } else { None };
        let w = r.next()?;
        let kind = if w.is("primary") && r.eat("key") {
            c.not_null = true;
            ConstraintKind::Unique {
                primary: true,
                using_index: false,
            }
        } else if w.is("unique") {
            ConstraintKind::Unique {
                primary: false,
                using_index: false,
            }
        } else if w.is("references") {
            ConstraintKind::ForeignKey {
                references: references(r)?,
            }
        } else if w.is("check") {
            ConstraintKind::Check { not_null: check(r)? }
        } else if constraint_name.is_some() {
            return None;
        } else {
            if w.is("not") && r.eat("null") {
                c.not_null = true;
            } else if w.is("default") {
                c.default = Some(default(r)?);
            } else if w.is("generated") {
                generated(r, &mut c)?;
            } else if !w.is("null") {
                return None;
            }
            end = r.end;
            continue;
        };
        end = r.end;
        if matches!(kind, ConstraintKind::Unique { .. }) {
            // The tree's inline key ends with an empty node (its index parameters) that holds
            // the whitespace after it: the span reaches the next token.
            let next = r.next_start().unwrap_or(r.text.len());
            if !r.text[end..next].bytes().all(|b| b.is_ascii_whitespace()) {
                return None;
            }
            end = next;
        }
        c.constraints.push(Constraint {
            name: constraint_name,
            kind,
            not_valid: false,
            span: from..end,
        });
    }
    c.span = start..end;
    Some(c)
}

/// After `GENERATED`: `ALWAYS` or `BY DEFAULT`, then `AS IDENTITY [(options)]` or
/// `AS (expression) [STORED | VIRTUAL]`.
fn generated(r: &mut Reader<'_>, c: &mut Column) -> Option<()> {
    if !(r.eat("always") || (r.eat("by") && r.eat("default"))) || !r.eat("as") {
        return None;
    }
    if r.eat("identity") {
        c.identity = true;
        if r.peek() == Some(Token::Other(b'(')) {
            r.skip_group()?;
        }
    } else {
        r.skip_group()?;
        c.generated_stored = r.eat("stored");
        if !c.generated_stored {
            return None;
        }
    }
    Some(())
}

/// After `CHECK`: the bracketed expression, and the columns it proves not null.
fn check(r: &mut Reader<'_>) -> Option<Vec<String>> {
    let from = r.next_start()?;
    r.skip_group()?;
    not_null_terms(&r.text[from + 1..r.end - 1])
}

/// After `REFERENCES`: the table, then what may follow it in a foreign key (columns,
/// `MATCH`, `ON DELETE`/`ON UPDATE` actions, deferral).
fn references(r: &mut Reader<'_>) -> Option<String> {
    let table = r.qualified_name()?;
    if r.peek() == Some(Token::Other(b'(')) {
        r.skip_group()?;
    }
    loop {
        if r.eat("match") {
            r.next().filter(|w| w.is("full") || w.is("partial") || w.is("simple"))?;
        } else if r.eat("on") {
            r.next().filter(|w| w.is("delete") || w.is("update"))?;
            let w = r.next()?;
            if w.is("set") {
                r.next().filter(|w| w.is("null") || w.is("default"))?;
                if r.peek() == Some(Token::Other(b'(')) {
                    r.skip_group()?;
                }
            } else if w.is("no") {
                r.eat("action").then_some(())?;
            } else if !(w.is("cascade") || w.is("restrict")) {
                return None;
            }
        } else if r.peek_is("not") && r.peek2_is("deferrable") {
            r.next();
            r.next();
        } else if r.eat("deferrable") {
        } else if r.eat("initially") {
            r.next().filter(|w| w.is("deferred") || w.is("immediate"))?;
        } else {
            return Some(table);
        }
    }
}

/// After `ADD`: `[CONSTRAINT name] FOREIGN KEY … | PRIMARY KEY … | UNIQUE … | CHECK (…)`,
/// `[NOT VALID]`.
fn table_constraint(r: &mut Reader<'_>) -> Option<Constraint> {
    let start = r.next_start()?;
    let mut words = Vec::new();
    let name = if r.eat("constraint") { Some(r.name()?) } else { None };
    let w = r.next()?;
    let kind = if w.is("foreign") {
        r.eat("key").then_some(())?;
        r.skip_group()?;
        r.eat("references").then_some(())?;
        ConstraintKind::ForeignKey {
            references: references(r)?,
        }
    } else if w.is("primary") || w.is("unique") {
        let primary = w.is("primary");
        if primary && !r.eat("key") {
            return None;
        }
        // Everything up to `NOT VALID` or the action's end, for `USING INDEX`.
        let not_valid = |r: &Reader<'_>| r.peek_is("not") && r.peek2_is("valid");
        while !(r.at_separator() || not_valid(r)) {
            let t = r.next()?;
            if t == Token::Other(b'(') {
                r.skip_rest_of_group()?;
            }
            words.push(t);
        }
        let using_index = words.windows(2).any(|w| w[0].is("using") && w[1].is("index"));
        ConstraintKind::Unique { primary, using_index }
    } else if w.is("check") {
        ConstraintKind::Check { not_null: check(r)? }
    } else {
        return None;
    };
    let not_valid = r.peek_is("not") && r.peek2_is("valid");
    if not_valid {
        r.next();
        r.next();
    }
    Some(Constraint {
        name,
        kind,
        not_valid,
        span: start..r.end,
    })
}

/// The columns a `CHECK` expression (the text between its brackets) proves not null, as the
/// tree reader finds them: `col IS NOT NULL` (or `col NOTNULL`) terms joined by `AND` at the
/// top level, in brackets or not. `None` for an expression whose top level this reader cannot
/// see without a parse (`OR`, `NOT`, `BETWEEN`, `CASE`, a sub-select, a list).
fn not_null_terms(expr: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut r = Reader::new(expr);
    loop {
        // One term: the tokens up to a top-level `AND`.
        let start = r.next_start()?;
        let mut tokens = Vec::new();
        let mut depth = 0usize;
        while let Some(t) = r.peek() {
            if depth == 0 && t.is("and") {
                break;
            }
            if ["or", "between", "case", "select", "symmetric"].iter().any(|k| t.is(k))
                || (t.is("not") && !tokens.last().is_some_and(|p: &Token<'_>| p.is("is")))
                || (depth == 0 && t == Token::Other(b','))
            {
                return None;
            }
            match t {
                Token::Other(b'(' | b'[') => depth += 1,
                Token::Other(b')' | b']') => depth = depth.checked_sub(1)?,
                _ => {}
            }
            r.next();
            tokens.push(t);
        }
        let term = &expr[start..r.end];
        match tokens.as_slice() {
            [Token::Other(b'('), .., Token::Other(b')')] if encloses(term) => {
                out.extend(not_null_terms(&term[1..term.len() - 1])?);
            }
            [c @ (Token::Word(_) | Token::Quoted(_)), is, not, null]
                if is.is("is") && not.is("not") && null.is("null") =>
            {
                out.push(c.name()?.into_owned());
            }
            [c @ (Token::Word(_) | Token::Quoted(_)), notnull] if notnull.is("notnull") => {
                out.push(c.name()?.into_owned());
            }
            _ => {}
        }
        if r.next().is_none() {
            return Some(out);
        }
    }
}

/// Whether `text` (which starts with `(` and ends with `)`) is one bracketed group.
fn encloses(text: &str) -> bool {
    let mut r = Reader::new(text);
    r.skip_group().is_some() && r.end == text.len()
}

/// Functions whose volatility decides a rewrite; everything else that is called is unknown.
const VOLATILE: &[&str] = super::ddl::VOLATILE;
const NON_VOLATILE: &[&str] = super::ddl::NON_VOLATILE;

/// Calls whose syntax is the grammar's own (the tree may not read them as calls): left to it.
const SPECIAL_CALLS: &[&str] = &[
    "cast",
    "nullif",
    "greatest",
    "least",
    "extract",
    "position",
    "substring",
    "trim",
    "overlay",
    "exists",
    "row",
    "array",
    "values",
    "any",
    "all",
    "some",
    "grouping",
    "treat",
    "normalize",
    "collation",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "json",
    "json_array",
    "json_object",
    "json_scalar",
    "json_serialize",
    "json_query",
    "json_value",
    "json_exists",
    "merge_action",
    "interval",
];

/// After `DEFAULT`: a constant, or calls of plain functions on constants, each maybe cast
/// (`'x'::text`, `now()`, `nextval('s'::regclass)`), judged as the tree reader judges it.
fn default(r: &mut Reader<'_>) -> Option<Default> {
    let mut calls = Vec::new();
    value(r, &mut calls)?;
    if !r.at_separator() && !r.peek().is_some_and(|w| COLUMN_CONSTRAINT.iter().any(|k| w.is(k))) {
        return None;
    }
    if let Some(v) = calls.iter().find(|c| VOLATILE.contains(&c.as_str())) {
        return Some(Default::Volatile(v.clone()));
    }
    Some(match calls.into_iter().find(|c| !NON_VOLATILE.contains(&c.as_str())) {
        Some(name) => Default::Unknown(name),
        None => Default::NonVolatile,
    })
}

/// One value of a default (see [`default`]); the names of the functions it calls, outer first.
fn value(r: &mut Reader<'_>, calls: &mut Vec<String>) -> Option<()> {
    if r.eat_byte(b'-') || r.eat_byte(b'+') {
        r.peek().filter(Token::is_number)?;
    }
    match r.next()? {
        Token::Other(b'\'') => {}
        t if t.is_number() => {
            if r.eat_dot() {
                r.next().filter(Token::is_number)?;
            }
        }
        t if ["true", "false", "null"].iter().any(|k| t.is(k)) => {}
        t @ (Token::Word(_) | Token::Quoted(_)) => {
            let mut name = t;
            while r.eat_dot() {
                name = r.next().filter(|n| matches!(n, Token::Word(_) | Token::Quoted(_)))?;
            }
            let name = name.name()?.into_owned();
            if r.eat_byte(b'(') {
                if SPECIAL_CALLS.contains(&name.as_str()) || matches!(t, Token::Quoted(_)) {
                    return None;
                }
                calls.push(name);
                if !r.eat_byte(b')') {
                    loop {
                        value(r, calls)?;
                        if r.eat_byte(b')') {
                            break;
                        }
                        r.eat_byte(b',').then_some(())?;
                    }
                }
            } else if !NON_VOLATILE.contains(&name.as_str()) || matches!(t, Token::Quoted(_)) {
                return None;
            }
        }
        _ => return None,
    }
    // Casts: `::type`.
    while r.peek() == Some(Token::Other(b':')) {
        r.next();
        r.eat_byte(b':').then_some(())?;
        r.type_name()?;
    }
    Some(())
}

/// A `CREATE TABLE` with its columns and constraints, read from its words when every column
/// and constraint is one this reader knows (see [`column`], [`table_constraint`]); `at` as for
/// [`shallow`]. `None` for anything else, and for a table that mentions partitions (left to
/// the tree).
pub fn create_table(stmt: &str, at: usize) -> Option<Stmt> {
    let mut r = Reader::new(stmt);
    let mut t = CreateTable {
        table: create_table_head(&mut r)?,
        ..CreateTable::default()
    };
    if !r.eat_byte(b'(') {
        return None;
    }
    if !r.eat_byte(b')') {
        loop {
            let next = r.peek()?;
            if next.is("like") || next.is("exclude") {
                return None;
            }
            if ["constraint", "primary", "unique", "check", "foreign"]
                .iter()
                .any(|k| next.is(k))
            {
                t.constraints.push(table_constraint(&mut r)?);
            } else {
                t.columns.push(column(&mut r)?);
            }
            if r.eat_byte(b')') {
                break;
            }
            if !r.eat_byte(b',') {
                return None;
            }
        }
    }
    // What follows the list (`WITH (…)`, `TABLESPACE`, `ON COMMIT …`) is no rule's business,
    // but partitioning is.
    while let Some(w) = r.next() {
        if w.is("partition") {
            return None;
        }
    }
    let mut stmt = Stmt {
        span: 0..stmt.len(),
        kind: Kind::CreateTable(Box::new(t)),
    };
    stmt.shift(at);
    Some(stmt)
}

/// The table a plain `CREATE TABLE` makes, read from its first words without a parse: the
/// name as [`Kind::CreateTable`] would hold it. `None` for anything else, and for statements
/// whose details a rule reads on their own (`PARTITION OF` / `PARTITION BY`): those are parsed.
pub fn created_table(stmt: &str) -> Option<String> {
    let name = create_table_head(&mut Reader::new(stmt))?;
    let mentions_partition = stmt.as_bytes().windows(9).any(|w| w.eq_ignore_ascii_case(b"partition"));
    (!mentions_partition).then_some(name)
}

/// The opening of a `CREATE TABLE`, up to its name: `CREATE`, its modifiers (`TEMP`,
/// `UNLOGGED`, …), `TABLE`, `IF NOT EXISTS`, and the possibly qualified name, whose last part
/// it returns (see [`Reader::qualified_name`]). An `IF` not followed by `NOT EXISTS` is a name
/// (`if` is not a reserved word). `None` if the statement opens otherwise.
fn create_table_head(r: &mut Reader<'_>) -> Option<String> {
    if !r.eat("create") {
        return None;
    }
    while ["global", "local", "temp", "temporary", "unlogged"]
        .iter()
        .any(|k| r.eat(k))
    {}
    if !r.eat("table") {
        return None;
    }
    let mut ahead = r.clone();
    if ahead.eat("if") && ahead.eat("not") && ahead.eat("exists") {
        *r = ahead;
    }
    r.qualified_name()
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
    /// An unquoted identifier, keyword or number, as written.
    Word(&'a str),
    /// A quoted identifier, between its quotes and still escaped (`""`); empty if unterminated.
    Quoted(&'a str),
    Dot,
    /// Anything else: punctuation as its byte, `'` for a string (also `E'…'` and dollar
    /// quotes), `$` for a parameter (`$1`).
    Other(u8),
}

impl<'a> Token<'a> {
    /// Whether this is the unquoted keyword `k` (lowercase), in any case.
    fn is(&self, k: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(k))
    }

    fn is_number(&self) -> bool {
        matches!(self, Token::Word(w) if w.as_bytes()[0].is_ascii_digit())
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

    /// The token as the tree reader's `words` spells it (lowercased unless quoted).
    fn word(self) -> Cow<'a, str> {
        match self {
            Token::Word(_) | Token::Quoted(_) => self.name().unwrap_or_default(),
            Token::Dot => Cow::Borrowed("."),
            Token::Other(b) => Cow::Owned(char::from(b).to_string()),
        }
    }
}

/// The tokens of a text, skipping whitespace and comments; allocates nothing.
#[derive(Clone)]
struct Tokens<'a> {
    text: &'a str,
    /// Where the next token is looked for.
    i: usize,
    /// Where the last token returned starts.
    start: usize,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Tokens<'a> {
        Tokens { text, i: 0, start: 0 }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let bytes = self.text.as_bytes();
        let ident_start = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
        let ident = |b: u8| ident_start(b) || b == b'$';
        let mut i = self.i;
        let token = loop {
            self.start = i;
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
                    i = string_end(bytes, i, false);
                    break Token::Other(b'\'');
                }
                b'$' => {
                    i = match super::lexer::dollar_tag(bytes, i, bytes.len()) {
                        // A dollar-quoted string: to the same tag again (or the text's end).
                        Some(tag_end) => {
                            let tag = &bytes[i..tag_end];
                            let body = &bytes[tag_end..];
                            body.windows(tag.len())
                                .position(|w| w == tag)
                                .map_or(bytes.len(), |p| tag_end + p + tag.len())
                        }
                        // A parameter: `$` and its digits.
                        None => i + 1 + bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count(),
                    };
                    break if bytes[self.start + 1..i].first().is_some_and(u8::is_ascii_digit) {
                        Token::Other(b'$')
                    } else {
                        Token::Other(b'\'')
                    };
                }
                b'.' => {
                    i += 1;
                    break Token::Dot;
                }
                b if ident_start(b) => {
                    let start = i;
                    while i < bytes.len() && ident(bytes[i]) {
                        i += 1;
                    }
                    // `E'…'`: a string in which a backslash escapes the next character.
                    if i == start + 1 && matches!(b, b'e' | b'E') && bytes.get(i) == Some(&b'\'') {
                        i = string_end(bytes, i, true);
                        break Token::Other(b'\'');
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

/// The end of the string literal whose opening quote is at `i` (`''` inside is a quote; with
/// `escapes`, so is `\'`); the text's end if it is not closed.
fn string_end(bytes: &[u8], mut i: usize, escapes: bool) -> usize {
    i += 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if escapes => i += 2,
            b'\'' if bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b'\'' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Reads a statement's tokens with one token of lookahead, knowing where each ends.
#[derive(Clone)]
struct Reader<'a> {
    text: &'a str,
    /// Just past the last token read.
    tokens: Tokens<'a>,
    /// The next token with its start and end, once looked at (tokenized once, however often
    /// it is looked at).
    ahead: std::cell::Cell<Option<Option<(Token<'a>, usize, usize)>>>,
    /// The end of the last token read.
    end: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Reader<'a> {
        Reader {
            text,
            tokens: Tokens::new(text),
            ahead: std::cell::Cell::new(None),
            end: 0,
        }
    }

    fn look(&self) -> Option<(Token<'a>, usize, usize)> {
        if let Some(ahead) = self.ahead.get() {
            return ahead;
        }
        let mut t = self.tokens.clone();
        let ahead = t.next().map(|token| (token, t.start, t.i));
        self.ahead.set(Some(ahead));
        ahead
    }

    fn next(&mut self) -> Option<Token<'a>> {
        let (token, start, end) = self.look()?;
        self.tokens.start = start;
        self.tokens.i = end;
        self.ahead.set(None);
        self.end = end;
        Some(token)
    }

    fn peek(&self) -> Option<Token<'a>> {
        self.look().map(|(token, _, _)| token)
    }

    fn peek_is(&self, k: &str) -> bool {
        self.peek().is_some_and(|t| t.is(k))
    }

    fn peek2_is(&self, k: &str) -> bool {
        let Some((_, _, end)) = self.look() else { return false };
        let mut t = self.tokens.clone();
        t.i = end;
        t.next().is_some_and(|t| t.is(k))
    }

    /// Where the next token starts.
    fn next_start(&self) -> Option<usize> {
        self.look().map(|(_, start, _)| start)
    }

    /// Reads the keyword `k` if it comes next.
    fn eat(&mut self, k: &str) -> bool {
        self.peek_is(k) && self.next().is_some()
    }

    fn eat_byte(&mut self, b: u8) -> bool {
        self.peek() == Some(Token::Other(b)) && self.next().is_some()
    }

    fn eat_dot(&mut self) -> bool {
        self.peek() == Some(Token::Dot) && self.next().is_some()
    }

    /// A name (a word or a quoted identifier).
    fn name(&mut self) -> Option<String> {
        self.next()
            .filter(|n| matches!(n, Token::Word(_) | Token::Quoted(_)))?
            .name()
            .map(Cow::into_owned)
    }

    /// A possibly qualified name; its last part, as the tree would hold it.
    fn qualified_name(&mut self) -> Option<String> {
        let mut last = self.name()?;
        while self.eat_dot() {
            last = self.name()?;
        }
        Some(last)
    }

    /// Skips a bracketed group, from its `(` (or `[`) to the matching bracket.
    fn skip_group(&mut self) -> Option<()> {
        matches!(self.next()?, Token::Other(b'(' | b'[')).then_some(())?;
        self.skip_rest_of_group()
    }

    /// Skips to the bracket that closes one already read.
    fn skip_rest_of_group(&mut self) -> Option<()> {
        let mut depth = 1usize;
        while depth > 0 {
            match self.next()? {
                Token::Other(b'(' | b'[') => depth += 1,
                Token::Other(b')' | b']') => depth -= 1,
                _ => {}
            }
        }
        Some(())
    }

    /// Whether the next token ends an action or a column: `,`, `;`, `)`, or nothing.
    fn at_separator(&self) -> bool {
        matches!(self.peek(), None | Some(Token::Other(b',' | b';' | b')')))
    }

    fn at_action_end(&self) -> Option<()> {
        self.at_separator().then_some(())
    }

    fn at_end(&mut self) -> Option<()> {
        self.peek().is_none().then_some(())
    }

    /// Skips the rest of an action: to the `,` or `;` outside brackets.
    fn rest(&mut self) -> Option<()> {
        while !self.at_separator() {
            match self.next()? {
                Token::Other(b'(' | b'[') => self.skip_rest_of_group()?,
                Token::Other(b']') => return None,
                _ => {}
            }
        }
        Some(())
    }

    /// A type (`varchar(20)`, `timestamp with time zone`, `s.t[]`), normalised as the tree
    /// reader normalises it; it ends before a column constraint, `USING`, `,`, `;` or `)`.
    fn type_name(&mut self) -> Option<String> {
        let mut words: Vec<Cow<'_, str>> = Vec::new();
        loop {
            match self.peek() {
                Some(t @ Token::Word(_)) if !COLUMN_CONSTRAINT.iter().any(|k| t.is(k)) => {}
                Some(Token::Quoted(_) | Token::Dot) => {}
                Some(Token::Other(b'(' | b'[')) if !words.is_empty() => {
                    let from = self.tokens.clone();
                    self.skip_group()?;
                    // The group's tokens: numbers, commas and names only.
                    let mut inner = from;
                    while inner.i < self.end {
                        let t = inner.next()?;
                        if !matches!(t, Token::Word(_) | Token::Other(b'(' | b')' | b'[' | b']' | b',')) {
                            return None;
                        }
                        words.push(t.word());
                    }
                    continue;
                }
                _ => break,
            }
            words.push(self.next()?.word());
        }
        if !matches!(words.first().map(|w| w.as_bytes()[0]), Some(b) if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80)
        {
            return None;
        }
        Some(super::ddl::normalise_type(&words.join(" ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(sql: &str) -> Kind {
        tree(sql).kind
    }

    /// The tree reader's one statement.
    fn tree(sql: &str) -> Stmt {
        super::super::parse::classify(sql, 0).remove(0)
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
            for stmt in super::super::ddl::classify(&parse.syntax_node(), 0) {
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
                super::super::ddl::classify(&parse.syntax_node(), 0)
                    .iter()
                    .all(|s| s.kind == Kind::Other),
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
            // `if` is not reserved: without `NOT EXISTS` it is the name.
            ("CREATE TABLE if (a int);", Some("if")),
            ("CREATE TABLE if.t (a int);", Some("t")),
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
        // Read by words: the same statement as the tree's, spans included.
        for sql in [
            "UPDATE public.\"Users\" SET a = 1 WHERE b IN (SELECT 1);",
            "delete from t where x = 'a;(b';",
            "WITH RECURSIVE x (n) AS (SELECT 1 UNION SELECT n + 1 FROM x), y AS MATERIALIZED (SELECT 2) UPDATE t SET a = 1;",
            "WITH moved AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM moved;",
            "WITH x AS (SELECT $$)$$, $q$ ( $q$) UPDATE t SET a = E'\\')';",
            "DROP INDEX CONCURRENTLY IF EXISTS s.i1, i2 CASCADE;",
            "DROP TABLE IF EXISTS a, \"B\";",
            "CREATE POLICY p ON s.t USING (owner = current_user);",
            "CREATE TRIGGER tr AFTER INSERT OR UPDATE OF a, b ON s.t FOR EACH ROW EXECUTE FUNCTION f();",
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY s.t USING btree (lower(a)) WHERE a <> '';",
            "create index on t(a);",
            "ALTER TABLE IF EXISTS ONLY s.t\n  -- c\n  ADD COLUMN IF NOT EXISTS x varchar(20) NOT NULL DEFAULT 'a'::text /* z */ , DROP COLUMN y CASCADE, ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES s.u (id) ON DELETE CASCADE NOT VALID;",
            "ALTER TABLE t ADD x int CONSTRAINT fk REFERENCES u(id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED NOT NULL, ADD COLUMN y uuid PRIMARY KEY DEFAULT gen_random_uuid(), ADD z timestamptz UNIQUE DEFAULT now() NULL;",
            "ALTER TABLE t ADD x int PRIMARY KEY ;",
            "ALTER TABLE t ALTER COLUMN a DROP NOT NULL, ALTER a SET DEFAULT 1, ALTER COLUMN b DROP DEFAULT, ALTER COLUMN c SET DATA TYPE text USING c::text, ALTER d TYPE int, ALTER e SET STATISTICS 100, ALTER f SET NOT NULL;",
            "ALTER TABLE t OWNER TO x, ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY, SET SCHEMA foo;",
            "ALTER TABLE t RENAME CONSTRAINT a TO b;",
            "ALTER TABLE t RENAME TO u;",
            "ALTER TABLE t RENAME a TO b;",
            "ALTER TABLE t ADD PRIMARY KEY (a), ADD UNIQUE USING INDEX i, ADD CONSTRAINT u UNIQUE (a) USING INDEX TABLESPACE x, ADD CHECK (a IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT v, DROP CONSTRAINT IF EXISTS w CASCADE, DROP IF EXISTS q;",
            "ALTER TABLE t ADD CONSTRAINT c CHECK ((a IS NOT NULL) AND b > 0 AND (\"C\" IS NOT NULL AND d NOTNULL)), SET LOGGED, SET UNLOGGED;",
            "ALTER TABLE t ADD a int DEFAULT nextval('s'::regclass), ADD b text DEFAULT 'x'::character varying, ADD c numeric(10,2) DEFAULT -1.5, ADD d int[] DEFAULT '{}', ADD e timestamp DEFAULT CURRENT_TIMESTAMP, ADD f jsonb DEFAULT '{}'::jsonb NOT NULL, ADD g text DEFAULT my_fn(1, 'a');",
            "ALTER TABLE t ADD a bigserial, ADD b int GENERATED ALWAYS AS IDENTITY, ADD c int GENERATED BY DEFAULT AS IDENTITY (START WITH 10), ADD d int GENERATED ALWAYS AS (a * 2) STORED, ADE e int CHECK (e > 0);",
            "CREATE TABLE if (a int);",
            "CREATE TABLE IF NOT EXISTS s.t (id int PRIMARY KEY\n, b text UNIQUE\n, c int REFERENCES u, CONSTRAINT k CHECK (c IS NOT NULL), UNIQUE (b, c)) WITH (fillfactor = 70);",
        ] {
            let words = shallow(sql, 0).or_else(|| create_table(sql, 0));
            if sql.contains("ADE e") {
                assert_eq!(words, None, "{sql}");
                continue;
            }
            assert_eq!(words, Some(tree(sql)), "{sql}");
        }
        // Left to the tree: `ONLY` and `*` in DML, anything unexpected, expressions this reader
        // cannot judge without a parse.
        for sql in [
            "UPDATE ONLY t SET a = 1;",
            "DELETE FROM t * WHERE a;",
            "DROP VIEW v;",
            "DROP TABLE a b;",
            "CREATE POLICY p AS PERMISSIVE ON t;",
            "ALTER TABLE t ADD b int DEFAULT now() + interval '1 day';",
            "ALTER TABLE t ADD b int DEFAULT (1);",
            "ALTER TABLE t ADD b int DEFAULT cast(1 AS int);",
            "ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL OR b IS NOT NULL);",
            "ALTER TABLE t ADD CONSTRAINT c CHECK (a BETWEEN 1 AND 2);",
            "ALTER TABLE t ADD CONSTRAINT c EXCLUDE USING gist (a WITH &&);",
            "ALTER TABLE t ATTACH PARTITION p FOR VALUES IN (1);",
            "ALTER TABLE t ADD b text COLLATE \"C\";",
            "CREATE TABLE p PARTITION OF parent FOR VALUES IN (1);",
            "CREATE TABLE m (a int) PARTITION BY RANGE (a);",
            "CREATE TABLE c (LIKE t INCLUDING ALL);",
        ] {
            assert_eq!(shallow(sql, 0).or_else(|| create_table(sql, 0)), None, "{sql}");
        }
        // Spans are the file's.
        let sql = "ALTER TABLE t DROP COLUMN a;";
        let mut moved = tree(sql);
        moved.shift(100);
        assert_eq!(shallow(sql, 100), Some(moved));
    }
}
