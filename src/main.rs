//! The `syncsim` binary: parse arguments, hand them to the library, return its exit code.

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    match cli::Cli::try_parse() {
        Ok(cli) => {
            // The server stops itself cleanly on Ctrl-C; every other command is stopped by
            // the handler that removes its temporary files.
            if !matches!(cli.command, cli::Command::Serve(_)) {
                cli::handle_interrupts();
            }
            cli::main(cli)
        }
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
