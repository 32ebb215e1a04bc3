//! The floor for "read and parse every file": reads each file named on the command line (or
//! listed, one per line, in the file given with `@LIST`) and parses it with squawk-syntax on all
//! cores, nothing else. `bench/compare.sh` times migproof against it.

use rayon::prelude::*;

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
    let errors: usize = files
        .par_iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            squawk_syntax::SourceFile::parse(&text).errors().len()
        })
        .sum();
    println!("{} files, {errors} syntax errors", files.len());
}
