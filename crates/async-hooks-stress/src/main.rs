//! `async-hooks-stress`: runs the stress test and prints what it did and found.
//!
//! ```text
//! cargo run --release -p async-hooks-stress -- --seconds 10 --threads 2
//! ```
//!
//! Exits with status 1 if any violation was found, 2 on bad arguments or an I/O error.

use std::process::ExitCode;
use std::time::Duration;

use async_hooks_stress::Config;

const USAGE: &str = "usage: async-hooks-stress [--seconds N] [--threads N] [--seed N]

  --seconds N   how long to run (default 10; fractions allowed)
  --threads N   plain threads, and Tokio worker threads (default 2)
  --seed N      seed of the random choices (default 1)";

fn parse(args: impl Iterator<Item = String>) -> Result<Config, String> {
    let mut config = Config::default();
    let mut args = args;
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = || format!("{flag}: not a valid number: {value:?}");
        match flag.as_str() {
            "--seconds" => {
                let seconds: f64 = value.parse().map_err(|_| bad())?;
                config.duration = Duration::try_from_secs_f64(seconds)
                    .map_err(|_| format!("--seconds: out of range: {value}"))?;
            }
            "--threads" => config.threads = value.parse().map_err(|_| bad())?,
            "--seed" => config.seed = value.parse().map_err(|_| bad())?,
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    if config.threads == 0 {
        return Err("--threads must be at least 1".into());
    }
    Ok(config)
}

fn main() -> ExitCode {
    let config = match parse(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("async-hooks-stress: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match async_hooks_stress::run(&config) {
        Ok(report) => {
            print!("{report}");
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("async-hooks-stress: {e}");
            ExitCode::from(2)
        }
    }
}
