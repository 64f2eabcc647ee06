//! Runs N untraced nights of the built-in incident (or of a scenario file): a driver for
//! profilers, whose instruction counts repeat exactly on a shared machine where times do not.
//!
//! ```text
//! cargo build --release --example nights
//! valgrind --tool=callgrind target/release/examples/nights 200      # then callgrind_annotate
//! valgrind --tool=callgrind target/release/examples/nights 0        # loading alone, to subtract
//! ```

use portsim::model::site::run;
use portsim::scenario::{Source, load};
use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let nights: u64 = match args.next().map(|a| a.parse()) {
        None => 100,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("usage: nights [N] [SCENARIO.json]: N must be a whole number of nights");
            std::process::exit(2);
        }
    };
    let source = args
        .next()
        .map_or(Source::Builtin, |p| Source::File(p.into()));
    let sc = match load(&source, &[]) {
        Ok(sc) => sc,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let events: u64 = (0..nights)
        .map(|rep| black_box(run(&sc, rep, false)).events)
        .sum();
    println!("{nights} nights, {events} events");
}
