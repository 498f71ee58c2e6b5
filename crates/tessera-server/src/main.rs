//! `tessera`: set up keys, and issue, verify and explain tokens.
//!
//! All the work happens in [`tessera_server::cli`]; this edge only parses
//! arguments and turns a failure into one `error: …` line and exit code 1.

use std::io::Write;
use std::process::ExitCode;

use tessera_server::cli;

// The server allocates a little on every request (headers, claims); mimalloc
// serves those small, short-lived blocks faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = match cli::parse() {
        Ok(args) => args,
        Err(exit) => return exit,
    };
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        // `tessera token explain | head` closing the pipe early is not a failure.
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            // Nothing more can be done if stderr itself is gone.
            let _ = writeln!(
                std::io::stderr(),
                "error: {}",
                cli::one_line(&err.to_string())
            );
            ExitCode::FAILURE
        }
    }
}
