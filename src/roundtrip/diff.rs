//! Comparing two snapshots: what is missing, left behind, changed or only renamed, object by
//! object, with column order judged apart from the columns themselves.

use std::collections::{BTreeMap, BTreeSet};

use super::snapshot::{Key, Object, SEP, Snapshot};

/// One difference between an expected and an actual snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// In the actual schema only.
    Extra { kind: String, name: String },
    /// In the expected schema only.
    Missing { kind: String, name: String },
    /// Both have it, with different definitions (`what`: "type", "default", "definition", …).
    Differs {
        kind: String,
        name: String,
        what: String,
        expected: String,
        actual: String,
    },
    /// Same definition, another (auto-generated) name.
    Renamed {
        kind: String,
        expected: String,
        actual: String,
    },
    /// Enum labels added or removed.
    EnumLabels {
        name: String,
        extra: Vec<String>,
        missing: Vec<String>,
    },
    /// Same columns, another order (a warning, MC307).
    ColumnOrder {
        kind: String,
        name: String,
        expected: Vec<String>,
        actual: Vec<String>,
    },
}

/// What the comparison is about, for wording: after a down (compared with before the up), or
/// after the second up (compared with after the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Down,
    Reapply,
}

impl Change {
    /// Column order only: a warning, not an error.
    pub fn is_order_only(&self) -> bool {
        matches!(self, Change::ColumnOrder { .. })
    }

    /// Both definitions, when [`Change::describe`] leaves them out (they are long).
    pub fn detail(&self) -> Option<String> {
        match self {
            Change::Differs {
                kind,
                name,
                what,
                expected,
                actual,
            } if what == "definition" && kind != "comment" && (expected.len() > 60 || actual.len() > 60) => {
                Some(format!(
                    "{kind} `{name}`\n  expected: {}\n  actual:   {}",
                    short(expected),
                    short(actual)
                ))
            }
            _ => None,
        }
    }

    /// One line naming the object, e.g. "table `audit_log` left behind".
    pub fn describe(&self, ctx: Context) -> String {
        let (extra, missing) = match ctx {
            Context::Down => ("left behind", "missing"),
            Context::Reapply => ("appears only after the second up", "missing after the second up"),
        };
        match self {
            Change::Extra { kind, name } => format!("{kind} `{name}` {extra}"),
            Change::Missing { kind, name } => format!("{kind} `{name}` {missing}"),
            Change::Differs {
                kind,
                name,
                what,
                expected,
                actual,
            } => {
                let show = |s: &str| {
                    if s.is_empty() {
                        "none".to_string()
                    } else {
                        format!("`{}`", short(s))
                    }
                };
                if kind == "comment" {
                    format!("comment `{name}` text differs: {} → {}", show(expected), show(actual))
                } else if what == "definition" && (expected.len() > 60 || actual.len() > 60) {
                    format!("{kind} `{name}` definition differs")
                } else {
                    format!("{kind} `{name}` {what} differs: {} → {}", show(expected), show(actual))
                }
            }
            Change::Renamed { kind, expected, actual } => {
                format!("{kind} `{expected}` is now named `{actual}` (same definition; its name was generated)")
            }
            Change::EnumLabels {
                name,
                extra: e,
                missing: m,
            } => {
                let mut parts = Vec::new();
                for l in e {
                    parts.push(format!("enum `{name}` value `{l}` {extra}"));
                }
                for l in m {
                    parts.push(format!("enum `{name}` value `{l}` {missing}"));
                }
                if parts.is_empty() {
                    parts.push(format!("enum `{name}` values are in a different order"));
                }
                parts.join("; ")
            }
            Change::ColumnOrder {
                kind,
                name,
                expected,
                actual,
            } => format!(
                "{kind} `{name}` has its columns in another order: ({}) → ({})",
                expected.join(", "),
                actual.join(", ")
            ),
        }
    }
}

fn short(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 160 {
        format!("{}…", one_line.chars().take(159).collect::<String>())
    } else {
        one_line
    }
}

/// Kinds that own columns, constraints, indexes, triggers and policies.
const RELATIONS: &[&str] = &[
    "table",
    "view",
    "materialized view",
    "foreign table",
    "type",
    "sequence",
];

/// `public.x` reads as `x`.
fn display(name: &str) -> String {
    name.strip_prefix("public.").unwrap_or(name).to_string()
}

fn child_name(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        display(name).replace(" public.", " ")
    } else {
        format!("{}.{name}", display(parent))
    }
}

/// Everything that differs between `expected` and `actual`, in a stable order.
pub fn diff(expected: &Snapshot, actual: &Snapshot) -> Vec<Change> {
    let e = &expected.objects;
    let a = &actual.objects;
    let mut changes = Vec::new();

    // Relations wholly missing or extra: their columns, indexes… are not listed one by one.
    let whole = |from: &BTreeMap<Key, Object>, to: &BTreeMap<Key, Object>| -> BTreeSet<String> {
        from.keys()
            .filter(|k| RELATIONS.contains(&k.0.as_str()) && !to.contains_key(*k))
            .map(|k| k.2.clone())
            .collect()
    };
    let gone: BTreeSet<String> = whole(e, a).union(&whole(a, e)).cloned().collect();
    let belongs_to_gone = |k: &Key| {
        gone.contains(&k.1)
            || (k.0 == "comment"
                && gone
                    .iter()
                    .any(|g| k.2 == format!("on {g}") || k.2.starts_with(&format!("on column {g}."))))
    };

    let mut extra: Vec<&Key> = a
        .keys()
        .filter(|k| !e.contains_key(*k) && !belongs_to_gone(k))
        .collect();
    let mut missing: Vec<&Key> = e
        .keys()
        .filter(|k| !a.contains_key(*k) && !belongs_to_gone(k))
        .collect();

    // Same kind, same owner, same definition apart from the name: a drifted generated name.
    let mut renamed = Vec::new();
    missing.retain(|m| {
        if !["index", "constraint", "sequence"].contains(&m.0.as_str()) {
            return true;
        }
        let key = rename_key(m, &e[*m]);
        if let Some(pos) = extra
            .iter()
            .position(|x| x.0 == m.0 && x.1 == m.1 && rename_key(x, &a[*x]) == key)
        {
            let x = extra.remove(pos);
            renamed.push(Change::Renamed {
                kind: m.0.clone(),
                expected: child_name(&m.1, &m.2),
                actual: child_name(&x.1, &x.2),
            });
            false
        } else {
            true
        }
    });

    if !extra.is_empty() || !missing.is_empty() || !renamed.is_empty() {
        for k in &missing {
            if k.0 != "column" && k.0 != "attribute" {
                changes.push(Change::Missing {
                    kind: k.0.clone(),
                    name: child_name(&k.1, &k.2),
                });
            }
        }
        for k in &extra {
            if k.0 != "column" && k.0 != "attribute" {
                changes.push(Change::Extra {
                    kind: k.0.clone(),
                    name: child_name(&k.1, &k.2),
                });
            }
        }
        changes.extend(renamed);
    }
    // Columns: as a set first (kept in the order above for stable output).
    for k in &missing {
        if k.0 == "column" || k.0 == "attribute" {
            changes.push(Change::Missing {
                kind: k.0.clone(),
                name: child_name(&k.1, &k.2),
            });
        }
    }
    for k in &extra {
        if k.0 == "column" || k.0 == "attribute" {
            changes.push(Change::Extra {
                kind: k.0.clone(),
                name: child_name(&k.1, &k.2),
            });
        }
    }

    // Objects in both, with different definitions.
    let mut reordered_relations = BTreeSet::new();
    for (k, eo) in e {
        let Some(ao) = a.get(k) else { continue };
        if eo.cmp == ao.cmp {
            continue;
        }
        let name = child_name(&k.1, &k.2);
        match k.0.as_str() {
            "column" | "attribute" => {
                const WHAT: [&str; 6] = [
                    "type",
                    "not null",
                    "default",
                    "identity",
                    "generated expression",
                    "collation",
                ];
                let ep: Vec<&str> = eo.def.split(SEP).collect();
                let ap: Vec<&str> = ao.def.split(SEP).collect();
                for (i, what) in WHAT.iter().enumerate() {
                    let (x, y) = (ep.get(i).copied().unwrap_or(""), ap.get(i).copied().unwrap_or(""));
                    if x != y {
                        let (x, y) = if *what == "not null" {
                            (
                                if x.is_empty() { "null" } else { x },
                                if y.is_empty() { "null" } else { y },
                            )
                        } else {
                            (x, y)
                        };
                        changes.push(Change::Differs {
                            kind: k.0.clone(),
                            name: name.clone(),
                            what: what.to_string(),
                            expected: x.to_string(),
                            actual: y.to_string(),
                        });
                    }
                }
            }
            "enum" => {
                let el: Vec<&str> = eo.def.split(SEP).collect();
                let al: Vec<&str> = ao.def.split(SEP).collect();
                changes.push(Change::EnumLabels {
                    name,
                    extra: al.iter().filter(|l| !el.contains(l)).map(|l| l.to_string()).collect(),
                    missing: el.iter().filter(|l| !al.contains(l)).map(|l| l.to_string()).collect(),
                });
            }
            "view" | "materialized view" if same_lines(&eo.def, &ao.def) => {
                // `SELECT t.*` expanded in another column order: the same view, reordered.
                reordered_relations.insert(k.2.clone());
            }
            _ => changes.push(Change::Differs {
                kind: k.0.clone(),
                name,
                what: "definition".to_string(),
                expected: eo.def.clone(),
                actual: ao.def.clone(),
            }),
        }
    }

    // Column order, per relation present in both.
    let (eorder, aorder) = (column_orders(e), column_orders(a));
    let empty = Vec::new();
    for rel in e
        .keys()
        .filter(|k| RELATIONS.contains(&k.0.as_str()) && a.contains_key(*k))
    {
        let eo = eorder.get(rel.2.as_str()).unwrap_or(&empty);
        let ao = aorder.get(rel.2.as_str()).unwrap_or(&empty);
        let common = |v: &[&String], other: &[&String]| -> Vec<String> {
            v.iter().filter(|c| other.contains(c)).map(|c| c.to_string()).collect()
        };
        let (ec, ac) = (common(eo, ao), common(ao, eo));
        if ec != ac || reordered_relations.contains(&rel.2) {
            changes.push(Change::ColumnOrder {
                kind: rel.0.clone(),
                name: display(&rel.2),
                expected: ec,
                actual: ac,
            });
        }
    }
    changes
}

/// Each relation's column names in position order.
fn column_orders(s: &BTreeMap<Key, Object>) -> BTreeMap<&str, Vec<&String>> {
    let mut by_rel: BTreeMap<&str, Vec<(i32, &String)>> = BTreeMap::new();
    for (k, o) in s {
        if k.0 == "column" || k.0 == "attribute" {
            by_rel.entry(k.1.as_str()).or_default().push((o.ord, &k.2));
        }
    }
    by_rel
        .into_iter()
        .map(|(rel, mut cols)| {
            cols.sort();
            (rel, cols.into_iter().map(|(_, n)| n).collect())
        })
        .collect()
}

/// An object's definition without its own name, to recognise a rename.
fn rename_key(k: &Key, o: &Object) -> String {
    match k.0.as_str() {
        "index" | "trigger" => o.def.replacen(&format!(" {} ", k.2), " ", 1),
        _ => o.cmp.clone(),
    }
}

/// Two view definitions with the same lines in another order (trailing commas aside).
fn same_lines(x: &str, y: &str) -> bool {
    let lines = |s: &str| {
        let mut v: Vec<String> = s
            .lines()
            .map(|l| {
                let l = l.trim();
                let l = l.strip_prefix("SELECT ").unwrap_or(l);
                l.trim_end_matches(',').to_string()
            })
            .collect();
        v.sort();
        v
    };
    lines(x) == lines(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(rows: &[(&str, &str, &str, &str, i32)]) -> Snapshot {
        Snapshot::from_rows(
            rows.iter()
                .map(|(k, p, n, d, o)| (k.to_string(), p.to_string(), n.to_string(), d.to_string(), *o))
                .collect(),
            "",
            "",
        )
    }

    fn col(ty: &str, notnull: bool, default: &str) -> String {
        [ty, if notnull { "not null" } else { "" }, default, "", "", ""].join("\u{1f}")
    }

    fn described(e: &Snapshot, a: &Snapshot) -> Vec<String> {
        diff(e, a).iter().map(|c| c.describe(Context::Down)).collect()
    }

    #[test]
    fn equal_snapshots_have_no_changes() {
        let s = snap(&[
            ("table", "", "public.t", "", 0),
            ("column", "public.t", "id", &col("integer", true, ""), 1),
        ]);
        assert!(diff(&s, &s.clone()).is_empty());
    }

    #[test]
    fn a_table_left_behind_is_one_change_not_one_per_column() {
        let before = snap(&[]);
        let after = snap(&[
            ("table", "", "public.audit_log", "", 0),
            ("column", "public.audit_log", "id", &col("bigint", true, ""), 1),
            (
                "index",
                "public.audit_log",
                "audit_log_at_idx",
                "CREATE INDEX audit_log_at_idx ON …",
                0,
            ),
        ]);
        assert_eq!(described(&before, &after), ["table `audit_log` left behind"]);
        assert_eq!(described(&after, &before), ["table `audit_log` missing"]);
    }

    #[test]
    fn column_attributes_are_compared_one_by_one() {
        let t = ("table", "", "public.users", "", 0);
        let before = snap(&[t, ("column", "public.users", "email", &col("text", false, ""), 2)]);
        let after = snap(&[
            t,
            (
                "column",
                "public.users",
                "email",
                &col("character varying(255)", true, "''::character varying"),
                2,
            ),
        ]);
        assert_eq!(
            described(&before, &after),
            [
                "column `users.email` type differs: `text` → `character varying(255)`",
                "column `users.email` not null differs: `null` → `not null`",
                "column `users.email` default differs: none → `''::character varying`",
            ]
        );
    }

    #[test]
    fn a_drifted_generated_name_is_reported_as_a_rename() {
        let t = ("table", "", "public.x", "", 0);
        let before = snap(&[
            t,
            (
                "index",
                "public.x",
                "x_a_idx",
                "CREATE INDEX x_a_idx ON public.x USING btree (a)",
                0,
            ),
        ]);
        let after = snap(&[
            t,
            (
                "index",
                "public.x",
                "x_a_idx1",
                "CREATE INDEX x_a_idx1 ON public.x USING btree (a)",
                0,
            ),
        ]);
        assert_eq!(
            described(&before, &after),
            ["index `x.x_a_idx` is now named `x.x_a_idx1` (same definition; its name was generated)"]
        );
        let other = snap(&[
            t,
            (
                "index",
                "public.x",
                "x_a_idx1",
                "CREATE INDEX x_a_idx1 ON public.x USING btree (b)",
                0,
            ),
        ]);
        assert_eq!(
            described(&before, &other),
            ["index `x.x_a_idx` missing", "index `x.x_a_idx1` left behind"]
        );
    }

    #[test]
    fn enum_values_are_named() {
        let before = snap(&[("enum", "", "public.status", "active\u{1f}closed", 0)]);
        let after = snap(&[("enum", "", "public.status", "active\u{1f}closed\u{1f}archived", 0)]);
        assert_eq!(
            described(&before, &after),
            ["enum `status` value `archived` left behind"]
        );
    }

    #[test]
    fn column_order_alone_is_a_warning() {
        let t = ("table", "", "public.t", "", 0);
        let before = snap(&[
            t,
            ("column", "public.t", "a", &col("int", false, ""), 1),
            ("column", "public.t", "b", &col("int", false, ""), 2),
        ]);
        let after = snap(&[
            t,
            ("column", "public.t", "a", &col("int", false, ""), 3),
            ("column", "public.t", "b", &col("int", false, ""), 2),
        ]);
        let changes = diff(&before, &after);
        assert_eq!(changes.len(), 1);
        assert!(changes[0].is_order_only());
        assert_eq!(
            changes[0].describe(Context::Down),
            "table `t` has its columns in another order: (a, b) → (b, a)"
        );
    }

    #[test]
    fn view_with_expanded_star_in_another_order_is_order_only() {
        let v = |d: &str| snap(&[("view", "", "public.v", d, 0)]);
        let changes = diff(
            &v(" SELECT t.a,\n    t.b\n   FROM t;"),
            &v(" SELECT t.b,\n    t.a\n   FROM t;"),
        );
        assert!(changes.iter().all(Change::is_order_only), "{changes:?}");
        let changes = diff(&v(" SELECT t.a\n   FROM t;"), &v(" SELECT t.b\n   FROM t;"));
        assert!(!changes.iter().all(Change::is_order_only));
    }

    #[test]
    fn function_bodies_differing_in_layout_are_equal() {
        let f = |d: &str| snap(&[("function", "", "public.f()", d, 0)]);
        let a = "CREATE FUNCTION f() AS $$\nBEGIN\n  -- note\n  RETURN 1;\nEND $$";
        let b = "CREATE FUNCTION f() AS $$ BEGIN RETURN 1; END $$";
        assert!(diff(&f(a), &f(b)).is_empty());
        assert_eq!(
            diff(&f(a), &f("CREATE FUNCTION f() AS $$ BEGIN RETURN 2; END $$")).len(),
            1
        );
    }

    #[test]
    fn function_left_behind_and_default_left_behind() {
        let t = ("table", "", "public.t", "", 0);
        let before = snap(&[t, ("column", "public.t", "n", &col("integer", false, ""), 1)]);
        let after = snap(&[
            t,
            ("column", "public.t", "n", &col("integer", false, "0"), 1),
            ("function", "", "public.touch()", "CREATE FUNCTION touch() …", 0),
        ]);
        assert_eq!(
            described(&before, &after),
            [
                "function `touch()` left behind",
                "column `t.n` default differs: none → `0`"
            ]
        );
    }
}
