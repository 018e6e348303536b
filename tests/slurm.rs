//! The README's Slurm job array, `scripts/slurm-psa.sbatch`, on a real single-node cluster:
//! munged, slurmctld and slurmd are started here with a minimal `slurm.conf` in a temporary
//! directory, a small flagship PSA is submitted with `sbatch` as an array of slices, and
//! `trdsim merge` of the slices must equal one run of the same draws byte for byte.
//!
//! The cluster needs Debian's `slurm-wlm` and `munge`, and root (slurmd launches the job
//! steps). `.ci/run` installs them and sets `TRDSIM_REQUIRE_SLURM=1`, so in CI the test must
//! run; elsewhere, without them, it prints why it was skipped. The script's slice arithmetic
//! and its refusals are also checked without Slurm, by running it with the array variables
//! Slurm would set.
//!
//! The same cluster then runs the nested EVPPI of the merged run as an array,
//! `scripts/slurm-evppi.sbatch` (slices of the outer draws, `trdsim voi --outer-range`),
//! combines the slices with `trdsim voi --merge`, and the result must equal one unsliced
//! nested analysis byte for byte.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

use crate::common::{code, root, s, stderr, stdout, tempdir, trdsim};

const SCRIPT: &str = "scripts/slurm-psa.sbatch";
const EVPPI_SCRIPT: &str = "scripts/slurm-evppi.sbatch";
const SCENARIO: &str = "scenarios/eko-vs-ect.yaml";
/// Seven draws in three slices: integer division makes them 1..2, 3..4 and 5..7.
const DRAWS: usize = 7;
const SLICES: usize = 3;
const RUN_OPTIONS: [&str; 4] = ["--individuals", "200", "--draw-individuals", "100"];
/// Five outer draws in three slices: 1..1, 2..3 and 4..5.
const OUTER: usize = 5;
/// A group and a parameter of the flagship, with tiny inner samples.
const VOI_OPTIONS: [&str; 8] = [
    "--groups",
    "maintenance",
    "--params",
    "u_remission",
    "--inner",
    "4",
    "--individuals",
    "50",
];
/// The partition of the test cluster (its only one).
const PARTITION: &str = "trdsim";

/// A Command without the Slurm variables of the environment the tests run in (they may run
/// inside a Slurm job, whose variables would steer `sbatch` and the script).
fn clean_command(program: &Path) -> Command {
    let mut command = Command::new(program);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if ["SLURM_", "SBATCH_", "SALLOC_", "SRUN_"]
            .iter()
            .any(|p| key.starts_with(p))
        {
            command.env_remove(&*key);
        }
    }
    command
}

/// The script run by bash outside Slurm, as array task `id` of `first..=max` (`count` tasks),
/// with `echo` standing in for trdsim so that its arguments can be read back.
fn script_task(work: &Path, task: (usize, usize, usize, usize), args: &[&str]) -> Output {
    script_task_of(SCRIPT, work, task, args)
}

/// [`script_task`] of another script.
fn script_task_of(
    script: &str,
    work: &Path,
    task: (usize, usize, usize, usize),
    args: &[&str],
) -> Output {
    let (id, first, max, count) = task;
    clean_command(Path::new("bash"))
        .arg(root().join(script))
        .args(args)
        .current_dir(work)
        .env("TRDSIM", "echo")
        .env("SLURM_ARRAY_TASK_ID", id.to_string())
        .env("SLURM_ARRAY_TASK_MIN", first.to_string())
        .env("SLURM_ARRAY_TASK_MAX", max.to_string())
        .env("SLURM_ARRAY_TASK_COUNT", count.to_string())
        .output()
        .expect("bash runs")
}

/// The `--draw-range A..B` the script passed to trdsim.
fn draw_range(out: &Output) -> (usize, usize) {
    range_of(out, "--draw-range")
}

/// The range `A..B` after `flag` in the arguments the script passed to trdsim.
fn range_of(out: &Output, flag: &str) -> (usize, usize) {
    let text = stdout(out);
    let range = text
        .split_whitespace()
        .skip_while(|w| *w != flag)
        .nth(1)
        .unwrap_or_else(|| panic!("no {flag} in {text:?}"));
    let (a, b) = range.split_once("..").expect("A..B");
    (a.parse().unwrap(), b.parse().unwrap())
}

#[test]
fn the_slurm_script_gives_every_draw_to_exactly_one_array_task() {
    let tmp = tempdir();
    let slices = tmp.path().join("slices");
    for draws in 1..=17 {
        for n in 1..=draws.min(6) {
            // The tasks' ranges, in task order, must tile 1..draws with no gap or overlap.
            let mut next = 1;
            for id in 0..n {
                let args = [SCENARIO, &draws.to_string(), s(&slices), "--seed", "9"];
                let out = script_task(tmp.path(), (id, 0, n - 1, n), &args);
                assert_eq!(code(&out), 0, "{}", stderr(&out));
                let (a, b) = draw_range(&out);
                assert_eq!(a, next, "{draws} draws, task {id} of {n}: {}", stdout(&out));
                assert!(
                    b >= a,
                    "{draws} draws, task {id} of {n}: empty slice {a}..{b}"
                );
                next = b + 1;
                let words: Vec<String> =
                    stdout(&out).split_whitespace().map(String::from).collect();
                let expected_tail = ["--out", &format!("{}/{id}", s(&slices)), "--seed", "9"];
                assert!(
                    words.ends_with(&expected_tail.map(String::from)),
                    "the slice directory and the run options are passed on: {words:?}"
                );
                assert!(
                    words
                        .windows(2)
                        .any(|w| w == ["--draws", &draws.to_string()])
                );
            }
            assert_eq!(next, draws + 1, "{draws} draws in {n} slices");
        }
    }
}

#[test]
fn the_slurm_script_refuses_arrays_that_would_lose_draws() {
    let tmp = tempdir();
    let run = |task, draws: &str| script_task(tmp.path(), task, &[SCENARIO, draws, "slices"]);
    let cases = [
        // --array=1-2: draws of slice 0 would belong to no task.
        (
            run((1, 1, 2, 2), "10"),
            "the array must be 0-1 in steps of one",
        ),
        // --array=0-4:2: three tasks, but slice indices 0, 2, 4.
        (
            run((2, 0, 4, 3), "10"),
            "the array must be 0-2 in steps of one",
        ),
        (
            run((0, 0, 3, 4), "3"),
            "DRAWS (3) must be at least the number of array tasks (4)",
        ),
        (
            run((0, 0, 1, 2), "ten"),
            "DRAWS must be a positive whole number, found 'ten'",
        ),
    ];
    for (out, message) in cases {
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        assert!(stderr(&out).contains(message), "{}", stderr(&out));
        assert!(stdout(&out).is_empty(), "trdsim was not started");
    }
    let out = clean_command(Path::new("bash"))
        .arg(root().join(SCRIPT))
        .args([SCENARIO, "10", "slices"])
        .current_dir(tmp.path())
        .output()
        .expect("bash runs");
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("not a Slurm array task"),
        "{}",
        stderr(&out)
    );
    let out = script_task(tmp.path(), (0, 0, 0, 1), &[SCENARIO, "10"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("usage: sbatch --array="),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_evppi_script_gives_every_outer_draw_to_exactly_one_array_task() {
    let tmp = tempdir();
    let slices = tmp.path().join("slices");
    for outer in 1..=13 {
        for n in 1..=outer.min(5) {
            let mut next = 1;
            for id in 0..n {
                let args = ["run", &outer.to_string(), s(&slices), "--inner", "7"];
                let out = script_task_of(EVPPI_SCRIPT, tmp.path(), (id, 0, n - 1, n), &args);
                assert_eq!(code(&out), 0, "{}", stderr(&out));
                let (a, b) = range_of(&out, "--outer-range");
                assert!(
                    a == next && b >= a,
                    "{outer} outer draws, task {id} of {n}: {a}..{b}"
                );
                next = b + 1;
                let words: Vec<String> =
                    stdout(&out).split_whitespace().map(String::from).collect();
                let head = [
                    "voi",
                    "run",
                    "--method",
                    "nested",
                    "--outer",
                    &outer.to_string(),
                ];
                assert!(words.starts_with(&head.map(String::from)), "{words:?}");
                let tail = ["--out", &format!("{}/{id}", s(&slices)), "--inner", "7"];
                assert!(words.ends_with(&tail.map(String::from)), "{words:?}");
            }
            assert_eq!(next, outer + 1, "{outer} outer draws in {n} slices");
        }
    }
    let run =
        |task, outer: &str| script_task_of(EVPPI_SCRIPT, tmp.path(), task, &["run", outer, "s"]);
    for (out, message) in [
        (
            run((1, 1, 2, 2), "10"),
            "the array must be 0-1 in steps of one",
        ),
        (
            run((0, 0, 3, 4), "3"),
            "OUTER (3) must be at least the number of array tasks (4)",
        ),
        (
            run((0, 0, 1, 2), "x"),
            "OUTER must be a positive whole number, found 'x'",
        ),
    ] {
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        assert!(stderr(&out).contains(message), "{}", stderr(&out));
        assert!(stdout(&out).is_empty(), "trdsim was not started");
    }
}

/// Slurm's programs, from PATH or the system directories where Debian installs them.
struct Programs {
    sbatch: PathBuf,
    sinfo: PathBuf,
    squeue: PathBuf,
    scancel: PathBuf,
    slurmctld: PathBuf,
    slurmd: PathBuf,
    munged: PathBuf,
}

fn programs() -> Result<Programs, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let system = [
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/usr/local/sbin",
        "/usr/local/bin",
    ];
    let mut missing = Vec::new();
    let mut find = |name: &str| {
        let found = std::env::split_paths(&path)
            .chain(system.map(PathBuf::from))
            .map(|dir| dir.join(name))
            .find(|p| p.is_file());
        found.unwrap_or_else(|| {
            missing.push(name.to_string());
            PathBuf::new()
        })
    };
    let programs = Programs {
        sbatch: find("sbatch"),
        sinfo: find("sinfo"),
        squeue: find("squeue"),
        scancel: find("scancel"),
        slurmctld: find("slurmctld"),
        slurmd: find("slurmd"),
        munged: find("munged"),
    };
    if missing.is_empty() {
        Ok(programs)
    } else {
        Err(format!("{} not found", missing.join(", ")))
    }
}

/// A running single-node cluster. Dropping it cancels what is left in its queue and stops
/// its daemons, also when the test failed.
struct Cluster {
    conf: PathBuf,
    logs: PathBuf,
    bin: Programs,
    daemons: Vec<Child>,
    /// Holds the configuration, keys, state and logs; removed after the daemons have stopped.
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// A Slurm client command for this cluster.
    fn command(&self, program: &Path) -> Command {
        let mut command = clean_command(program);
        command.env("SLURM_CONF", &self.conf);
        command
    }

    /// Starts `program` in the foreground of a child process, its output in the log directory.
    fn spawn(&mut self, name: &str, program: &Path, args: &[&str]) {
        let log = |suffix| {
            fs::File::create(self.logs.join(format!("{name}.{suffix}"))).expect("a log file")
        };
        let child = clean_command(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log("out"))
            .stderr(log("err"))
            .spawn()
            .unwrap_or_else(|e| panic!("{name} could not be started: {e}"));
        self.daemons.push(child);
    }

    /// Every log of the cluster, for a failure message.
    fn logs(&self) -> String {
        let mut names: Vec<PathBuf> = fs::read_dir(&self.logs)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        names.sort();
        let mut text = String::new();
        for path in names {
            let body = fs::read_to_string(&path).unwrap_or_default();
            let lines: Vec<&str> = body.lines().collect();
            let tail = lines[lines.len().saturating_sub(30)..].join("\n");
            text += &format!("\n--- {} (last 30 lines)\n{tail}", path.display());
        }
        text
    }

    /// Waits (at most `limit`) until `ready`, failing at once if a daemon has stopped.
    fn wait_until(&mut self, what: &str, limit: Duration, ready: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + limit;
        while !ready(self) {
            if self
                .daemons
                .iter_mut()
                .any(|d| !matches!(d.try_wait(), Ok(None)))
            {
                panic!(
                    "a Slurm daemon stopped while waiting for {what}{}",
                    self.logs()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no {what} after {limit:?}{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs `command` to its end, with its output in `work`; fails after `limit`.
    fn run(&self, mut command: Command, work: &Path, limit: Duration) -> (i32, String) {
        let out = work.join("command.out");
        let file = fs::File::create(&out).expect("an output file");
        let mut child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("a second handle"))
            .stderr(file)
            .spawn()
            .expect("the Slurm command starts");
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.try_wait().expect("the command can be waited for") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{command:?} took longer than {limit:?}{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let text = fs::read_to_string(&out).unwrap_or_default();
        (status.code().unwrap_or(-1), text)
    }

    fn queue_is_empty(&self) -> bool {
        let out = self.command(&self.bin.squeue).arg("-h").output();
        out.is_ok_and(|o| o.status.success() && o.stdout.iter().all(u8::is_ascii_whitespace))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // After a failure jobs may be left: cancel them so that no job step outlives slurmd.
        if !self.queue_is_empty() {
            let _ = self
                .command(&self.bin.scancel)
                .arg(format!("--partition={PARTITION}"))
                .output();
            let deadline = Instant::now() + Duration::from_secs(15);
            while !self.queue_is_empty() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        // slurmd, slurmctld, munged: the reverse of the order they were started in.
        for daemon in self.daemons.iter_mut().rev() {
            stop(daemon);
        }
    }
}

/// SIGTERM, up to ten seconds to exit, then SIGKILL.
fn stop(child: &mut Child) {
    if !matches!(child.try_wait(), Ok(None)) {
        return;
    }
    let _ = kill_process(Pid::from_child(child), Signal::TERM);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if !matches!(child.try_wait(), Ok(None)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Two free TCP ports on this machine, for slurmctld and slurmd.
fn free_ports() -> (u16, u16) {
    let a = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let b = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = |l: &TcpListener| l.local_addr().expect("a bound address").port();
    (port(&a), port(&b))
}

/// This machine as Slurm sees it (`slurmd -C`): its node name and number of CPUs.
fn node(slurmd: &Path) -> (String, String) {
    let out = clean_command(slurmd)
        .arg("-C")
        .output()
        .expect("slurmd -C runs");
    let text = stdout(&out);
    let field = |key: &str| {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .unwrap_or_else(|| panic!("slurmd -C printed no {key}: {text}{}", stderr(&out)))
            .to_string()
    };
    (field("NodeName="), field("CPUs="))
}

fn slurm_conf(dir: &Path, socket: &Path, node: &(String, String)) -> String {
    let (name, cpus) = node;
    let (ctld_port, slurmd_port) = free_ports();
    let d = dir.display();
    format!(
        "# A single-node cluster for tests/slurm.rs: no cgroups, no accounting, all files in {d}.
ClusterName=trdsim-test
SlurmctldHost={name}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={socket}
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/log/slurmctld.log
SlurmdLogFile={d}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName={name} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName={PARTITION} Nodes={name} Default=YES MaxTime=INFINITE State=UP
",
        socket = socket.display()
    )
}

/// Starts munged, slurmctld and slurmd, and waits until the node takes jobs.
fn start(bin: Programs) -> Cluster {
    let dir = tempdir();
    let d = dir.path().to_path_buf();
    for sub in ["munge", "state", "spool", "log"] {
        fs::create_dir(d.join(sub)).expect("a cluster directory");
    }
    let mut cluster = Cluster {
        conf: d.join("slurm.conf"),
        logs: d.join("log"),
        bin,
        daemons: Vec::new(),
        _dir: dir,
    };
    // A fresh munge key of random bytes, readable by its owner only (munged checks).
    let munge = d.join("munge");
    fs::set_permissions(&munge, fs::Permissions::from_mode(0o711)).expect("chmod");
    let mut key = vec![0u8; 1024];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut key))
        .expect("random bytes for the munge key");
    let key_file = munge.join("munge.key");
    fs::write(&key_file, key).expect("the munge key is written");
    fs::set_permissions(&key_file, fs::Permissions::from_mode(0o400)).expect("chmod");
    let socket = munge.join("munge.socket");
    let arg = |flag: &str, name: &str| format!("--{flag}={}", munge.join(name).display());
    let munged = cluster.bin.munged.clone();
    cluster.spawn(
        "munged",
        &munged,
        &[
            "--foreground",
            "--force",
            &arg("socket", "munge.socket"),
            &arg("key-file", "munge.key"),
            &arg("pid-file", "munged.pid"),
            &arg("seed-file", "munged.seed"),
            &arg("log-file", "munged.log"),
        ],
    );
    cluster.wait_until("munge socket", Duration::from_secs(30), |_| socket.exists());

    let node = node(&cluster.bin.slurmd);
    fs::write(&cluster.conf, slurm_conf(&d, &socket, &node)).expect("slurm.conf is written");
    let conf = cluster.conf.display().to_string();
    let (slurmctld, slurmd) = (cluster.bin.slurmctld.clone(), cluster.bin.slurmd.clone());
    cluster.spawn("slurmctld", &slurmctld, &["-D", "-f", &conf]);
    cluster.spawn("slurmd", &slurmd, &["-D", "-f", &conf]);
    cluster.wait_until("idle node", Duration::from_secs(60), |c| {
        let out = c.command(&c.bin.sinfo).args(["-h", "-o", "%T"]).output();
        out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
    });
    cluster
}

/// A running cluster, or None (with the reason printed) where Slurm cannot run and it is not
/// required.
fn cluster_or_skip() -> Option<Cluster> {
    let why = match programs() {
        Err(missing) => {
            format!("Slurm is not installed ({missing}; apt-get install slurm-wlm munge)")
        }
        Ok(_) if !rustix::process::getuid().is_root() => {
            "the single-node Slurm cluster needs root (slurmd launches the job steps)".into()
        }
        Ok(bin) => return Some(start(bin)),
    };
    assert!(
        std::env::var_os("TRDSIM_REQUIRE_SLURM").is_none(),
        "TRDSIM_REQUIRE_SLURM is set (as in CI), but {why}"
    );
    eprintln!("skipped: {why}");
    None
}

/// The files a result directory's run.json records, with their bytes, and run.json itself.
fn recorded(dir: &Path) -> (serde_json::Value, BTreeMap<String, Vec<u8>>) {
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("run.json")).expect("run.json"))
            .expect("run.json is JSON");
    let files = json["files"]
        .as_object()
        .expect("run.json records its files")
        .keys()
        .map(|name| {
            (
                name.clone(),
                fs::read(dir.join(name)).expect("a recorded file"),
            )
        })
        .collect();
    (json, files)
}

#[test]
fn a_psa_run_as_a_slurm_job_array_merges_into_exactly_one_run() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let tmp = tempdir();
    let work = tmp.path();
    let slices = work.join("slices");
    let mut submit = cluster.command(&cluster.bin.sbatch);
    submit
        .current_dir(work)
        .env("TRDSIM", env!("CARGO_BIN_EXE_trdsim"))
        .args(["--wait", "--parsable", "--cpus-per-task=1", "--time=10"])
        .arg(format!("--array=0-{}", SLICES - 1))
        .arg("--output=task-%a.out")
        .arg(root().join(SCRIPT))
        .arg(root().join(SCENARIO))
        .arg(DRAWS.to_string())
        .arg(&slices)
        .args(RUN_OPTIONS);
    let (status, text) = cluster.run(submit, work, Duration::from_secs(600));
    let tasks: String = (0..SLICES)
        .map(|i| fs::read_to_string(work.join(format!("task-{i}.out"))).unwrap_or_default())
        .collect();
    assert_eq!(
        status,
        0,
        "sbatch: {text}\ntasks:\n{tasks}{}",
        cluster.logs()
    );

    // Each task computed its own slice of the draws.
    let expected = [[1, 2], [3, 4], [5, 7]];
    let mut dirs = Vec::new();
    for (i, range) in expected.iter().enumerate() {
        let dir = slices.join(i.to_string());
        let (json, _) = recorded(&dir);
        assert_eq!(
            json["psa"]["draw_range"],
            serde_json::json!(range),
            "slice {i}"
        );
        dirs.push(dir.display().to_string());
    }

    let merged = work.join("merged");
    let mut args = vec!["merge", "--out", s(&merged)];
    args.extend(dirs.iter().map(String::as_str));
    let out = trdsim(&args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let one = work.join("one");
    let draws = DRAWS.to_string();
    let sc = root().join(SCENARIO);
    let mut args = vec![
        "run",
        s(&sc),
        "--draws",
        &draws,
        "--quiet",
        "--out",
        s(&one),
    ];
    args.extend(RUN_OPTIONS);
    let out = trdsim(&args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let (json_one, files_one) = recorded(&one);
    let (json_merged, files_merged) = recorded(&merged);
    assert!(files_one.contains_key("psa.csv") && files_one.contains_key("draws.csv"));
    assert_eq!(
        files_one.keys().collect::<Vec<_>>(),
        files_merged.keys().collect::<Vec<_>>(),
        "the merged run records other files than one run"
    );
    for (name, bytes) in &files_one {
        assert!(
            files_merged[name] == *bytes,
            "{name} differs between the merge and one run"
        );
    }
    assert_eq!(json_one["files"], json_merged["files"]);
    assert_eq!(json_one["psa_results"], json_merged["psa_results"]);
    assert_eq!(
        json_merged["psa"]["draw_range"],
        serde_json::json!([1, DRAWS])
    );
    nested_evppi_as_an_array(&cluster, work, &merged, &one);
    drop(cluster);
}

/// The nested EVPPI of the merged run `merged` as a job array of slices of the outer draws,
/// combined, against one unsliced nested analysis of the single run `one`.
fn nested_evppi_as_an_array(cluster: &Cluster, work: &Path, merged: &Path, one: &Path) {
    let slices = work.join("evppi-slices");
    let mut submit = cluster.command(&cluster.bin.sbatch);
    submit
        .current_dir(work)
        .env("TRDSIM", env!("CARGO_BIN_EXE_trdsim"))
        .args(["--wait", "--parsable", "--cpus-per-task=1", "--time=10"])
        .arg(format!("--array=0-{}", SLICES - 1))
        .arg("--output=evppi-%a.out")
        .arg(root().join(EVPPI_SCRIPT))
        .arg(merged)
        .arg(OUTER.to_string())
        .arg(&slices)
        .args(VOI_OPTIONS);
    let (status, text) = cluster.run(submit, work, Duration::from_secs(600));
    let tasks: String = (0..SLICES)
        .map(|i| fs::read_to_string(work.join(format!("evppi-{i}.out"))).unwrap_or_default())
        .collect();
    assert_eq!(
        status,
        0,
        "sbatch: {text}\ntasks:\n{tasks}{}",
        cluster.logs()
    );
    let mut dirs = Vec::new();
    for (i, range) in [[1, 1], [2, 3], [4, 5]].iter().enumerate() {
        let dir = slices.join(i.to_string());
        let (json, _) = recorded(&dir);
        assert_eq!(json["outer_range"], serde_json::json!(range), "slice {i}");
        dirs.push(dir.display().to_string());
    }
    let mut args = vec!["voi", s(merged), "--quiet", "--merge"];
    args.extend(dirs.iter().map(String::as_str));
    let out = trdsim(&args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let outer = OUTER.to_string();
    let mut args = vec![
        "voi",
        s(one),
        "--method",
        "nested",
        "--outer",
        &outer,
        "--quiet",
    ];
    args.extend(VOI_OPTIONS);
    let out = trdsim(&args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (json_one, files_one) = recorded(one);
    let (json_merged, files_merged) = recorded(merged);
    assert!(files_one.contains_key("evppi.csv"));
    assert_eq!(
        files_one.keys().collect::<Vec<_>>(),
        files_merged.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &files_one {
        assert!(
            files_merged[name] == *bytes,
            "{name} differs between the combined slices and one nested analysis"
        );
    }
    assert_eq!(json_one["files"], json_merged["files"]);
    assert_eq!(json_one["voi"], json_merged["voi"]);
}
