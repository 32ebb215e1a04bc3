//! `--format github`: GitHub Actions workflow commands, one annotation per finding
//! (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=MC001::…`), then the summary line.
//! Also printed after the human report when `GITHUB_ACTIONS=true` and no format was chosen.

use crate::checks::{Finding, Severity};
use crate::outcome::Outcome;
use crate::report::{human, sarif};

/// Escapes the message part of a workflow command.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`), where `:` and `,` are separators too.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One annotation line.
pub fn annotation(f: &Finding) -> String {
    let command = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let mut props = vec![format!("file={}", property(&f.location.path))];
    if f.location.text.is_some() {
        let (line, col) = f.location.line_col();
        let (end_line, end_col) = sarif::end_line_col(&f.location);
        props.push(format!("line={line}"));
        props.push(format!("col={col}"));
        props.push(format!("endLine={end_line}"));
        if end_line == line {
            props.push(format!("endColumn={}", end_col.max(col)));
        }
    }
    props.push(format!("title={}", property(f.rule.code)));
    let mut message = format!("{}: {}", f.rule.name, f.message);
    if let Some(help) = &f.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    format!("::{command} {}::{}\n", props.join(","), data(&message))
}

/// Every annotation.
pub fn annotations(outcome: &Outcome) -> String {
    outcome.findings.iter().map(annotation).collect()
}

/// The annotations and the summary line.
pub fn render(outcome: &Outcome) -> String {
    let mut out = annotations(outcome);
    out.push_str(&human::summary_line(outcome));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_workflow_command_rules() {
        assert_eq!(data("50%\r\nnext"), "50%25%0D%0Anext");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
