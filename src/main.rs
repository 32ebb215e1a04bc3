use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = migproof::cli::Cli::parse();
    std::process::ExitCode::from(migproof::run(cli))
}
