//! `trdsim verify`: check every file against run.json, rerun the run and compare.

use std::path::Path;

use crate::analysis::verify;
use crate::output;

use super::{EXIT_FAILURE, EXIT_OK, fail, out};

/// Check a recorded run's files against their SHA-256 in run.json, rerun it and compare
/// its files; prints "identical" or every difference.
///
/// The rerun goes to `trdsim-verify-PID/` in the system's temporary directory, removed
/// afterwards (also on SIGINT/SIGTERM, which the rerun receives too); those of verify
/// processes that no longer run are removed first.
pub fn verify(dir: &Path) -> i32 {
    let rerun = match verify::rerun(dir) {
        Ok(r) => r,
        Err(e) => return fail(None, &e),
    };
    let mut args = rerun.args;
    let base = std::env::temp_dir();
    output::remove_stale(&base, "trdsim-verify-");
    let path = base.join(format!("trdsim-verify-{}", std::process::id()));
    let work = match output::Temp::create_dir(path.clone()) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: cannot create `{}`: {e}", path.display());
            return EXIT_FAILURE;
        }
    };
    let tmp = work.path().join("rerun");
    args.extend(["--out".into(), tmp.display().to_string()]);
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot find the trdsim executable: {e}");
            return EXIT_FAILURE;
        }
    };
    out(&format!("rerunning: trdsim {}\n", args.join(" ")));
    let status = output::run_child(
        std::process::Command::new(exe)
            .args(&args)
            .stdout(std::process::Stdio::null()),
    );
    if !matches!(status, Ok(s) if s.success()) {
        eprintln!("error: the rerun failed");
        return EXIT_FAILURE;
    }
    let mut differences = verify::manifest_differences(dir);
    differences.extend(verify::compare_dirs(dir, &tmp));
    drop(work);
    if differences.is_empty() {
        out("identical\n");
        EXIT_OK
    } else {
        for d in &differences {
            out(&format!("{d}\n"));
        }
        let files: std::collections::BTreeSet<&str> =
            differences.iter().map(|d| d.file.as_str()).collect();
        eprintln!(
            "error: {} file(s) differ from the recorded run or the rerun",
            files.len()
        );
        EXIT_FAILURE
    }
}
