//! `ff-graduate --from <database file> --to <postgres URL> [--expire-leases] [--accept-clock]`:
//! copies a sandbox database into FlowFabric's Postgres backend (ff-backend-postgres 0.15).
//! README.md, "Outgrowing the sandbox", shows a run; docs/API.md lists what maps to what.
//!
//! Exit status: 0 copied, 1 refused or failed (nothing was copied), 2 bad arguments.

use ff_backend_wasm::graduate::{graduate, Error, Options};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: ff-graduate --from <database file> --to <postgres URL> [--expire-leases] [--accept-clock]

Copies a sandbox database (exportImage(), the playground's \"Export database\", the edge's
GET /export, or a WasmBackend::open_file file) into FlowFabric's Postgres backend, in one
transaction. The target is prepared with ff-backend-postgres 0.15's own migrations.

  --from FILE       the SQLite file to copy (only read, never changed)
  --to URL          postgres://user[:password]@host[:port]/database
  --expire-leases   end live leases as an expiry would, instead of refusing
  --accept-clock    copy frame ids and timestamps from a clock far from real time
                    (before 2020 or more than a day ahead), instead of refusing";

fn parse(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (mut from, mut to) = (None, None);
    let (mut expire_leases, mut accept_clock) = (false, false);
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value =
            |name: &str| inline.clone().or_else(|| args.next()).ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "--from" => from = Some(PathBuf::from(value("--from")?)),
            "--to" => to = Some(value("--to")?),
            "--expire-leases" => expire_leases = true,
            "--accept-clock" => accept_clock = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Options {
        from: from.ok_or("--from is required")?,
        to: to.ok_or("--to is required")?,
        expire_leases,
        accept_clock,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse(args.into_iter()) {
        Ok(options) => options,
        Err(why) => {
            eprintln!("ff-graduate: {why}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ff-graduate: failed: cannot start an async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(graduate(&options)) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e @ Error::Refused(_)) => {
            eprintln!("ff-graduate: {e}\nNothing was copied; the target was not changed.");
            ExitCode::FAILURE
        }
        Err(e @ Error::Failed(_)) => {
            eprintln!(
                "ff-graduate: {e}\nNothing was copied (the copy's transaction, if it began, rolled back)."
            );
            ExitCode::FAILURE
        }
    }
}
