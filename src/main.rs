//! The `trdsim` command; all logic lives in the library's `cli` module.

fn main() {
    std::process::exit(trdsim::cli::main(std::env::args_os()));
}
