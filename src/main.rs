use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = migcheck::cli::Cli::parse();
    std::process::ExitCode::from(migcheck::run(cli))
}
