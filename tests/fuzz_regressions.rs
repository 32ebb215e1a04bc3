//! Inputs the fuzz targets (`fuzz/`) found crashing migproof, each kept as a test.

use migproof::discover::parsers;

/// `typescript` target: template literals nested through `${` to any depth. The scanner was
/// recursive (one call per `${`), so this overflowed the stack of any thread (a 150 kB file
/// on an 8 MB main thread; a few MB on the 512 MB parser threads). It is a stack now.
#[test]
fn deeply_nested_template_literals_do_not_overflow_the_stack() {
    // 200,000 levels: far beyond the 2 MB stack of a test thread for the recursive scanner.
    let text = "`${".repeat(200_000);
    assert!(parsers::sql_literals(&text).is_empty());
    assert_eq!(parsers::without_comments(&text), text);
    let prefix = "await db.exec(`";
    let call = format!("{prefix}{}", "${`".repeat(200_000));
    let literals = parsers::sql_literals(&call);
    assert_eq!(literals.len(), 1, "only the outermost literal follows `.exec(`");
    assert_eq!(literals[0].span, prefix.len()..call.len());
    assert!(literals[0].interpolated);
}

/// The whole check on a TypeORM module holding such nesting: loaded, no crash.
#[test]
fn deeply_nested_template_literals_in_a_migration_module() {
    let dir = tempfile::tempdir().unwrap();
    let module = format!(
        "export class Deep1700000000000 {{\n  public async up(queryRunner: QueryRunner): Promise<void> {{\n    await queryRunner.query(`{}`);\n  }}\n}}\n",
        "`${".repeat(50_000)
    );
    std::fs::write(dir.path().join("1700000000000-Deep.ts"), module).unwrap();
    let outcome = migproof::check(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!(outcome.sets.len(), 1);
    assert_eq!(outcome.sets[0].format, "typeorm");
}

/// Nested literals keep their order (inner first) and spans now that the scanner keeps a stack.
#[test]
fn nested_template_literals_keep_their_spans() {
    let text = "} db.query(`a ${ db.query(`b`) } c`); db.exec(`d ${ '`' + {x: 1}.x } e`); db.exec(`f`";
    let found: Vec<&str> = parsers::sql_literals(text)
        .iter()
        .map(|l| &text[l.span.clone()])
        .collect();
    assert_eq!(found, ["b", "a ${ db.query(`b`) } c", "d ${ '`' + {x: 1}.x } e", "f"]);
}
