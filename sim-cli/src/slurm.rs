//! `xinzhi slurm`: prints a bash script that submits a scenario to Slurm as a job array (one
//! array task per shard, `xinzhi run --shard i/N`) followed by a merge job (`xinzhi merge`).
//!
//! The script is generated here and run by the user on a login node; nothing is submitted from
//! this process. Every value interpolated into it is shell-quoted, and every path is absolute,
//! because jobs start in whatever working directory the cluster gives them.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use xinzhi_core::experiment::{self, Shard};
use xinzhi_core::output;
use xinzhi_core::scenario::ScenarioFile;

use crate::Failure;
use crate::args::OverrideArgs;

/// The most shards (array tasks) one script may ask for.
const MAX_SHARDS: u32 = 10_000;

#[derive(Debug, clap::Args)]
pub(crate) struct SlurmArgs {
    /// Scenario file (TOML).
    pub(crate) file: PathBuf,
    /// Number of shards, i.e. array tasks (1 to 10 000). Shard i runs the replications r with
    /// r mod N = i of every variant; results do not depend on N.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_SHARDS)))]
    pub(crate) shards: u32,
    /// Slurm partition (`#SBATCH --partition`; default: the cluster's default partition).
    #[arg(long, value_name = "P")]
    pub(crate) partition: Option<String>,
    /// Time limit of each job (`#SBATCH --time`, e.g. `30`, `2:00:00`, `1-12:00:00`).
    #[arg(long, value_name = "T")]
    pub(crate) time: Option<String>,
    /// CPUs per array task; each shard runs with that many worker threads.
    #[arg(long, value_name = "C", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub(crate) cpus_per_task: u32,
    /// Output folder on the shared filesystem (default: runs/<scenario-name>/slurm/): shards go to
    /// DIR/shard-<i>/, logs to DIR/logs/, the merged results to DIR/merged/.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// The `xinzhi` binary the jobs run, as seen from the compute nodes (default: this one).
    #[arg(long, value_name = "PATH")]
    pub(crate) xinzhi: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) overrides: OverrideArgs,
}

/// `xinzhi slurm FILE --shards N`.
pub(crate) fn slurm(args: &SlurmArgs) -> Result<(), Failure> {
    // Validate exactly like `xinzhi validate`, so a bad scenario fails here, not on the cluster.
    let (file, _) = crate::run::load(&args.file, &args.overrides)?;
    // As every shard will, so that nothing is queued that `xinzhi run --shard` would refuse.
    let shard = Shard { index: 0, count: args.shards };
    experiment::check(&file, Some(shard))
        .map_err(|e| Failure::Input(anyhow!("{}: {e}", args.file.display())))?;
    let plan = Plan::new(args, &file)?;
    let script = script(&plan).map_err(Failure::Input)?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(script.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::Run(anyhow!("writing the script to stdout: {e}")))?;

    let base = &file.baseline;
    let reps = base.experiment.replications;
    if plan.shards > reps {
        eprintln!(
            "warning: {} shards but {reps} replication(s) per variant: shards {reps} to {} get no replications",
            plan.shards,
            plan.shards - 1
        );
    }
    eprintln!(
        "xinzhi slurm: `{}`, baseline + {} variant(s), {reps} replication(s) each, in {} shard(s); save \
         this script (e.g. `> submit.sh`) and run `bash submit.sh` on the cluster's login node",
        base.name,
        file.variants.len(),
        plan.shards,
    );
    Ok(())
}

/// Everything the script is made of, resolved and absolute.
#[derive(Debug)]
struct Plan {
    /// Scenario name, for the job name.
    name: String,
    shards: u32,
    partition: Option<String>,
    time: Option<String>,
    cpus_per_task: u32,
    file: String,
    out: String,
    xinzhi: String,
    /// The override flags, ready to append to `xinzhi run` (each one argument, unquoted).
    overrides: Vec<String>,
}

impl Plan {
    fn new(args: &SlurmArgs, file: &ScenarioFile) -> Result<Plan, Failure> {
        let name = &file.baseline.name;
        let out = args.out.clone().unwrap_or_else(|| output::default_dir(name, "slurm"));
        let xinzhi = match &args.xinzhi {
            Some(path) => path.clone(),
            None => std::env::current_exe().map_err(|e| {
                Failure::Input(anyhow!("cannot find this xinzhi binary ({e}): give --xinzhi"))
            })?,
        };
        if args.xinzhi.is_some() && !xinzhi.is_file() {
            eprintln!(
                "warning: --xinzhi {}: no such file here; it must exist on the compute nodes",
                xinzhi.display()
            );
        }
        let o = &args.overrides;
        let mut overrides = Vec::new();
        if let Some(n) = o.replications {
            overrides.push(format!("--replications={n}"));
        }
        if let Some(s) = o.seed {
            overrides.push(format!("--seed={s}"));
        }
        for set in &o.set {
            overrides.push(format!("--set={set}"));
        }
        for lib in &o.load {
            overrides.push(format!("--load={}", absolute("--load", lib)?));
        }
        for (flag, value) in [("--partition", &args.partition), ("--time", &args.time)] {
            if let Some(v) = value {
                sbatch_word(flag, v).map_err(Failure::Input)?;
            }
        }
        Ok(Plan {
            name: name.clone(),
            shards: args.shards,
            partition: args.partition.clone(),
            time: args.time.clone(),
            cpus_per_task: args.cpus_per_task,
            file: absolute("FILE", &args.file)?,
            out: absolute("--out", &out)?,
            xinzhi: absolute("--xinzhi", &xinzhi)?,
            overrides,
        })
    }
}

/// `path` made absolute (against the current directory, symlinks kept), as UTF-8.
fn absolute(what: &str, path: &Path) -> Result<String, Failure> {
    let abs = std::path::absolute(path)
        .map_err(|e| Failure::Input(anyhow!("{what} {}: cannot make it absolute: {e}", path.display())))?;
    abs.into_os_string()
        .into_string()
        .map_err(|p| Failure::Input(anyhow!("{what} {}: not valid UTF-8", Path::new(&p).display())))
}

/// Quotes `s` as one bash word: inside single quotes every byte is literal, and an embedded `'`
/// becomes `'\''` (close, escaped quote, reopen). Newlines survive as they are.
pub(crate) fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-./=:,+@%".contains(&b)) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Checks that `value` can stand bare in an `#SBATCH` line (partition names and time limits
/// never need more).
fn sbatch_word(flag: &str, value: &str) -> anyhow::Result<()> {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.,:+".contains(&b)) {
        Ok(())
    } else {
        Err(anyhow!("{flag} {value:?}: expected letters, digits and `_-.,:+` only"))
    }
}

/// An `#SBATCH --output` path: `%` doubled (Slurm's filename patterns), then quoted the way
/// sbatch parses `#SBATCH` lines (single quotes and `'\''` work as in the shell, checked on
/// Slurm 22.05; a backslash would be taken as an escape, and a line cannot hold a newline).
fn sbatch_path(dir: &str) -> anyhow::Result<String> {
    if dir.chars().any(|c| c == '\\' || c.is_control()) {
        return Err(anyhow!(
            "--out {dir:?}: Slurm's #SBATCH lines cannot carry a backslash or a control character; choose another folder"
        ));
    }
    Ok(shell_quote(&dir.replace('%', "%%")))
}

/// A scenario name with letters, digits and `-_.` only (anything else as `_`): safe in a job name
/// and in a comment.
fn safe_name(scenario: &str) -> String {
    scenario
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .collect()
}

/// The Slurm job name of a scenario.
fn job_name(scenario: &str) -> String {
    match safe_name(scenario) {
        name if name.is_empty() => "xinzhi".to_owned(),
        name => format!("xinzhi-{name}"),
    }
}

/// A heredoc delimiter that no line of `body` equals.
fn delimiter(body: &str) -> String {
    let mut delim = "XINZHI_EOF".to_owned();
    let mut n = 0;
    while body.lines().any(|l| l == delim) {
        n += 1;
        delim = format!("XINZHI_EOF_{n}");
    }
    delim
}

/// Appends `cat >PATH <<'DELIM' … DELIM` (quoted delimiter: nothing in `body` expands now).
fn heredoc(script: &mut String, path: &str, body: &str) {
    let delim = delimiter(body);
    let _ = write!(script, "cat >{path} <<'{delim}'\n{body}{delim}\n");
}

/// The `#SBATCH` lines both jobs share (name, partition, time).
fn common_headers(plan: &Plan, job: &str) -> String {
    let mut h = format!("#!/bin/bash\n#SBATCH --job-name={job}\n");
    if let Some(p) = &plan.partition {
        let _ = writeln!(h, "#SBATCH --partition={p}");
    }
    if let Some(t) = &plan.time {
        let _ = writeln!(h, "#SBATCH --time={t}");
    }
    h
}

/// The submit script.
fn script(plan: &Plan) -> anyhow::Result<String> {
    let n = plan.shards;
    let last = n - 1;
    let job = job_name(&plan.name);
    let (xinzhi, file, out) = (shell_quote(&plan.xinzhi), shell_quote(&plan.file), shell_quote(&plan.out));
    let logs = sbatch_path(&format!("{}/logs", plan.out))?;
    let overrides: String = plan.overrides.iter().map(|o| format!(" {}", shell_quote(o))).collect();
    let cpus = plan.cpus_per_task;

    let mut shard = common_headers(plan, &job);
    let _ = write!(
        shard,
        "#SBATCH --cpus-per-task={cpus}\n\
         #SBATCH --output={logs}/shard-%a.out\n\
         # Array task i runs shard i of {n}: replications r with r mod {n} = i of every variant.\n\
         # N is written out, never $SLURM_ARRAY_TASK_COUNT, so a re-run of some tasks\n\
         # (sbatch --array=3,17 this-file) still computes the same shards.\n\
         set -euo pipefail\n\
         exec {xinzhi} run {file} --shard \"$SLURM_ARRAY_TASK_ID/{n}\" --out {out}/shard-\"$SLURM_ARRAY_TASK_ID\" \
         --quiet --force --threads \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\"{overrides}\n"
    );

    let mut merge = common_headers(plan, &format!("{job}-merge"));
    let _ = write!(
        merge,
        "#SBATCH --cpus-per-task=1\n\
         #SBATCH --output={logs}/merge.out\n\
         set -euo pipefail\n\
         out={out}\n\
         shards=()\n\
         for ((i = 0; i < {n}; i++)); do shards+=(\"$out/shard-$i\"); done\n\
         exec {xinzhi} merge \"${{shards[@]}}\" --out \"$out/merged\" --force\n"
    );

    let mut s = String::new();
    let _ = write!(
        s,
        "#!/usr/bin/env bash\n\
         # Submit scenario `{name}` to Slurm: a job array of {n} shard(s), then a merge job.\n\
         # Generated by `xinzhi slurm` {version}. Run it on a login node: bash submit.sh\n\
         # Every path below is absolute and must be visible from the compute nodes (shared filesystem).\n\
         #\n\
         # Layout: OUT/shard-<i>/ (one per array task), OUT/logs/shard-<i>.out, OUT/logs/merge.out,\n\
         # OUT/merged/ (what a single `xinzhi run` would have written), OUT/shard.sbatch, OUT/merge.sbatch.\n\
         #\n\
         # OUT is the `out=` line below.\n\
         #\n\
         # Monitor: squeue -u \"$USER\"; sacct -j <array id> -X --format=JobID,State,ExitCode,Elapsed\n\
         # Re-run failed shards: array task i always computes shard i of {n} (N is written out, never\n\
         # taken from $SLURM_ARRAY_TASK_COUNT), so re-submit just the failed indices, e.g. 3 and 17:\n\
         #   sbatch --array=3,17 OUT/shard.sbatch           # prints a new array id J\n\
         #   scancel <old merge id>                         # it would wait on the failed array forever\n\
         #   sbatch --dependency=afterok:J OUT/merge.sbatch\n\
         # (Or run `xinzhi merge` by hand once every shard has succeeded.)\n\
         set -euo pipefail\n\
         \n\
         xinzhi={xinzhi}\n\
         file={file}\n\
         out={out}\n\
         command -v sbatch >/dev/null || {{ echo \"sbatch not found: run this on a Slurm login node\" >&2; exit 1; }}\n\
         [ -x \"$xinzhi\" ] || {{ echo \"warning: $xinzhi is not executable here; it must be on the compute nodes\" >&2; }}\n\
         [ -f \"$file\" ] || {{ echo \"warning: $file is not readable here; it must be on the compute nodes\" >&2; }}\n\
         mkdir -p \"$out/logs\"\n\
         \n",
        name = safe_name(&plan.name),
        version = env!("CARGO_PKG_VERSION"),
    );
    heredoc(&mut s, "\"$out/shard.sbatch\"", &shard);
    s.push('\n');
    heredoc(&mut s, "\"$out/merge.sbatch\"", &merge);
    let _ = write!(
        s,
        "\n\
         # --parsable prints `id` or `id;cluster`.\n\
         array=$(sbatch --parsable --array=0-{last} \"$out/shard.sbatch\")\n\
         array=${{array%%;*}}\n\
         merge=$(sbatch --parsable --dependency=afterok:\"$array\" \"$out/merge.sbatch\")\n\
         merge=${{merge%%;*}}\n\
         echo \"array job $array: {n} shard(s), logs in $out/logs/\"\n\
         echo \"merge job $merge: after every shard succeeds, results in $out/merged/\"\n"
    );
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};
    use std::sync::atomic::{AtomicU32, Ordering};

    use clap::Parser as _;

    fn plan() -> Plan {
        Plan {
            name: "mm1".into(),
            shards: 3,
            partition: Some("short".into()),
            time: Some("0:30:00".into()),
            cpus_per_task: 4,
            file: "/home/me/scen arios/mm1.toml".into(),
            out: "/scratch/it's/out".into(),
            xinzhi: "/opt/xinzhi/bin/xinzhi".into(),
            overrides: vec![
                "--replications=6".into(),
                "--set=scenario.horizon=20000".into(),
                "--set=factory.station.mill.name=\"a b\"".into(),
            ],
        }
    }

    /// A fresh empty folder under the system temp dir.
    fn temp_dir(tag: &str) -> PathBuf {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "xinzhi-slurm-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Runs `bash -c SCRIPT` and returns stdout.
    fn bash(script: &str) -> String {
        let out = Command::new("bash").arg("-c").arg(script).output().unwrap();
        assert!(out.status.success(), "bash failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    const NASTY: &[&str] = &[
        "",
        "plain",
        "a b",
        "$HOME",
        "${PATH}",
        "$(echo pwned)",
        "`echo pwned`",
        "it's",
        "''",
        "'",
        "a\"b",
        "back\\slash",
        "line\nbreak",
        "\n",
        "tab\there",
        "semi;colon && x | y > z",
        "*?[a]~",
        "!bang",
        "-n",
        "ünïcødé 新质",
        "%a %%",
    ];

    #[test]
    fn shell_quote_round_trips_through_bash() {
        for s in NASTY {
            let got = bash(&format!("printf %s {}", shell_quote(s)));
            assert_eq!(&got, s, "quoted as {}", shell_quote(s));
        }
        // All of them as separate words of one command line.
        let line: Vec<String> = NASTY.iter().map(|s| shell_quote(s)).collect();
        let got = bash(&format!("printf '%s\\0' {}", line.join(" ")));
        let words: Vec<&str> = got.split('\0').collect();
        assert_eq!(&words[..NASTY.len()], NASTY);
    }

    #[test]
    fn shell_quote_forms() {
        assert_eq!(shell_quote("/a/b-c_d.toml"), "/a/b-c_d.toml");
        assert_eq!(shell_quote("--set=a.b=2"), "--set=a.b=2");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote("$x"), "'$x'");
    }

    #[test]
    fn job_names_and_sbatch_values() {
        assert_eq!(job_name("mm1"), "xinzhi-mm1");
        assert_eq!(job_name("my line/v2 (new)"), "xinzhi-my_line_v2__new_");
        assert_eq!(job_name(""), "xinzhi");
        assert!(sbatch_word("--time", "1-12:00:00").is_ok());
        assert!(sbatch_word("--partition", "gpu,short").is_ok());
        assert!(sbatch_word("--partition", "a b").is_err());
        assert!(sbatch_word("--partition", "x\n#SBATCH --mem=1").is_err());
        assert!(sbatch_word("--time", "").is_err());
        assert_eq!(sbatch_path("/a/b").unwrap(), "/a/b");
        assert_eq!(sbatch_path("/a b/50%").unwrap(), "'/a b/50%%'");
        assert!(sbatch_path("/a\\b").is_err());
        assert!(sbatch_path("/a\nb").is_err());
    }

    #[test]
    fn shard_bounds() {
        let parse = |n: &str| crate::args::Cli::try_parse_from(["xinzhi", "slurm", "s.toml", "--shards", n]);
        assert!(parse("0").is_err());
        assert!(parse("-1").is_err());
        assert!(parse("10001").is_err());
        for ok in ["1", "3", "10000"] {
            let cli = parse(ok).unwrap();
            let crate::args::Command::Slurm(args) = cli.command else { panic!("not slurm") };
            assert_eq!(args.shards.to_string(), ok);
            assert_eq!(args.cpus_per_task, 1);
        }
        assert!(
            crate::args::Cli::try_parse_from(["xinzhi", "slurm", "s.toml"]).is_err(),
            "--shards is required"
        );
    }

    #[test]
    fn override_flags_pass_through() {
        let cli = crate::args::Cli::try_parse_from([
            "xinzhi",
            "slurm",
            "s.toml",
            "--shards",
            "2",
            "--seed",
            "9",
            "--set",
            "a.b=1",
            "--replications",
            "5",
            "--set=c=\"x y\"",
            "--load",
            "/lib/p.so",
        ])
        .unwrap();
        let crate::args::Command::Slurm(args) = cli.command else { panic!("not slurm") };
        let o = &args.overrides;
        assert_eq!((o.replications, o.seed), (Some(5), Some(9)));
        assert_eq!(o.set, ["a.b=1", "c=\"x y\""]);
        assert_eq!(o.load, [PathBuf::from("/lib/p.so")]);
    }

    #[test]
    fn script_lines() {
        let s = script(&plan()).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        let has = |l: &str| assert!(lines.contains(&l), "missing line {l:?} in:\n{s}");
        has("#!/usr/bin/env bash");
        has("# Submit scenario `mm1` to Slurm: a job array of 3 shard(s), then a merge job.");
        has("set -euo pipefail");
        has("xinzhi=/opt/xinzhi/bin/xinzhi");
        has("file='/home/me/scen arios/mm1.toml'");
        has("out='/scratch/it'\\''s/out'");
        has("mkdir -p \"$out/logs\"");
        has("cat >\"$out/shard.sbatch\" <<'XINZHI_EOF'");
        has("cat >\"$out/merge.sbatch\" <<'XINZHI_EOF'");
        has("#SBATCH --job-name=xinzhi-mm1");
        has("#SBATCH --job-name=xinzhi-mm1-merge");
        has("#SBATCH --partition=short");
        has("#SBATCH --time=0:30:00");
        has("#SBATCH --cpus-per-task=4");
        has("#SBATCH --output='/scratch/it'\\''s/out/logs'/shard-%a.out");
        has("#SBATCH --output='/scratch/it'\\''s/out/logs'/merge.out");
        has(
            "exec /opt/xinzhi/bin/xinzhi run '/home/me/scen arios/mm1.toml' --shard \"$SLURM_ARRAY_TASK_ID/3\" \
             --out '/scratch/it'\\''s/out'/shard-\"$SLURM_ARRAY_TASK_ID\" --quiet --force \
             --threads \"${SLURM_CPUS_PER_TASK:-4}\" --replications=6 --set=scenario.horizon=20000 \
             '--set=factory.station.mill.name=\"a b\"'",
        );
        has("for ((i = 0; i < 3; i++)); do shards+=(\"$out/shard-$i\"); done");
        has("exec /opt/xinzhi/bin/xinzhi merge \"${shards[@]}\" --out \"$out/merged\" --force");
        has("array=$(sbatch --parsable --array=0-2 \"$out/shard.sbatch\")");
        has("merge=$(sbatch --parsable --dependency=afterok:\"$array\" \"$out/merge.sbatch\")");
        assert!(!s.contains("SLURM_ARRAY_TASK_COUNT\""), "N must be explicit");
        assert_eq!(lines.iter().filter(|l| **l == "XINZHI_EOF").count(), 2);
        // The comments explain the re-run.
        assert!(s.contains("sbatch --array=3,17 OUT/shard.sbatch"));

        // Optional headers only when given.
        let bare = script(&Plan { partition: None, time: None, ..plan() }).unwrap();
        assert!(!bare.contains("--partition") && !bare.contains("--time"));
        // One shard: array 0-0.
        let one = script(&Plan { shards: 1, ..plan() }).unwrap();
        assert!(one.contains("--array=0-0 ") && one.contains("--shard \"$SLURM_ARRAY_TASK_ID/1\""));
    }

    #[test]
    fn heredoc_delimiter_never_ends_early() {
        let p = Plan { overrides: vec!["--set=a=\"\nXINZHI_EOF\n\"".into()], ..plan() };
        let s = script(&p).unwrap();
        assert!(s.contains("<<'XINZHI_EOF_1'"));
        bash_n(&s);
    }

    fn bash_n(script: &str) {
        let mut child =
            Command::new("bash").arg("-n").stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "bash -n: {}\n{script}", String::from_utf8_lossy(&out.stderr));
    }

    #[test]
    fn script_is_valid_bash() {
        bash_n(&script(&plan()).unwrap());
        let nasty = Plan {
            file: "/t/$(touch pwned) `x` \"q\" 'a'\n.toml".into(),
            name: "bad\nname $(x)".into(),
            out: "/t/o u t/$HOME".into(),
            overrides: NASTY.iter().map(|s| format!("--set={s}")).collect(),
            ..plan()
        };
        bash_n(&script(&nasty).unwrap());
    }

    /// Runs the generated script against a fake `sbatch` (records what it is given) and then runs
    /// the job files it wrote with a fake `xinzhi` (records its arguments): every value reaches
    /// the jobs exactly, whatever it contains.
    #[test]
    fn script_runs_with_fake_sbatch_and_xinzhi() {
        let dir = temp_dir("fake");
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let write_exe = |path: &Path, body: &str| {
            std::fs::write(path, body).unwrap();
            bash(&format!("chmod +x {}", shell_quote(path.to_str().unwrap())));
        };
        // sbatch: append its arguments to a log, print an id (with a cluster suffix: --parsable).
        let calls = dir.join("sbatch-calls");
        write_exe(
            &bin.join("sbatch"),
            &format!(
                "#!/bin/bash\nprintf '%s\\n' \"$*\" >>{}\nn=$(wc -l <{0}); echo \"$((100 + n));local\"\n",
                shell_quote(calls.to_str().unwrap())
            ),
        );
        // xinzhi: print each argument NUL-terminated.
        let fake = dir.join("fake xinzhi's");
        write_exe(&fake, "#!/bin/bash\nprintf '%s\\0' \"$@\"\n");

        let out = dir.join("o u't $x");
        let sets = ["a=\"b c\"", "x.y='$HOME'", "n=\"line\nbreak\""];
        let p = Plan {
            xinzhi: fake.to_str().unwrap().into(),
            file: "/t/my scen.toml".into(),
            out: out.to_str().unwrap().into(),
            overrides: sets.iter().map(|s| format!("--set={s}")).collect(),
            ..plan()
        };
        let s = script(&p).unwrap();
        let path = dir.join("submit.sh");
        std::fs::write(&path, &s).unwrap();
        let run = Command::new("bash")
            .arg(&path)
            .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(run.status.success(), "{stdout}{}", String::from_utf8_lossy(&run.stderr));
        assert!(stdout.contains("array job 101: 3 shard(s)"), "{stdout}");
        assert!(stdout.contains("merge job 102: after every shard succeeds"), "{stdout}");
        let o = out.to_str().unwrap();
        assert_eq!(
            std::fs::read_to_string(&calls).unwrap(),
            format!(
                "--parsable --array=0-2 {o}/shard.sbatch\n--parsable --dependency=afterok:101 {o}/merge.sbatch\n"
            )
        );
        assert!(out.join("logs").is_dir());

        let job = |name: &str| {
            let out = Command::new("bash")
                .arg(out.join(name))
                .env("SLURM_ARRAY_TASK_ID", "2")
                .env("SLURM_CPUS_PER_TASK", "4")
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let args = String::from_utf8(out.stdout).unwrap();
            args.trim_end_matches('\0').split('\0').map(str::to_owned).collect::<Vec<_>>()
        };
        let mut want: Vec<String> = [
            "run",
            "/t/my scen.toml",
            "--shard",
            "2/3",
            "--out",
            &format!("{o}/shard-2"),
            "--quiet",
            "--force",
            "--threads",
            "4",
        ]
        .map(str::to_owned)
        .to_vec();
        want.extend(sets.iter().map(|s| format!("--set={s}")));
        assert_eq!(job("shard.sbatch"), want);
        assert_eq!(
            job("merge.sbatch"),
            ["merge", &format!("{o}/shard-0"), &format!("{o}/shard-1"), &format!("{o}/shard-2"), "--out"]
                .iter()
                .map(|s| (*s).to_owned())
                .chain([format!("{o}/merged"), "--force".to_owned()])
                .collect::<Vec<_>>()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
