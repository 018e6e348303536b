//! The command-line arguments, parsed by clap.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "trdsim",
    version,
    about = "Cost-effectiveness microsimulation for treatment-resistant depression (and models like it)",
    long_about = "trdsim reads a YAML scenario, simulates every strategy with an individual-level Markov \
                  microsimulation (or a cohort model), and writes costs, QALYs, the incremental analysis, \
                  net monetary benefit and the Markov trace.\n\nExit codes: 0 success, 1 invalid scenario \
                  or arguments, 2 failure while running or writing, 130 and 143 interrupted by SIGINT \
                  and SIGTERM (temporary files removed)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate a scenario and write its base-case results.
    Run(RunArgs),
    /// Check a scenario and print its diagnostics or a summary.
    Validate {
        /// The scenario YAML file.
        scenario: PathBuf,
    },
    /// Combine result directories of PSA slices (--draw-range) into the result of one run.
    Merge {
        /// Result directories of the slices, in any order.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Result directory of the combined run.
        #[arg(long)]
        out: PathBuf,
        /// Replace an existing result directory.
        #[arg(long)]
        force: bool,
    },
    /// One-way sensitivity analysis: each parameter at a low and a high value; dsa.csv and a tornado diagram.
    Dsa(DsaArgs),
    /// Expected value of sample information of a study that measures a Dirichlet group or a Beta parameter, by sample size.
    Evsi(EvsiArgs),
    /// Threshold analysis: the value of one parameter at which the preferred strategy changes.
    Threshold(ThresholdArgs),
    /// Run several scenarios and tabulate what differs in their inputs and results.
    Compare(CompareArgs),
    /// Rerun the run recorded in RUN_DIR/run.json and compare every output file byte for byte.
    Verify {
        /// A result directory written by `trdsim run` or `trdsim merge`.
        dir: PathBuf,
    },
    /// Write a self-contained report.html for a result directory.
    Report {
        /// A result directory written by `trdsim run` or `trdsim merge`.
        dir: PathBuf,
        /// Include the tornado diagrams of this `trdsim dsa` result directory.
        #[arg(long)]
        dsa: Option<PathBuf>,
        /// Include the scenario table of this `trdsim compare` result directory.
        #[arg(long)]
        compare: Option<PathBuf>,
        /// Include the value of a study from this `trdsim evsi` result directory (of this
        /// run's draws); repeat for several targets.
        #[arg(long)]
        evsi: Vec<PathBuf>,
        /// Include this `trdsim threshold` result directory (of this run's scenario);
        /// repeat for several parameters.
        #[arg(long)]
        threshold: Vec<PathBuf>,
    },
    /// Expected value of partial perfect information (EVPPI) of parameters and groups, added to a PSA result directory.
    Voi(VoiArgs),
    /// Redraw every figure of a result directory from its CSV files and run.json.
    Plot {
        /// A result directory written by `trdsim run` or `trdsim merge`.
        dir: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
pub struct VoiArgs {
    /// A result directory written by `trdsim run --draws` (or `trdsim merge`).
    pub dir: PathBuf,
    /// Only these parameters (comma-separated) [default: every drawn parameter and every group].
    #[arg(long, value_delimiter = ',')]
    pub params: Vec<String>,
    /// Groups (comma-separated): a Dirichlet group, `correlation`, a scenario `voi_groups` name, `all`, or NAME=a+b+c.
    #[arg(long, value_delimiter = ',')]
    pub groups: Vec<String>,
    /// `regression` (on the run's draws) or `nested` (two-level Monte Carlo with the engine).
    #[arg(long, default_value = "regression", value_parser = ["regression", "nested"])]
    pub method: String,
    /// Nested: outer draws [default: 100].
    #[arg(long, value_name = "K")]
    pub outer: Option<usize>,
    /// Nested: inner draws per outer draw [default: 100].
    #[arg(long, value_name = "J")]
    pub inner: Option<usize>,
    /// Nested: individuals per inner simulation [default: settings.psa.individuals].
    #[arg(long, value_name = "N")]
    pub individuals: Option<usize>,
    /// Nested: compute only outer draws A to B (inclusive) and write them to --out as a slice, for --merge.
    #[arg(long, value_name = "A..B", requires = "out")]
    pub outer_range: Option<String>,
    /// With --outer-range: the slice directory to write (RUN_DIR is only read).
    #[arg(long, value_name = "SLICE_DIR", requires = "outer_range")]
    pub out: Option<PathBuf>,
    /// With --outer-range: replace an existing slice directory.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Combine these slices (from --outer-range) into RUN_DIR's EVPPI, as one nested analysis would.
    #[arg(long, value_name = "SLICE_DIR", num_args = 1.., conflicts_with_all = ["params", "groups", "method", "outer", "inner", "individuals", "outer_range", "threads"])]
    pub merge: Vec<PathBuf>,
    /// Nested: worker threads [default: all cores]; results do not depend on it.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(clap::Args, Debug)]
pub struct EvsiArgs {
    /// A result directory written by `trdsim run --draws` (or `trdsim merge`); only read.
    pub dir: PathBuf,
    /// What the study measures: a Dirichlet group (multinomial data) or a Beta-distributed parameter (binomial data).
    #[arg(long)]
    pub target: String,
    /// Study sizes (people measured) [default: 0,10,25,50,80,100,150,200,300,500,1000].
    #[arg(long, value_delimiter = ',')]
    pub sizes: Vec<u64>,
    /// Fixed cost of the study, for the expected net benefit of sampling.
    #[arg(long, default_value_t = 0.0)]
    pub cost_fixed: f64,
    /// Cost per person measured.
    #[arg(long, default_value_t = 0.0)]
    pub cost_per_patient: f64,
    /// Sample sizes to mark on the figure (for example a trial's arm size).
    #[arg(long, value_delimiter = ',')]
    pub mark: Vec<u64>,
    /// Whole years until the study reports; people treated meanwhile do not benefit (population EVSI and ENBS).
    #[arg(long, default_value_t = 0)]
    pub duration: u32,
    /// Result directory [default: outputs/<run directory name>-evsi-<target>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing result directory.
    #[arg(long)]
    pub force: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// Scenario files; differences are reported against the first.
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<PathBuf>,
    /// Also run a probabilistic analysis of N draws per scenario and report the probability cost-effective.
    #[arg(long, value_name = "N")]
    pub draws: Option<usize>,
    /// Individuals per scenario (and per draw with --draws) [default: each scenario's settings].
    #[arg(long)]
    pub individuals: Option<usize>,
    /// Result directory [default: outputs/compare].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing result directory.
    #[arg(long)]
    pub force: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(clap::Args, Debug)]
pub struct DsaArgs {
    /// The scenario YAML file.
    pub scenario: PathBuf,
    /// Only these parameters (comma-separated names) [default: every parameter with low/high or a distribution].
    #[arg(long, value_delimiter = ',')]
    pub params: Vec<String>,
    /// Two-way analysis of this pair of parameters over a grid, drawn as a heat map of the preferred strategy.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub two_way: Vec<String>,
    /// Grid points per parameter in a two-way analysis.
    #[arg(long, default_value_t = 11)]
    pub grid: usize,
    /// Willingness to pay per QALY for the net monetary benefit [default: the middle threshold of settings.wtp].
    #[arg(long)]
    pub wtp: Option<f64>,
    /// Perspective [default: the first in settings.perspectives].
    #[arg(long)]
    pub perspective: Option<String>,
    /// Individuals per evaluation [default: settings.individuals].
    #[arg(long)]
    pub individuals: Option<usize>,
    /// Result directory [default: outputs/<scenario name>-dsa].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing result directory.
    #[arg(long)]
    pub force: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(clap::Args, Debug)]
pub struct ThresholdArgs {
    /// The scenario YAML file.
    pub scenario: PathBuf,
    /// The parameter to vary.
    #[arg(long)]
    pub param: String,
    /// The range to search [default: the parameter's low/high, else the 95% interval of its distribution].
    #[arg(long, value_delimiter = ',', value_name = "LOW,HIGH")]
    pub range: Vec<f64>,
    /// Willingness to pay per QALY [default: every threshold of settings.wtp].
    #[arg(long)]
    pub wtp: Option<f64>,
    /// Perspective [default: every perspective].
    #[arg(long)]
    pub perspective: Option<String>,
    /// Grid points over the range.
    #[arg(long, default_value_t = 21)]
    pub steps: usize,
    /// Individuals per evaluation [default: settings.individuals].
    #[arg(long)]
    pub individuals: Option<usize>,
    /// Result directory [default: outputs/<scenario name>-threshold-<param>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing result directory.
    #[arg(long)]
    pub force: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The scenario YAML file.
    pub scenario: PathBuf,
    /// Result directory [default: outputs/<scenario name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Number of individuals (overrides settings.individuals).
    #[arg(long)]
    pub individuals: Option<usize>,
    /// Random seed (overrides settings.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]; results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Evaluate as a cohort (expected values) instead of simulating individuals.
    #[arg(long)]
    pub cohort: bool,
    /// Replace an existing result directory.
    #[arg(long)]
    pub force: bool,
    /// Run a probabilistic sensitivity analysis with N parameter draws (default: settings.psa.draws when --draw-range is given).
    #[arg(long, value_name = "N")]
    pub draws: Option<usize>,
    /// Compute only draws A to B (1-based, inclusive) of the PSA, e.g. 1..250, for `trdsim merge`.
    #[arg(long, value_name = "A..B")]
    pub draw_range: Option<String>,
    /// Individuals per PSA draw (overrides settings.psa.individuals).
    #[arg(long, value_name = "N")]
    pub draw_individuals: Option<usize>,
    /// Also write report.html, a self-contained report for reimbursement advisors.
    #[arg(long)]
    pub report: bool,
    /// Also write the state path of the first N individuals to trajectories.csv.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub trajectories: usize,
    /// With --draws: also compute the EVPPI of every drawn parameter and group (as `trdsim voi`).
    #[arg(long)]
    pub voi: bool,
    /// With --voi: only these parameters (as `trdsim voi --params`).
    #[arg(long, value_delimiter = ',', requires = "voi")]
    pub voi_params: Vec<String>,
    /// With --voi: these groups (as `trdsim voi --groups`).
    #[arg(long, value_delimiter = ',', requires = "voi")]
    pub voi_groups: Vec<String>,
    /// With --voi: `regression` or `nested` (as `trdsim voi --method`).
    #[arg(long, default_value = "regression", value_parser = ["regression", "nested"])]
    pub voi_method: String,
    /// With --voi: nested outer draws.
    #[arg(long, value_name = "K", requires = "voi")]
    pub voi_outer: Option<usize>,
    /// With --voi: nested inner draws per outer draw.
    #[arg(long, value_name = "J", requires = "voi")]
    pub voi_inner: Option<usize>,
    /// With --voi: nested individuals per inner simulation.
    #[arg(long, value_name = "N", requires = "voi")]
    pub voi_individuals: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}
