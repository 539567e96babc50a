//! Bad input: every mistake gives exit code 2 and a message naming the file, line and key.
//! Never a panic.

use crate::common::xinzhi;

/// A valid scenario; each case edits one line (1-based) or appends lines.
const BASE: &str = r#"[scenario]
name = "bad"
domain = "factory"
time_unit = "minute"
horizon = 100.0
warmup = 10.0

[[factory.source]]
name = "orders"
product = "widget"
interarrival = { dist = "exponential", mean = 1.25 }

[[factory.product]]
name = "widget"
route = ["mill"]

[[factory.station]]
name = "mill"
machines = 1
process = { dist = "exponential", mean = 1.0 }
"#;

enum Edit {
    /// Replace line N (1-based).
    Line(usize, &'static str),
    /// Append text at the end.
    Append(&'static str),
}

/// `base` with `edit` applied.
fn edited(base: &str, edit: Edit) -> String {
    match edit {
        Edit::Line(n, new) => {
            let mut lines: Vec<&str> = base.lines().collect();
            lines[n - 1] = new;
            lines.join("\n") + "\n"
        }
        Edit::Append(extra) => format!("{base}{extra}"),
    }
}

/// Applies `edit` to [`BASE`], runs `xinzhi validate` and `xinzhi run` on the result and checks
/// exit code 2, the `file:line:` location and every expected fragment.
fn check(edit: Edit, line: usize, expected: &[&str]) {
    check_text(&edited(BASE, edit), &[], line, expected);
}

/// [`check`] on `text`, written as `bad.toml` next to `files` (name, content).
fn check_text(text: &str, files: &[(&str, &str)], line: usize, expected: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).expect("write file");
    }
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, text).expect("write scenario");
    let file_str = file.to_str().expect("utf-8");
    let out_dir = dir.path().join("out");
    for args in [
        vec!["validate", file_str],
        vec!["run", file_str, "--quiet", "--out", out_dir.to_str().expect("utf-8")],
    ] {
        let out = xinzhi(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} on:\n{text}\nstderr: {stderr}");
        assert!(!stderr.contains("panicked"), "panic: {stderr}");
        let location = format!("bad.toml:{line}:");
        assert!(stderr.contains(&location), "expected `{location}` in: {stderr}");
        for fragment in expected {
            assert!(stderr.contains(fragment), "expected `{fragment}` in: {stderr}");
        }
    }
    assert!(!out_dir.join("manifest.json").exists(), "no results for invalid input");
}

#[test]
fn toml_syntax_error() {
    check(Edit::Line(5, "horizon = 100.0 +"), 5, &[]);
}

#[test]
fn unknown_key_with_suggestion() {
    check(Edit::Line(5, "horizn = 100.0"), 5, &["horizn", "horizon"]);
}

#[test]
fn unknown_key_in_station_with_suggestion() {
    check(Edit::Line(19, "machnes = 1"), 19, &["machnes", "machines"]);
}

#[test]
fn wrong_type() {
    check(Edit::Line(19, r#"machines = "two""#), 19, &["machines"]);
}

#[test]
fn missing_required_key() {
    check(Edit::Line(2, r#"description = "no name""#), 1, &["name"]);
}

#[test]
fn unknown_time_unit() {
    check(Edit::Line(4, r#"time_unit = "minutes""#), 4, &["time_unit", "minute"]);
}

#[test]
fn horizon_not_positive() {
    check(Edit::Line(5, "horizon = -5.0"), 5, &["horizon"]);
}

#[test]
fn warmup_not_before_horizon() {
    check(Edit::Line(6, "warmup = 100.0"), 6, &["warmup"]);
}

#[test]
fn unknown_product_in_source() {
    check(Edit::Line(10, r#"product = "widgt""#), 10, &["product", "widget"]);
}

#[test]
fn unknown_distribution() {
    check(Edit::Line(11, r#"interarrival = { dist = "expo", mean = 1.25 }"#), 11, &["dist", "exponential"]);
}

#[test]
fn misspelled_distribution_parameter() {
    check(Edit::Line(11, r#"interarrival = { dist = "exponential", mena = 1.25 }"#), 11, &["mena", "mean"]);
}

#[test]
fn rate_not_positive() {
    check(Edit::Line(11, r#"interarrival = { dist = "exponential", rate = 0.0 }"#), 11, &["rate"]);
}

#[test]
fn unknown_station_in_route() {
    check(Edit::Line(15, r#"route = ["mil"]"#), 15, &["route", "mill"]);
}

#[test]
fn empty_route() {
    check(Edit::Line(15, "route = []"), 15, &["route"]);
}

#[test]
fn zero_machines() {
    check(Edit::Line(19, "machines = 0"), 19, &["machines"]);
}

#[test]
fn absurd_machine_count_is_an_input_error_not_an_allocation_failure() {
    check(Edit::Line(19, "machines = 4000000000"), 19, &["machines", "1000000"]);
}

#[test]
fn negative_mean() {
    check(Edit::Line(20, r#"process = { dist = "exponential", mean = -1.0 }"#), 20, &["mean"]);
}

#[test]
fn negative_cv() {
    check(Edit::Line(20, r#"process = { dist = "lognormal", mean = 1.0, cv = -0.2 }"#), 20, &["cv"]);
}

#[test]
fn duplicate_station_name() {
    check(Edit::Append("\n[[factory.station]]\nname = \"mill\"\nmachines = 2\n"), 23, &["mill"]);
}

#[test]
fn variant_path_to_missing_station() {
    check(
        Edit::Append(
            "\n[[variant]]\nname = \"drill-more\"\nset = { \"factory.station.drill.machines\" = 2 }\n",
        ),
        24,
        &["drill-more", "factory.station.drill.machines", "mill"],
    );
}

#[test]
fn variant_value_of_wrong_type() {
    check(
        Edit::Append(
            "\n[[variant]]\nname = \"typo\"\nset = { \"factory.station.mill.machines\" = \"three\" }\n",
        ),
        24,
        &["typo", "machines"],
    );
}

fn exit_code(args: &[&str]) -> (Option<i32>, String) {
    let out = xinzhi(args);
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn bad_flags_are_input_errors() {
    let (code, err) = exit_code(&["run", "scenarios/mm1.toml", "--set", "no-equals-sign"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no-equals-sign"), "{err}");
    let (code, err) = exit_code(&["run", "scenarios/mm1.toml", "--threads", "0"]);
    assert_eq!(code, Some(2), "{err}");
    let (code, err) = exit_code(&["run", "scenarios/mm1.toml", "--set", "factory.station.lathe.machines=2"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("lathe") && err.contains("mill"), "{err}");
    let (code, err) = exit_code(&["validate", "scenarios/does-not-exist.toml"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("does-not-exist.toml"), "{err}");
}

#[test]
fn non_empty_output_folder_is_refused_without_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("keep.txt"), "precious").expect("write");
    let d = dir.path().to_str().expect("utf-8");
    let (code, err) = exit_code(&[
        "run",
        "scenarios/mm1.toml",
        "--quiet",
        "--out",
        d,
        "--set",
        "scenario.horizon=1000",
        "--set",
        "scenario.warmup=100",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("keep.txt")).expect("kept"), "precious");
    let (code, err) = exit_code(&[
        "run",
        "scenarios/mm1.toml",
        "--quiet",
        "--out",
        d,
        "--force",
        "--set",
        "scenario.horizon=1000",
        "--set",
        "scenario.warmup=100",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(dir.path().join("summary.csv").exists());
}

/// Defect 2: a zero interarrival used to be accepted and then hang at t = 0, filling the memory.
/// Every interarrival distribution whose draws are all 0 is now an input error at the
/// distribution, saying why; `validate` and `run` refuse it at once.
#[test]
#[expect(clippy::disallowed_methods, reason = "times the refusal; the wall clock reaches no result")]
fn defect_2_zero_interarrival_is_an_input_error() {
    // Time the refusals, not the first build of the binary.
    crate::common::xinzhi_bin();
    let started = std::time::Instant::now();
    let why =
        ["factory.source[orders].interarrival", "infinitely many arrivals at one instant", "every draw is 0"];
    check(Edit::Line(11, r#"interarrival = { dist = "constant", value = 0.0 }"#), 11, &why);
    check(Edit::Line(11, r#"interarrival = { dist = "empirical", values = [0, 0, 0] }"#), 11, &why);
    check(Edit::Line(11, r#"interarrival = { dist = "uniform", min = 0, max = 0 }"#), 11, &why);
    // The same through `--set`: located at the flag.
    let (code, err) =
        exit_code(&["validate", "scenarios/mm1.toml", "--set", "factory.source.orders.interarrival=0"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--set factory.source.orders.interarrival=0") && err.contains("every draw is 0"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "took {:?}", started.elapsed());
}

/// Defect 7: a variant, a sweep or `--set` could not lift a buffer limit; `"unlimited"` now does.
#[test]
fn defect_7_unlimited_buffer_is_accepted() {
    let (code, err) = exit_code(&[
        "validate",
        "scenarios/tandem-buffer.toml",
        "--set",
        "factory.station.cut.buffer=unlimited",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = exit_code(&[
        "validate",
        "scenarios/tandem-buffer.toml",
        "--set",
        "factory.station.cut.buffer=unlimted",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("\"unlimited\"") && err.contains("factory.station.cut.buffer"), "{err}");
}

/// A precision target naming a metric no collector produces is an input error found by
/// `validate` and by `run` before anything runs: located at the `metric` value, with the
/// nearest declared metric, and `run` creates no output folder. (It used to be found only
/// after the first batch of replications had run and been written.)
#[test]
#[expect(clippy::disallowed_methods, reason = "the test measures that nothing ran")]
fn defect_6_unknown_target_metric_found_before_running() {
    // A horizon long enough that running the first batch would show.
    let text = BASE.replace("horizon = 100.0", "horizon = 2000000.0")
        + "\n[experiment]\nreplications = 4\nmax_replications = 8\n\
           target = { metric = \"thruput\", relative_half_width = 0.01 }\n";
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, &text).expect("write scenario");
    let file_str = file.to_str().expect("utf-8");
    let out_dir = dir.path().join("out");
    // Built on first use: not part of the time measured below.
    crate::common::xinzhi_bin();
    for args in [
        vec!["validate", file_str],
        vec!["run", file_str, "--quiet", "--out", out_dir.to_str().expect("utf-8")],
    ] {
        let started = std::time::Instant::now();
        let out = xinzhi(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        // `[experiment]` is on line 22: the target on line 25, its metric value at column 21.
        assert!(stderr.contains("bad.toml:25:21: experiment.target.metric: "), "{stderr}");
        assert!(
            stderr.contains("no collector produces the metric `thruput` (collector `kpi` produces: "),
            "{stderr}"
        );
        assert!(stderr.contains("(did you mean `throughput`?)"), "{stderr}");
        assert!(started.elapsed().as_secs() < 20, "{args:?} took {:?}", started.elapsed());
    }
    assert!(!out_dir.exists(), "nothing ran, so no output folder");

    // The same target through `--set` is located at the flag.
    let (code, err) = exit_code(&[
        "validate",
        "scenarios/mm1.toml",
        "--set",
        "experiment.target={ metric = \"utilisation.server\", half_width = 0.1 }",
        "--set",
        "experiment.max_replications=20",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no collector produces the metric `utilisation.server`"), "{err}");
}

/// A valid scenario of machines' lives (issue 11): a press shop whose machines fail at random and
/// wear out, with a sensor and predictive maintenance learning during the warm-up. Each case
/// below breaks one line.
const LIVES: &str = r#"[scenario]
name = "bad-lives"
domain = "factory"
time_unit = "hour"
horizon = 2000.0
warmup = 500.0

[[factory.crew]]
name = "fitters"
size = 2

[[factory.source]]
name = "orders"
product = "panel"
interarrival = { dist = "exponential", mean = 1.25 }

[[factory.product]]
name = "panel"
route = ["press"]

[[factory.station]]
name = "press"
machines = 3
process = { dist = "exponential", mean = 2.0 }
failure = { mtbf = { dist = "exponential", mean = 100.0 }, mttr = { dist = "exponential", mean = 5.0 }, basis = "calendar", crew = "fitters" }
wear = { rate = 1.0, cv = 0.3, basis = "busy", limit = 100.0 }
sensor = { every = 5.0, noise_sd = 2.0, filter = "kalman" }
maintenance = { policy = "predictive", predictor = { plugin = "logistic" }, within = 20.0, threshold = 0.5, duration = { dist = "exponential", mean = 1.0 }, crew = "fitters" }
"#;

/// Line 25 of [`LIVES`], the `failure` table, with `keys` inside.
fn failure_line(keys: &str) -> String {
    format!("failure = {{ {keys} }}")
}

/// Line 28 of [`LIVES`], the `maintenance` table, with `predictor` and extra keys.
fn maintenance_line(predictor: &str, extra: &str) -> String {
    format!(
        "maintenance = {{ policy = \"predictive\", predictor = {predictor}, within = 20.0, threshold = 0.5, \
         duration = {{ dist = \"exponential\", mean = 1.0 }}, crew = \"fitters\"{extra} }}"
    )
}

fn lives(line: usize, new: &str) -> String {
    let mut lines: Vec<&str> = LIVES.lines().collect();
    lines[line - 1] = new;
    lines.join("\n") + "\n"
}

#[test]
fn lives_base_is_valid() {
    let (_dir, file) = crate::common::scenario_file("lives.toml", LIVES);
    let (code, err) = exit_code(&["validate", file.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_crew_that_does_not_exist() {
    let keys = "mtbf = { dist = \"exponential\", mean = 100.0 }, mttr = { dist = \"exponential\", mean = 5.0 }, \
                basis = \"calendar\", crew = \"fitter\"";
    check_text(
        &lives(25, &failure_line(keys)),
        &[],
        25,
        &["factory.station[press].failure.crew", "unknown crew `fitter`", "(did you mean `fitters`?)"],
    );
}

#[test]
fn a_misspelt_basis() {
    let keys = "mtbf = { dist = \"exponential\", mean = 100.0 }, mttr = { dist = \"exponential\", mean = 5.0 }, \
                basis = \"calender\", crew = \"fitters\"";
    check_text(
        &lives(25, &failure_line(keys)),
        &[],
        25,
        &["factory.station[press].failure.basis", "\"calender\"", "(did you mean `calendar`?)"],
    );
}

#[test]
fn a_negative_mttr() {
    let keys = "mtbf = { dist = \"exponential\", mean = 100.0 }, mttr = { dist = \"exponential\", mean = -2 }, \
                basis = \"calendar\", crew = \"fitters\"";
    check_text(
        &lives(25, &failure_line(keys)),
        &[],
        25,
        &["factory.station[press].failure.mttr.mean", "`mean` must be > 0, found -2"],
    );
}

#[test]
fn a_predictor_that_is_not_a_predictor() {
    let text = lives(28, &maintenance_line("{ plugin = \"fifo\" }", ""));
    // Column of the plugin's name.
    let column = text.lines().nth(27).and_then(|l| l.find("\"fifo\"")).expect("on line 28") + 1;
    check_text(
        &text,
        &[],
        28,
        &[
            &format!("bad.toml:28:{column}: factory.station[press].maintenance.predictor.plugin"),
            "plugin `fifo` is a scheduler, not a predictor",
        ],
    );
}

#[test]
fn a_training_file_that_is_missing() {
    check_text(
        &lives(28, &maintenance_line("{ plugin = \"logistic\" }", ", train = \"history.csv\"")),
        &[],
        28,
        &["factory.station[press].maintenance.train", "cannot read the training file", "history.csv"],
    );
}

#[test]
fn a_training_file_that_lacks_a_column() {
    let csv = "level,age,failed_within\n10,5,0\n90,80,1\n";
    check_text(
        &lives(28, &maintenance_line("{ plugin = \"logistic\" }", ", train = \"history.csv\"")),
        &[("history.csv", csv)],
        28,
        &["factory.station[press].maintenance.train", "history.csv", "has no column `rate`"],
    );
}

#[test]
fn a_training_file_with_a_bad_value_names_its_line() {
    let csv = "level,rate,age,failed_within\n10,0.1,5,0\n90,fast,80,1\n";
    check_text(
        &lives(28, &maintenance_line("{ plugin = \"logistic\" }", ", train = \"history.csv\"")),
        &[("history.csv", csv)],
        28,
        &["factory.station[press].maintenance.train", "history.csv` line 3, column `rate`", "\"fast\""],
    );
}

// ---- The city (issue 12, plan §3.3): one test per row of the validation table ----------------

/// A valid one-intersection city (the issue's block with the other approaches and exits).
fn city_base() -> String {
    let mut t = String::from(
        r#"[scenario]
name = "bad-city"
domain = "city"
time_unit = "second"
horizon = 600.0

[city]
discharge = "slotted"
yellow = 3.0
all_red = 2.0
startup_lost = 2.0
clearance_lost = 2.0
signal = { plugin = "fixed_time", mode = "webster" }

[[city.node]]
name = "x"
phases = [["north-in", "south-in"], ["east-in", "west-in"]]
permitted = ["north-in>east-out", "south-in>west-out", "east-in>south-out", "west-in>north-out"]
signal = { plugin = "fixed_time", cycle = 60.0, greens = [25.0, 25.0] }
"#,
    );
    for (name, from, to) in [
        ("north-in", "north", "x"),
        ("south-in", "south", "x"),
        ("east-in", "east", "x"),
        ("west-in", "west", "x"),
        ("north-out", "x", "north"),
        ("south-out", "x", "south"),
        ("east-out", "x", "east"),
        ("west-out", "x", "west"),
    ] {
        t.push_str(&format!(
            "\n[[city.link]]\nname = \"{name}\"\nfrom = \"{from}\"\nto = \"{to}\"\nlength = 150.0\nlanes = 1\nspeed = 15.0\nsaturation = 1800.0\n"
        ));
    }
    t.push_str(
        "\n[[city.flow]]\nname = \"ns\"\nroute = [\"north-in\", \"south-out\"]\nrate = 588.0\narrivals = \"poisson\"\n\
         \n[[city.flow]]\nname = \"ew\"\nroute = [\"east-in\", \"west-out\"]\nrate = 420.0\n",
    );
    t
}

/// `city_base()` with the first occurrence of `from` replaced by `to`.
fn city_with(from: &str, to: &str) -> String {
    let base = city_base();
    assert!(base.contains(from), "`{from}` not in the base city");
    base.replacen(from, to, 1)
}

/// 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in:\n{text}"));
    text[..at].matches('\n').count() + 1
}

/// [`check_text`] on `text`, expecting the error on the line of `needle`.
fn check_city(text: &str, needle: &str, expected: &[&str]) {
    check_text(text, &[], line_of(text, needle), expected);
}

#[test]
fn city_base_is_valid() {
    let (_dir, file) = crate::common::scenario_file("city.toml", &city_base());
    let (code, err) = exit_code(&["validate", file.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn city_link_from_a_node_to_itself() {
    let text = city_with("from = \"x\"\nto = \"north\"", "from = \"x\"\nto = \"x\"");
    let line = line_of(&text, "name = \"north-out\"") + 2;
    check_text(
        &text,
        &[],
        line,
        &["city.link[north-out].to", "link `north-out` starts and ends at node `x`"],
    );
}

#[test]
fn city_link_joining_two_boundary_nodes() {
    let text = city_with("from = \"north\"\nto = \"x\"", "from = \"north\"\nto = \"xx\"");
    check_city(
        &text,
        "to = \"xx\"",
        &[
            "city.link[north-in].to",
            "link `north-in` joins `north` and `xx`, neither of which is a [[city.node]]",
            "(did you mean `x`?)",
        ],
    );
}

#[test]
fn city_phase_naming_an_unknown_link() {
    let text = city_with("[\"east-in\", \"west-in\"]]", "[\"east-in\", \"foo\"]]");
    check_city(
        &text,
        "phases",
        &["city.node[x].phases[1][1]", "phase 1 of node `x` names link `foo`, which does not exist"],
    );
}

#[test]
fn city_phase_naming_a_link_that_leaves_the_node() {
    let text = city_with("[\"east-in\", \"west-in\"]]", "[\"east-in\", \"south-out\"]]");
    check_city(
        &text,
        "phases",
        &[
            "city.node[x].phases[1][1]",
            "phase 1 of node `x` names `south-out`, which leaves `x` (phases list in-links)",
        ],
    );
}

#[test]
fn city_link_numbers_must_be_finite_and_positive() {
    for (new, key, message) in [
        ("length = -150.0", "length", "`length` must be a finite number > 0, found -150"),
        ("length = nan", "length", "`length` must be a finite number > 0, found NaN"),
        ("lanes = 0", "lanes", "`lanes` must be an integer >= 1, found 0"),
        ("speed = 0.0", "speed", "`speed` must be a finite number > 0, found 0"),
        ("saturation = -1.0", "saturation", "`saturation` must be a finite number > 0"),
    ] {
        let old = match key {
            "length" => "length = 150.0",
            "lanes" => "lanes = 1",
            "speed" => "speed = 15.0",
            _ => "saturation = 1800.0",
        };
        let text = city_with(old, new);
        check_city(&text, new, &[&format!("city.link[north-in].{key}"), message]);
    }
}

#[test]
fn city_link_too_short_to_hold_a_vehicle() {
    let text = city_with("length = 150.0", "length = 5.0");
    check_city(
        &text,
        "length = 5.0",
        &[
            "city.link[north-in].length",
            "link `north-in` holds ⌊1·5/7.5⌋ = 0 vehicles: give `storage` >= 1 or a longer link",
        ],
    );
}

#[test]
fn city_duplicate_names() {
    let base = city_base();
    let first = line_of(&base, "name = \"north-in\"");
    let text = format!(
        "{base}\n[[city.link]]\nname = \"north-in\"\nfrom = \"north\"\nto = \"x\"\nlength = 1.0\nlanes = 1\nspeed = 1.0\nsaturation = 1.0\n"
    );
    let line = text.matches('\n').count() - 6;
    check_text(
        &text,
        &[],
        line,
        &["city.link[north-in].name", &format!("link `north-in` is defined twice (first at line {first})")],
    );
    let text =
        format!("{base}\n[[city.flow]]\nname = \"ns\"\nroute = [\"south-in\", \"north-out\"]\nrate = 1.0\n");
    let line = text.matches('\n').count() - 2;
    check_text(&text, &[], line, &["flow `ns` is defined twice"]);
}

#[test]
fn city_route_not_connected() {
    let text = city_with("route = [\"north-in\", \"south-out\"]", "route = [\"north-in\", \"east-in\"]");
    check_city(
        &text,
        "route = [\"north-in\", \"east-in\"]",
        &["city.flow[ns].route", "route of flow `ns`: `north-in` ends at `x` but `east-in` starts at `east`"],
    );
}

#[test]
fn city_route_not_from_a_boundary() {
    let text = city_with("route = [\"north-in\", \"south-out\"]", "route = [\"south-out\"]");
    check_city(
        &text,
        "route = [\"south-out\"]",
        &["city.flow[ns].route", "route of flow `ns` must start at a boundary node; `x` is signalised"],
    );
    let text = city_with("route = [\"north-in\", \"south-out\"]", "route = [\"north-in\"]");
    check_city(
        &text,
        "route = [\"north-in\"]",
        &["city.flow[ns].route", "route of flow `ns` must end at a boundary node; `x` is signalised"],
    );
}

#[test]
fn city_from_to_without_a_path() {
    // No phase serves the east approach, so nothing from `east` ever crosses.
    let text = city_with("[\"east-in\", \"west-in\"]]", "[\"west-in\"]]")
        .replacen("\"east-in>south-out\", ", "", 1)
        .replacen("route = [\"east-in\", \"west-out\"]", "from = \"east\"\nto = \"south\"", 1);
    check_city(
        &text,
        "to = \"south\"\nrate",
        &["city.flow[ew].to", "no path from `east` to `south` (links from `east`: `east-in`)"],
    );
}

#[test]
fn city_merging_movements_in_one_phase() {
    // Phases are checked among the movements traffic uses: a left and the opposing right.
    let turning = "\n[[city.flow]]\nname = \"ne\"\nroute = [\"north-in\", \"east-out\"]\nrate = 60.0\n\
                   \n[[city.flow]]\nname = \"se\"\nroute = [\"south-in\", \"east-out\"]\nrate = 60.0\n";
    let text = format!("{}{turning}", city_with("\"north-in>east-out\", ", ""));
    check_city(
        &text,
        "phases",
        &[
            "city.node[x].phases[0]",
            "phase 0 of node `x` gives green to `north-in>east-out` and `south-in>east-out`, which merge onto `east-out`",
        ],
    );
}

#[test]
fn city_crossing_movements_in_one_phase() {
    let points = "\n[[city.point]]\nname = \"north\"\nat = [0.0, 150.0]\n[[city.point]]\nname = \"south\"\nat = [0.0, -150.0]\n\
                  [[city.point]]\nname = \"east\"\nat = [150.0, 0.0]\n[[city.point]]\nname = \"west\"\nat = [-150.0, 0.0]\n";
    let text = format!(
        "{}{points}",
        city_with(
            "phases = [[\"north-in\", \"south-in\"], [\"east-in\", \"west-in\"]]",
            "at = [0.0, 0.0]\nphases = [[\"north-in>south-out\", \"east-in>west-out\"], [\"south-in\", \"west-in\"]]"
        )
    );
    check_city(
        &text,
        "phases",
        &[
            "city.node[x].phases[0]",
            "phase 0 of node `x` gives green to `north-in>south-out` and `east-in>west-out`, which cross",
        ],
    );
}

#[test]
fn city_in_link_in_no_phase_used_by_a_flow() {
    let text = city_with("[[\"north-in\", \"south-in\"]", "[[\"south-in\"]").replacen(
        "\"north-in>east-out\", ",
        "",
        1,
    );
    check_city(
        &text,
        "route = [\"north-in\", \"south-out\"]",
        &[
            "city.flow[ns].route",
            "turns from `north-in` into `south-out` at `x`, which no phase of `x` gives green",
        ],
    );
}

#[test]
fn city_timing_conventions() {
    let text = city_with("yellow = 3.0\nall_red = 2.0", "yellow = 0.5\nall_red = 0.5");
    check_city(
        &text,
        "clearance_lost = 2.0",
        &["city.clearance_lost", "`clearance_lost` (2) exceeds `yellow` + `all_red` (1)"],
    );
    let text = city_with("name = \"x\"\n", "name = \"x\"\nmin_green = 0.0\n");
    check_city(
        &text,
        "min_green = 0.0",
        &["city.node[x].min_green", "`min_green` must be a finite number > 0"],
    );
    let text = city_with("name = \"x\"\n", "name = \"x\"\nmin_green = 10.0\nmax_green = 8.0\n");
    check_city(
        &text,
        "max_green = 8.0",
        &["city.node[x].max_green", "`max_green` must be a finite number >= `min_green` (10), found 8"],
    );
}

#[test]
fn city_greens_that_do_not_fit() {
    let text = city_with("greens = [25.0, 25.0]", "greens = [25.0, 20.0, 5.0]");
    check_city(
        &text,
        "greens",
        &["city.node[x].signal.greens", "`greens` gives 3 displayed greens but node `x` has 2 phases"],
    );
    let text = city_with("greens = [25.0, 25.0]", "greens = [27.0, 25.0]");
    check_city(&text, "greens", &["city.node[x].signal.greens", "`greens`", "but `cycle` is 60 s"]);
}

#[test]
fn city_unknown_words() {
    let text = city_with("discharge = \"slotted\"", "discharge = \"slot\"");
    check_city(
        &text,
        "discharge",
        &["city.discharge", "expected slotted or continuous, found `slot`", "(did you mean `slotted`?)"],
    );
    let text = city_with("arrivals = \"poisson\"", "arrivals = \"poison\"");
    check_city(
        &text,
        "arrivals",
        &["city.flow[ns].arrivals", "expected poisson or deterministic, found `poison`"],
    );
}

#[test]
fn city_rate_profile_and_headway() {
    let text = city_with("rate = 588.0", "rate = 588.0\nprofile = [100.0, 200.0]");
    check_city(&text, "profile", &["city.flow[ns].profile", "has both `rate` and `profile`"]);
    let text = city_with("rate = 588.0\n", "");
    check_city(&text, "[[city.flow]]", &["city.flow[ns]", "flow `ns` needs `rate` [veh/h] or `profile`"]);
    let text =
        city_with("rate = 588.0\narrivals = \"poisson\"", "arrivals = \"deterministic\"\nheadway = -2.0");
    check_city(&text, "headway", &["city.flow[ns].headway", "`headway` must be a finite number > 0"]);
}

#[test]
fn city_turn_ratios() {
    let flow = "\n[[city.flow]]\nname = \"tr\"\nroute = \"turn_ratios\"\nfrom = \"north-in\"\nrate = 100.0\n";
    let turn = "\n[[city.turn]]\nat = \"x\"\nfrom = \"north-in\"\nratios = { \"south-out\" = 0.7, \"east-out\" = 0.2 }\n";
    let text = format!("{}{flow}{turn}", city_base());
    check_city(
        &text,
        "ratios = {",
        &["city.turn[0].ratios", "`ratios` of vehicles from `north-in` at `x` sum to 0.9, not 1"],
    );
    let turn = "\n[[city.turn]]\nat = \"x\"\nfrom = \"north-in\"\nratios = { \"south-out\" = 0.7, \"east-in\" = 0.3 }\n";
    let text = format!("{}{flow}{turn}", city_base());
    check_city(
        &text,
        "\"east-in\" = 0.3",
        &["city.turn[0].ratios", "`ratios` names `east-in`, which does not leave `x`"],
    );
}

#[test]
fn city_signal_plugin_that_is_not_a_signal_controller() {
    let text = city_with("signal = { plugin = \"fixed_time\", cycle", "signal = { plugin = \"fifo\", cycle");
    check_city(&text, "\"fifo\"", &["city.node[x].signal.plugin", "`fifo` is a scheduler, not a"]);
}

#[test]
fn city_unknown_parameter_of_a_built_in_controller() {
    // The node's own controller: the `[city]` default is used by no node here.
    let text = city_with("greens = [25.0, 25.0] }", "greens = [25.0, 25.0], cylce = 60.0 }");
    check_city(&text, "cylce", &["cylce"]);
}

#[test]
fn city_grid_sizes() {
    let grid = |keys: &str| {
        format!(
            "[scenario]\nname = \"g\"\ndomain = \"city\"\ntime_unit = \"second\"\nhorizon = 600.0\n\n[city.network]\nkind = \"grid\"\n{keys}\n\
             [[city.flow]]\nname = \"f\"\nfrom = \"left0\"\nto = \"right0\"\nrate = 100.0\n"
        )
    };
    let text = grid("rows = 0\ncols = 3\n");
    check_city(&text, "rows = 0", &["city.network.rows", "`rows` must be an integer from 1 to 300, found 0"]);
    let text = grid("rows = 3\ncols = 3\nblock = -300.0\n");
    check_city(&text, "block", &["city.network.block", "`block` must be a finite number > 0"]);
}

#[test]
fn city_time_unit_must_be_second() {
    let text = city_with("time_unit = \"second\"", "time_unit = \"minute\"");
    check_city(
        &text,
        "time_unit",
        &["scenario.time_unit", "`time_unit` must be \"second\", found \"minute\""],
    );
}

#[test]
fn city_trips_file_unsorted() {
    let text = format!("{}\n[city.trips]\nfile = \"trips.csv\"\n", city_base());
    let csv = "depart,route\n5.0,north-in south-out\n4.0,east-in west-out\n";
    check_text(
        &text,
        &[("trips.csv", csv)],
        line_of(&text, "file = \"trips.csv\""),
        &["city.trips.file", "trips.csv` line 3: `depart` 4 is before the previous row's 5"],
    );
}
