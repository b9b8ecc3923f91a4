//! The `syncsim` binary: parse arguments, hand them to the library, return its exit code.

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    cli::handle_interrupts();
    match cli::Cli::try_parse() {
        Ok(cli) => cli::main(cli),
        Err(e) => {
            let _ = e.print();
            // Help and version are successes; every usage error is bad input.
            if e.use_stderr() {
                ExitCode::from(cli::EXIT_BAD_INPUT)
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}
