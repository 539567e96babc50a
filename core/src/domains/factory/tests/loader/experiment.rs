//! `[experiment]`: replications, seed, the baseline to compare against and the precision target.

use super::{BASE, EXAMPLE, assert_has, check, err, try_parse, with_sets, with_sweep};
use crate::scenario::{ExperimentConfig, HalfWidth, PrecisionTarget, ScenarioError, ScenarioFile};

#[test]
fn unknown_key_in_experiment() {
    let e = check(&format!("{BASE}[experiment]\nreplication = 3\n"), 22, 1, "experiment.replication");
    assert_eq!(e.suggestion.as_deref(), Some("replications"));
}

#[test]
fn replications_zero_and_negative_seed() {
    let e = check(&format!("{BASE}[experiment]\nreplications = 0\n"), 22, 16, "experiment.replications");
    assert_eq!(e.message, "`replications` must be from 1 to 1000000, found 0");
    let e = check(&format!("{BASE}[experiment]\nseed = -1\n"), 22, 8, "experiment.seed");
    assert_eq!(e.message, "expected an integer >= 0, found -1");
}

#[test]
fn baseline_names_a_variant() {
    let file = try_parse(&format!("{BASE}[experiment]\nbaseline = \"baseline\"\n")).unwrap();
    assert_eq!(file.baseline.experiment.baseline, "baseline");
    let text = format!("{EXAMPLE}\n[experiment]\nbaseline = \"two-mills\"\n")
        .replace("[experiment]\nreplications = 8\nseed = 1\n", "");
    let file = try_parse(&text).unwrap();
    assert_eq!(file.baseline.experiment.baseline, "two-mills");
    assert!(file.variants.iter().all(|v| v.scenario.experiment.baseline == "two-mills"));
    // A generated variant.
    let text = with_sweep(
        "\"factory.station.mill.machines\" = [1, 2]\n",
        "[experiment]\nbaseline = \"machines=2\"\n",
    );
    assert_eq!(try_parse(&text).unwrap().baseline.experiment.baseline, "machines=2");
}

#[test]
fn baseline_unknown_suggests_the_nearest() {
    let text = with_sweep(
        "\"factory.station.mill.machines\" = [1, 2]\n",
        "[experiment]\nbaseline = \"machine=2\"\n",
    );
    let e = check(&text, 25, 12, "experiment.baseline");
    assert_eq!(
        e.message,
        "unknown variant `machine=2` (known variants: `baseline`, `machines=1`, `machines=2`)"
    );
    assert_eq!(e.suggestion.as_deref(), Some("machines=2"));
    let e = check(&format!("{BASE}[experiment]\nbaseline = \"baseln\"\n"), 22, 12, "experiment.baseline");
    assert_eq!(e.suggestion.as_deref(), Some("baseline"));
    // Many names: the first few are listed.
    let values = (1..=20).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    let text = with_sweep(
        &format!("\"factory.station.mill.machines\" = [{values}]\n"),
        "[experiment]\nbaseline = \"x\"\n",
    );
    assert_has(&err(&text), &["`machines=11`, … (21 in all)"]);
    // From the command line.
    let e = with_sets(BASE, &["experiment.baseline=other"]).unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (0, "experiment.baseline"));
    assert_has(&e, &["unknown variant `other`", "--set experiment.baseline"]);
}

fn target(text: &str) -> Result<ScenarioFile, ScenarioError> {
    try_parse(&format!("{BASE}[experiment]\n{text}"))
}

#[test]
fn precision_target_parses() {
    let file =
        target("target = { metric = \"throughput\", relative_half_width = 0.01 }\nmax_replications = 200\n")
            .unwrap();
    assert_eq!(
        file.baseline.experiment,
        ExperimentConfig {
            replications: 10,
            seed: 1,
            baseline: "baseline".into(),
            target: Some(PrecisionTarget {
                metric: "throughput".into(),
                half_width: HalfWidth::Relative(0.01),
                max_replications: 200,
                batch: 10,
                metric_written: None
            })
        }
    );
    let file = target("replications = 4\nmax_replications = 40\nbatch = 2\n\n[experiment.target]\nmetric = \"wip\"\nhalf_width = 3\n").unwrap();
    let t = file.baseline.experiment.target.unwrap();
    assert_eq!((t.half_width, t.max_replications, t.batch), (HalfWidth::Absolute(3.0), 40, 2));
    let json = serde_json::to_value(HalfWidth::Relative(0.5)).unwrap();
    assert_eq!(json, serde_json::json!({ "relative": 0.5 }));
}

#[test]
fn precision_target_errors() {
    let t = "target = { metric = \"throughput\", relative_half_width = 0.01 }\n";
    // The target (its table starts in column 10) is on line 22.
    let e = check(&format!("{BASE}[experiment]\n{t}"), 22, 10, "experiment.target");
    assert_eq!(
        e.message,
        "`target` needs `max_replications` (the most replications per variant, should the target not be met)"
    );
    let e = check(
        &format!("{BASE}[experiment]\nreplications = 20\n{t}max_replications = 10\n"),
        24,
        20,
        "experiment.max_replications",
    );
    assert_eq!(e.message, "`max_replications` must be from `replications` (20) to 1000000, found 10");
    let e = check(
        &format!("{BASE}[experiment]\n{t}max_replications = 2000000\n"),
        23,
        20,
        "experiment.max_replications",
    );
    assert_has(&e, &["found 2000000"]);
    let e = check(&format!("{BASE}[experiment]\nbatch = 5\n"), 22, 9, "experiment.batch");
    assert_eq!(e.message, "`batch` is only used with a precision `target`, and there is none");
    let e =
        check(&format!("{BASE}[experiment]\nmax_replications = 5\n"), 22, 20, "experiment.max_replications");
    assert_has(&e, &["only used with a precision `target`"]);
    let e = check(
        &format!("{BASE}[experiment]\nreplications = 1\n{t}max_replications = 10\n"),
        22,
        16,
        "experiment.replications",
    );
    assert_eq!(
        e.message,
        "with a `target`, `replications` is the first batch and must be >= 2 (a confidence interval needs two \
         replications), found 1"
    );
    let e = check(
        &format!("{BASE}[experiment]\n{t}max_replications = 10\nbatch = 0\n"),
        24,
        9,
        "experiment.batch",
    );
    assert_eq!(e.message, "`batch` must be >= 1, found 0");
    let with = |target: &str| format!("{BASE}[experiment]\nmax_replications = 10\ntarget = {target}\n");
    let e = check(
        &with("{ metric = \"x\", relative_half_width = 0.1, half_width = 2 }"),
        23,
        66,
        "experiment.target.half_width",
    );
    assert_eq!(e.message, "give either `relative_half_width` or `half_width`, not both");
    let e = check(&with("{ metric = \"x\" }"), 23, 10, "experiment.target");
    assert_has(&e, &["`target` needs `relative_half_width`"]);
    let e = check(&with("{ metric = \"x\", half_width = -1 }"), 23, 39, "experiment.target.half_width");
    assert_eq!(e.message, "`half_width` must be a finite number > 0, found -1");
    let e = check(
        &with("{ metric = \"x\", relative_half_width = nan }"),
        23,
        48,
        "experiment.target.relative_half_width",
    );
    assert_eq!(e.message, "`relative_half_width` must be a finite number > 0, found NaN");
    let e = check(&with("{ metric = \" \", half_width = 1 }"), 23, 21, "experiment.target.metric");
    assert_eq!(e.message, "`metric` must not be empty");
    let e = check(&with("{ half_width = 1 }"), 23, 10, "experiment.target.metric");
    assert_eq!(e.message, "missing required key `metric`");
    let e = check(&with("{ metric = \"x\", half_widht = 1 }"), 23, 26, "experiment.target.half_widht");
    assert_eq!(e.suggestion.as_deref(), Some("half_width"));
}
