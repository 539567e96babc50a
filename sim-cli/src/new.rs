//! `xinzhi new plugin NAME --kind K`: a plugin crate that builds as-is and loads.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};

use crate::Failure;
use xinzhi_plugin::abi::ComponentKind;

use crate::args::NewPluginArgs;

/// The `xinzhi-plugin` crate this binary was built with (its source folder in the repository).
fn default_api_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("plugins").join("api")
}

fn valid_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `xinzhi new plugin`.
pub(crate) fn plugin(args: &NewPluginArgs) -> Result<(), Failure> {
    if !valid_name(&args.name) {
        return Err(Failure::Input(anyhow!(
            "invalid plugin name `{}`: use letters, digits, `-` and `_`, starting with a letter",
            args.name
        )));
    }
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.exists() {
        return Err(Failure::Input(anyhow!("{} already exists; choose another --dir", dir.display())));
    }
    let api = args.api_path.clone().unwrap_or_else(default_api_path);
    let api = api.canonicalize().map_err(|e| {
        Failure::Input(anyhow!(
            "xinzhi-plugin not found at {} ({e}); pass --api-path with the folder of the xinzhi-plugin crate",
            api.display()
        ))
    })?;
    let template = TEMPLATES.iter().find(|t| t.kind.name() == args.kind).ok_or_else(|| {
        // Unreachable from the command line (clap offers only these), kept for callers.
        let known: Vec<&str> = TEMPLATES.iter().map(|t| t.kind.name()).collect();
        Failure::Input(anyhow!("no template for kind `{}` (known: {})", args.kind, known.join(", ")))
    })?;
    let files = render(&args.name, template, &api);
    write(&dir, &files).map_err(Failure::Run)?;
    // Paths in `[plugins] load` are relative to the scenario file, not to this folder, so the
    // path to paste is absolute: right from any scenario.
    let absolute =
        dir.canonicalize().with_context(|| format!("resolving {}", dir.display())).map_err(Failure::Run)?;
    let so = absolute.join("target").join("release").join(library_file(&args.name));
    let so = toml::Value::String(so.display().to_string());
    println!(
        "created {} ({} plugin `{}`)\n  build:  cargo build --release --manifest-path {}\n  use:    [plugins] load = [{so}]",
        dir.display(),
        template.kind.name(),
        args.name,
        dir.join("Cargo.toml").display(),
    );
    Ok(())
}

/// The file name of crate `name`'s shared library: cargo turns `-` into `_` (`slack-rule` →
/// `libslack_rule.so`).
fn library_file(name: &str) -> String {
    format!("{}{}{}", std::env::consts::DLL_PREFIX, name.replace('-', "_"), std::env::consts::DLL_SUFFIX)
}

/// The starting crate of one kind of component.
#[derive(Debug)]
pub(crate) struct Template {
    /// The kind; its name is the value of `--kind`.
    pub(crate) kind: ComponentKind,
    /// `src/lib.rs`, with `__NAME__`, `__TYPE__` and `__LIB__` to fill in.
    body: &'static str,
}

/// The template of every kind `xinzhi new plugin --kind` offers: a new kind is one entry here.
pub(crate) const TEMPLATES: &[Template] = &[
    Template { kind: ComponentKind::SCHEDULER, body: SCHEDULER },
    Template { kind: ComponentKind::PREDICTOR, body: PREDICTOR },
    Template { kind: ComponentKind::COLLECTOR, body: COLLECTOR },
    Template { kind: ComponentKind::SIGNAL, body: SIGNAL },
];

fn write(dir: &Path, files: &[(&str, String)]) -> anyhow::Result<()> {
    for (name, text) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// The files of a new plugin crate.
pub(crate) fn render(name: &str, template: &Template, api: &Path) -> Vec<(&'static str, String)> {
    let type_name: String = name
        .split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect();
    let api = api.display().to_string().replace('\\', "/");
    let cargo = format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
# A shared library the host loads at run time: [plugins] load = ["…/target/release/lib{lib}.so"]
# (a relative path there is relative to the scenario file).
crate-type = ["cdylib"]

[dependencies]
xinzhi-plugin = {{ path = "{api}" }}
serde = {{ version = "1", features = ["derive"] }}

# Standalone: not part of any surrounding workspace.
[workspace]
"#,
        lib = name.replace('-', "_"),
    );
    let lib = template
        .body
        .replace("__TYPE__", &type_name)
        .replace("__LIB__", &name.replace('-', "_"))
        .replace("__NAME__", name);
    vec![("Cargo.toml", cargo), ("src/lib.rs", lib), (".gitignore", "/target\n".to_owned())]
}

const SCHEDULER: &str = r##"//! `__NAME__`: a Xinzhi scheduler plugin — least slack first.
//!
//! Slack = due date − now − remaining work (this operation, plus the rest of the route when
//! `include_route` is true). Jobs without a due date go last, in arrival order.
//!
//! Use it in a scenario:
//!
//! ```toml
//! [plugins]
//! load = ["/path/to/__NAME__/target/release/lib__LIB__.so"]  # absolute, or relative to this scenario file
//!
//! [[factory.station]]
//! name = "mill"
//! machines = 1
//! dispatch = { plugin = "__NAME__", include_route = true }
//! ```

use serde::Deserialize;
use xinzhi_plugin::{Component, Config, Host, JobRecord, Order, PluginError, Scheduler, Snapshot};

/// Parameters, checked strictly: a misspelt key is an error naming it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "yes")]
    include_route: bool,
}

fn yes() -> bool {
    true
}

/// Least slack first.
pub struct __TYPE__ {
    include_route: bool,
}

impl __TYPE__ {
    fn slack(&self, s: &Snapshot<'_>, job: &JobRecord) -> f64 {
        let mut work = job.processing_time;
        if self.include_route {
            work += s.remaining(job).iter().map(|op| op.processing_time).sum::<f64>();
        }
        job.due_date - s.now - work
    }
}

impl Component for __TYPE__ {
    const NAME: &'static str = "__NAME__";
    const DESCRIPTION: &'static str = "least slack first: due date - now - remaining work";
    const PARAMETERS: &'static str =
        "include_route: count the rest of the route as remaining work (bool, true)";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        let p: Params = config.parse()?;
        Ok(__TYPE__ { include_route: p.include_route })
    }
}

impl Scheduler for __TYPE__ {
    fn schedule(&mut self, s: &Snapshot<'_>, order: &mut Order<'_>) -> Result<(), PluginError> {
        order.fill_arrival_order();
        // A stable sort keeps arrival order among equal slacks (and among jobs without due date).
        order.as_mut_slice().sort_by(|&a, &b| {
            let (a, b) = (&s.jobs[a as usize], &s.jobs[b as usize]);
            self.slack(s, a).total_cmp(&self.slack(s, b))
        });
        Ok(())
    }
}

xinzhi_plugin::export_plugins! {
    schedulers: [__TYPE__],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: u64, due: f64, p: f64) -> JobRecord {
        JobRecord {
            id,
            product: 0,
            step: 0,
            release_time: 0.0,
            due_date: due,
            weight: 1.0,
            queued_at: 0.0,
            processing_time: p,
            ops_start: 0,
            ops_len: 0,
        }
    }

    #[test]
    fn least_slack_first() {
        let jobs = [job(0, f64::INFINITY, 1.0), job(1, 10.0, 8.0), job(2, 5.0, 1.0)];
        let s = Snapshot { station: 0, now: 0.0, jobs: &jobs, ops: &[], machines: &[] };
        let mut rule = __TYPE__::new(&Config::new("{}"), &Host::detached(1)).unwrap();
        let mut buf = [0; 3];
        let mut order = Order::new(&mut buf);
        rule.schedule(&s, &mut order).unwrap();
        // slacks: +inf, 2, 4
        assert_eq!(order.as_slice(), [1, 2, 0]);
    }

    #[test]
    fn misspelt_parameter_is_named() {
        let e = __TYPE__::new(&Config::new(r#"{"include_rout": true}"#), &Host::detached(1)).err().unwrap();
        assert!(e.message.contains("include_rout"), "{}", e.message);
    }
}
"##;

const PREDICTOR: &str = r##"//! `__NAME__`: a Xinzhi predictor plugin — k-nearest-neighbour regression.
//!
//! Predicts the mean target of the `k` training rows nearest (Euclidean) to each row.

use serde::Deserialize;
use xinzhi_plugin::{Component, Config, Host, Matrix, PluginError, Predictor};

/// Parameters, checked strictly: a misspelt key is an error naming it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "three")]
    k: usize,
}

fn three() -> usize {
    3
}

/// k-nearest-neighbour regression.
pub struct __TYPE__ {
    k: usize,
    cols: usize,
    x: Vec<f64>,
    y: Vec<f64>,
}

impl Component for __TYPE__ {
    const NAME: &'static str = "__NAME__";
    const DESCRIPTION: &'static str = "k-nearest-neighbour regression (Euclidean distance)";
    const PARAMETERS: &'static str = "k: neighbours averaged (integer >= 1, 3)";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        let p: Params = config.parse()?;
        if p.k == 0 {
            return Err(PluginError::invalid_config("`k` must be >= 1, found 0"));
        }
        Ok(__TYPE__ { k: p.k, cols: 0, x: Vec::new(), y: Vec::new() })
    }
}

impl Predictor for __TYPE__ {
    fn fit(&mut self, x: Matrix<'_>, y: &[f64]) -> Result<(), PluginError> {
        if x.rows() < self.k {
            return Err(PluginError::invalid_input(format!("{} rows, fewer than k = {}", x.rows(), self.k)));
        }
        if x.data().iter().chain(y).any(|v| !v.is_finite()) {
            return Err(PluginError::invalid_input("training data must be finite"));
        }
        (self.cols, self.x, self.y) = (x.cols(), x.data().to_vec(), y.to_vec());
        Ok(())
    }

    fn predict(&mut self, x: Matrix<'_>, out: &mut [f64]) -> Result<(), PluginError> {
        if self.y.is_empty() {
            return Err(PluginError::failed("predict before fit"));
        }
        if x.cols() != self.cols {
            return Err(PluginError::invalid_input(format!("{} columns, fitted on {}", x.cols(), self.cols)));
        }
        let mut dist: Vec<(f64, f64)> = Vec::with_capacity(self.y.len());
        for (i, o) in out.iter_mut().enumerate() {
            let row = x.row(i);
            dist.clear();
            for (train, &y) in self.x.chunks_exact(self.cols).zip(&self.y) {
                let d: f64 = train.iter().zip(row).map(|(a, b)| (a - b) * (a - b)).sum();
                dist.push((d, y));
            }
            dist.sort_by(|a, b| a.0.total_cmp(&b.0));
            *o = dist[..self.k].iter().map(|(_, y)| y).sum::<f64>() / self.k as f64;
        }
        Ok(())
    }
}

xinzhi_plugin::export_plugins! {
    predictors: [__TYPE__],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_the_nearest_rows() {
        let mut knn = __TYPE__::new(&Config::new(r#"{"k": 2}"#), &Host::detached(1)).unwrap();
        let x = [0.0, 1.0, 2.0, 10.0];
        knn.fit(Matrix::new(&x, 4, 1).unwrap(), &[0.0, 2.0, 4.0, 100.0]).unwrap();
        let mut out = [0.0];
        knn.predict(Matrix::new(&[1.2], 1, 1).unwrap(), &mut out).unwrap();
        assert_eq!(out, [3.0]);
    }
}
"##;

const COLLECTOR: &str = r##"//! `__NAME__`: a Xinzhi collector plugin — the largest in-window observation of every sample kind.
//!
//! For each record kind that is a sample (e.g. `cycle_time`), reports `<metric>_max`, e.g.
//! `cycle_time_mean_max`: the largest value observed inside the measurement window.

use serde::Deserialize;
use xinzhi_plugin::{Aggregate, Catalogue, Collector, Component, Config, Host, Output, PluginError, Record, Window};

/// No parameters; an unknown key is an error naming it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {}

/// Largest observation per sample kind.
pub struct __TYPE__ {
    window: Window,
    /// Per kind: its metric name (for sample kinds) and the largest value so far.
    kinds: Vec<(Option<String>, f64)>,
}

impl Component for __TYPE__ {
    const NAME: &'static str = "__NAME__";
    const DESCRIPTION: &'static str = "largest in-window observation of every sample kind (<metric>_max)";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        let Params {} = config.parse()?;
        Ok(__TYPE__ { window: Window { warmup: 0.0, horizon: 0.0 }, kinds: Vec::new() })
    }
}

impl Collector for __TYPE__ {
    fn start(&mut self, catalogue: &Catalogue, window: Window) -> Result<(), PluginError> {
        self.window = window;
        self.kinds = catalogue
            .kinds
            .iter()
            .map(|k| ((k.aggregate == Aggregate::Sample).then(|| format!("{}_max", k.metric)), f64::NEG_INFINITY))
            .collect();
        Ok(())
    }

    fn batch(&mut self, records: &[Record]) -> Result<(), PluginError> {
        for r in records {
            if r.time < self.window.warmup || r.time > self.window.horizon {
                continue;
            }
            let Some((_, max)) = self.kinds.get_mut(r.kind as usize) else {
                return Err(PluginError::invalid_input(format!("record of unknown kind {}", r.kind)));
            };
            *max = max.max(r.value);
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Output) -> Result<(), PluginError> {
        for (name, max) in &self.kinds {
            match name {
                Some(name) if max.is_finite() => out.metric(name, *max),
                Some(name) => out.undefined(name),
                None => {}
            }
        }
        Ok(())
    }
}

xinzhi_plugin::export_plugins! {
    collectors: [__TYPE__],
}
"##;

const SIGNAL: &str = r##"//! `__NAME__`: a Xinzhi signal-controller plugin — serve a green while its queues last.
//!
//! Every `step` seconds the green phase keeps its green while a vehicle waits at one of its
//! stop lines; when none does and another phase has a call (a vehicle waiting), the next such
//! phase in cyclic order gets green. The host enforces min and max green, inserts the yellow
//! and all-red, and at max green asks for a switch.
//!
//! Use it in a scenario:
//!
//! ```toml
//! [plugins]
//! load = ["/path/to/__NAME__/target/release/lib__LIB__.so"]  # absolute, or relative to this scenario file
//!
//! [city]
//! signal = { plugin = "__NAME__", step = 2.0 }
//! ```

use serde::Deserialize;
use xinzhi_plugin::{
    Component, Config, Host, IntersectionObs, PluginError, SignalController, SignalDecision, SignalView,
};

/// Parameters, checked strictly: a misspelt key is an error naming it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "two")]
    step: f64,
}

fn two() -> f64 {
    2.0
}

/// Serves the green phase until its queues are empty.
pub struct __TYPE__ {
    step: f64,
}

impl Component for __TYPE__ {
    const NAME: &'static str = "__NAME__";
    const DESCRIPTION: &'static str = "keeps a green while its queues last, then serves the next phase with a call";
    const PARAMETERS: &'static str = "step: seconds between checks during a green (number > 0, 2)";

    fn new(config: &Config<'_>, _host: &Host) -> Result<Self, PluginError> {
        let p: Params = config.parse()?;
        if !(p.step.is_finite() && p.step > 0.0) {
            return Err(PluginError::invalid_config(format!("`step` must be a number > 0, found {}", p.step)));
        }
        Ok(__TYPE__ { step: p.step })
    }
}

impl __TYPE__ {
    fn waiting(s: &SignalView<'_>, x: &IntersectionObs, phase: u32) -> bool {
        s.phase(x, phase).any(|m| m.queue > 0)
    }
}

impl SignalController for __TYPE__ {
    fn decide(&mut self, s: &SignalView<'_>, out: &mut [SignalDecision]) -> Result<(), PluginError> {
        for (x, d) in s.intersections().iter().zip(out) {
            let next = (1..x.n_phases).map(|k| (x.phase + k) % x.n_phases).find(|&p| Self::waiting(s, x, p));
            let must_switch = x.reason == IntersectionObs::MAX_GREEN;
            *d = match next {
                Some(p) if must_switch || !Self::waiting(s, x, x.phase) => SignalDecision::switch(p),
                _ => SignalDecision::extend(self.step),
            };
        }
        Ok(())
    }
}

xinzhi_plugin::export_plugins! {
    signals: [__TYPE__],
}

#[cfg(test)]
mod tests {
    use xinzhi_plugin::MovementObs;

    use super::*;

    fn movement(queue: u32) -> MovementObs {
        MovementObs {
            in_link: 0,
            out_link: 0,
            queue,
            on_link: queue,
            down_free: 10,
            lanes: 1,
            sat_flow_vph: 1800.0,
            since_departure_s: f64::INFINITY,
            down_weighted_queue: 0.0,
            design_flow_vph: f64::NAN,
        }
    }

    /// One node in phase 0 of two, one movement per phase, with these queues.
    fn decide(queues: [u32; 2], reason: u32) -> SignalDecision {
        let node = IntersectionObs {
            node: 0,
            phase: 0,
            n_phases: 2,
            reason,
            elapsed_green_s: 10.0,
            min_green_s: 5.0,
            max_green_s: 40.0,
            intergreen_s: 4.0,
            lost_per_phase_s: 4.0,
            first_movement: 0,
            n_movements: 2,
            first_phase: 0,
            _reserved: 0,
        };
        let movements = queues.map(movement);
        let view = SignalView::new(10.0, &[node], &movements, &[0, 1, 2], &[0, 1]).unwrap();
        let mut rule = __TYPE__::new(&Config::new("{}"), &Host::detached(1)).unwrap();
        let mut out = [SignalDecision::extend(0.0)];
        rule.decide(&view, &mut out).unwrap();
        out[0]
    }

    #[test]
    fn serves_the_green_while_it_has_a_queue() {
        assert_eq!(decide([3, 5], IntersectionObs::REQUESTED), SignalDecision::extend(2.0));
        assert_eq!(decide([0, 5], IntersectionObs::REQUESTED), SignalDecision::switch(1));
        assert_eq!(decide([0, 0], IntersectionObs::REQUESTED), SignalDecision::extend(2.0));
        assert_eq!(decide([3, 5], IntersectionObs::MAX_GREEN), SignalDecision::switch(1));
    }

    #[test]
    fn misspelt_parameter_is_named() {
        let e = __TYPE__::new(&Config::new(r#"{"stp": 1}"#), &Host::detached(1)).err().unwrap();
        assert!(e.message.contains("stp"), "{}", e.message);
    }
}
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_type_names() {
        let files = render("slack-rule", &TEMPLATES[0], Path::new("/api"));
        assert!(files[1].1.contains("pub struct SlackRule"));
        assert!(files[1].1.contains(r#"const NAME: &'static str = "slack-rule";"#));
        assert!(files[0].1.contains(r#"xinzhi-plugin = { path = "/api" }"#));
        assert!(files[0].1.contains("libslack_rule.so"));
    }

    /// Defect 7: the generated comment named `libslack-rule.so`, but cargo writes
    /// `libslack_rule.so` (a crate name's `-` becomes `_`).
    #[test]
    fn defect_7_generated_comment_names_the_real_library_file() {
        let files = render("slack-rule", &TEMPLATES[0], Path::new("/api"));
        assert!(files[1].1.contains("/target/release/libslack_rule.so"), "{}", files[1].1);
        assert!(files.iter().all(|(_, text)| !text.contains("libslack-rule")));
        assert_eq!(
            library_file("slack-rule"),
            format!("{}slack_rule{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX)
        );
    }

    /// Every kind of the author API has a template, and each template exports its kind.
    #[test]
    fn every_kind_has_a_template() {
        for k in xinzhi_plugin::kinds::KINDS {
            let t = TEMPLATES
                .iter()
                .find(|t| t.kind == k.kind)
                .unwrap_or_else(|| panic!("no template for {k:?}"));
            assert!(t.body.contains(&format!("    {}: [__TYPE__],", k.section)), "{k:?}");
        }
        assert_eq!(TEMPLATES.len(), xinzhi_plugin::kinds::KINDS.len());
    }

    #[test]
    fn invalid_names_are_refused() {
        assert!(valid_name("my-rule_2"));
        assert!(!valid_name("2rule") && !valid_name("") && !valid_name("a/b") && !valid_name("a b"));
    }
}
