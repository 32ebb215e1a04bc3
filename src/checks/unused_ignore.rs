//! Reported by [`crate::ignore_directives`] after every other check has run.

declare_rule! {
    /// ## What it does
    /// Reports an inline ignore (`-- migproof:ignore CODE` or `-- migproof:ignore-file CODE`)
    /// that silenced nothing: the check reports nothing in the next statement (or the file), or
    /// the word is not the code or name of any check.
    ///
    /// ## Why is this bad
    /// A stale ignore hides the next real problem of that kind at that place, and a misspelt one
    /// silences nothing while looking like it does.
    ///
    /// ## Example
    /// ```sql
    /// -- migproof:ignore MC201
    /// CREATE TABLE users (id int);   -- nothing to ignore: the statement is valid
    /// ```
    ///
    /// ## How to fix
    /// Remove the directive, or the checks in it that no longer report anything.
    pub static RULE = ("MC011", "unused-ignore", Warning, Funnel);
}
