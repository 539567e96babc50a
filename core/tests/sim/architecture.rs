//! Architecture invariants of `core/src`, checked by reading its source text.
//!
//! Both tests read every `.rs` file under `core/src` and leave out test code: files named
//! `tests.rs` and files in `tests/` folders, and every item under a `#[cfg(test)]` attribute (a `mod tests { … }` block, a
//! `mod tests;` line, a test-only function). The scan is textual, not a parse: a small lexer
//! tells code, comments and string/char literals apart, which is all the two checks need.
//!
//! - [`core_src_outside_domains_names_no_domain_word`]: the core is domain-neutral.
//! - [`core_modules_form_a_dag`]: the top-level modules of `core/src` form an acyclic graph.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::Path;

/// Words that belong to a domain (today the factory) and so must not appear in the core.
///
/// Compared case-insensitively with the words of each line, identifiers split at `_` and at
/// lower-to-upper case changes (`JobRecord` is `job` + `record`, `station_warning` is `station`
/// + `warning`), so `stationary` or `production` do not match.
///
/// Left out on purpose, because the core uses them in their general sense:
/// - `buffer` — the engine's record buffer; a factory buffer is a bounded queue.
/// - `dispatch`, `schedule`, `scheduler` — the engine dispatches calendar entries and schedules
///   them, bevy has `Schedule`s, and "scheduler" names a plugin kind; what makes today's
///   scheduler kind factory-shaped is its snapshot of jobs and machines, which `job` and
///   `machine` catch.
/// - `order` — ordering (calendar order, sort order); `orders` is only an example source name.
/// - `routing` — the calendar routes entries to buckets; the factory's own word is `route`.
/// - example names (`mill`, `lathe`, `widget`) — instances, not vocabulary.
const DOMAIN_WORDS: &[&str] = &[
    "factory",
    "factories",
    "station",
    "stations",
    "machine",
    "machines",
    "product",
    "products",
    "job",
    "jobs",
    "route",
    "routes",
];

/// Lines of the core that may name domain words: `file` (relative to `core/src`), the first line
/// containing `from`, through the next line containing `to` (or that line alone when `to` is
/// `None`). An entry that matches no line fails the test, so the list cannot go stale.
struct Allowed {
    file: &'static str,
    from: &'static str,
    to: Option<&'static str>,
    reason: &'static str,
}

/// An [`Allowed::to`] that reaches the end of the file.
const END_OF_FILE: &str = "<end of file>";

const ALLOWED: &[Allowed] = &[
    Allowed {
        file: "plugin/kinds/dispatch.rs",
        from: "//! The dispatch kind on the host side",
        to: Some(END_OF_FILE),
        reason: "the host side of the job-dispatch plugin kind speaks its ABI's vocabulary (`JobRecord`, \
                 `MachineRecord`, a station's decision); a decision problem of another domain is another \
                 kind, in its own file",
    },
    Allowed {
        file: "lib.rs",
        from: "//! domain = \"factory\"",
        to: Some("//! machines = 1"),
        reason: "the crate overview's doctest runs a real scenario, and a scenario names its domain's tables",
    },
    Allowed {
        file: "report/words.rs",
        from: "/// A variant's change as plain words: \"`factory.station.mill.machines` = 2\".",
        to: None,
        reason: "a doc example of a change a user writes, which is a path into a domain's tables",
    },
    Allowed {
        file: "scenario/mod.rs",
        from: "//! domain = \"factory\"",
        to: Some("//! The domain's tables are validated by its module"),
        reason: "the scenario format's doc example: a scenario names its domain's tables and paths into them",
    },
    Allowed {
        file: "scenario/overrides.rs",
        from: "let example = \"expected PATH=VALUE, e.g. `factory.station.mill.machines=2`\";",
        to: None,
        reason: "a user-facing example of a `--set`: a real path helps more than a placeholder",
    },
    Allowed {
        file: "scenario/variants.rs",
        from: "\" (each path is one key of `[sweep]`: `\\\"factory.station.mill.machines\\\" = [1, 2]`)\"",
        to: None,
        reason: "a user-facing example of a `[sweep]` key: a real path helps more than a placeholder",
    },
    Allowed {
        file: "scenario/variants.rs",
        from: ".product())",
        to: None,
        reason: "`Iterator::product`, the arithmetic product (the size of a sweep grid)",
    },
];

#[test]
fn core_src_outside_domains_names_no_domain_word() {
    let sources = core_sources();
    let mut offenders = Vec::new();
    let mut used = vec![false; ALLOWED.len()];
    for source in sources.iter().filter(|s| !s.rel.starts_with("domains/")) {
        let allowed = allowed_lines(source, &mut used);
        for (n, line) in source.text.lines().enumerate() {
            let found: BTreeSet<String> =
                words(line).filter(|w| DOMAIN_WORDS.contains(&w.as_str())).collect();
            if !found.is_empty() && !allowed.contains(&n) {
                let found: Vec<String> = found.into_iter().collect();
                offenders.push(format!(
                    "core/src/{}:{}: {} | {}",
                    source.rel,
                    n + 1,
                    found.join(", "),
                    line.trim()
                ));
            }
        }
    }
    let stale: Vec<String> = ALLOWED
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(a, _)| format!("core/src/{}: `{}` ({})", a.file, a.from, a.reason))
        .collect();
    assert!(
        offenders.is_empty() && stale.is_empty(),
        "{} line(s) of core/src outside domains/ name a domain word ({}):\n{}\n\
         allow-list entries that match no line:\n{}",
        offenders.len(),
        DOMAIN_WORDS.join(", "),
        offenders.join("\n"),
        stale.join("\n"),
    );
}

/// The 0-based line numbers of `source` the allow-list covers; marks the entries that matched.
fn allowed_lines(source: &Source, used: &mut [bool]) -> BTreeSet<usize> {
    let lines: Vec<&str> = source.text.lines().collect();
    let mut out = BTreeSet::new();
    for (entry, used) in ALLOWED.iter().zip(used.iter_mut()) {
        if entry.file != source.rel {
            continue;
        }
        let Some(first) = lines.iter().position(|l| l.contains(entry.from)) else { continue };
        let last = match entry.to {
            None => first,
            Some(END_OF_FILE) => lines.len().saturating_sub(1),
            Some(to) => match lines[first..].iter().position(|l| l.contains(to)) {
                Some(k) => first + k,
                None => continue,
            },
        };
        *used = true;
        out.extend(first..=last);
    }
    out
}

/// The words of a line, lower-cased: runs of ASCII letters and digits, split where a lower-case
/// letter or digit is followed by an upper-case one, and before the last capital of a capital
/// run followed by a lower-case letter (`HTMLPage` is `html` + `page`).
fn words(line: &str) -> impl Iterator<Item = String> + '_ {
    line.split(|c: char| !c.is_ascii_alphanumeric()).filter(|r| !r.is_empty()).flat_map(|run| {
        let b = run.as_bytes();
        let mut cuts = vec![0];
        for i in 1..b.len() {
            let lower_to_upper = !b[i - 1].is_ascii_uppercase() && b[i].is_ascii_uppercase();
            let caps_to_word = b[i - 1].is_ascii_uppercase()
                && b[i].is_ascii_uppercase()
                && b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            if lower_to_upper || caps_to_word {
                cuts.push(i);
            }
        }
        cuts.push(b.len());
        cuts.dedup();
        cuts.windows(2).map(|w| run[w[0]..w[1]].to_ascii_lowercase()).collect::<Vec<_>>()
    })
}

/// The top-level modules of `core/src` (each file or folder directly under it, `lib.rs` aside)
/// form a directed acyclic graph: a module may use the modules below it, never one above.
///
/// How: module A depends on B when A's non-test code (comments included, literals excluded)
/// contains a path `crate::B…` (also `$crate::B`, and each head of a `crate::{B, C::…}` group),
/// or a chain of `super::` long enough to leave A and reach the crate root followed by `B`.
/// Comments count because intra-doc links (`[`x`](crate::B::x)`) are references too, and a
/// plain comment naming a higher module's item is usually a sign of one.
///
/// Limits: a textual scan, not name resolution. It does not see a module reached through a
/// re-export under another name, a `#[path]` attribute, `#[cfg(all(test, …))]`, or a
/// `super::` inside an inline (non-test) module (counted from the file's own depth); and
/// doctests (`xinzhi_core::…`) are left out, since they use the crate as an outside user does.
#[test]
fn core_modules_form_a_dag() {
    let sources = core_sources();
    let modules: BTreeSet<String> = sources.iter().filter_map(|s| top_module(&s.rel)).collect();
    // module → module it uses → where (first few `file:line`).
    let mut graph: BTreeMap<String, BTreeMap<String, Vec<String>>> =
        modules.iter().map(|m| (m.clone(), BTreeMap::new())).collect();
    for source in &sources {
        let Some(from) = top_module(&source.rel) else { continue };
        for (to, line) in references(&source.rel, &source.code) {
            if to != from && modules.contains(&to) {
                let places = graph.entry(from.clone()).or_default().entry(to).or_default();
                places.push(format!("core/src/{}:{line}", source.rel));
            }
        }
    }
    let cycles: Vec<String> = strongly_connected(&graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|component| describe_cycle(&graph, &component))
        .collect();
    assert!(
        cycles.is_empty(),
        "the top-level modules of core/src are not acyclic; each group below uses itself through \
         the cycle shown (with where each step is written):\n\n{}",
        cycles.join("\n\n")
    );
}

/// The top-level module a file belongs to (`dist/spec.rs` → `dist`), or `None` for `lib.rs`.
fn top_module(rel: &str) -> Option<String> {
    let first = rel.split('/').next().unwrap_or(rel);
    (rel != "lib.rs").then(|| first.strip_suffix(".rs").unwrap_or(first).to_owned())
}

/// How many modules deep a file's own module is: `dist.rs` and `dist/mod.rs` 1, `dist/spec.rs` 2.
fn depth(rel: &str) -> usize {
    let parts = rel.split('/').count();
    if rel.ends_with("/mod.rs") { parts - 1 } else { parts }
}

/// Every crate-root module named in `code`, with its 1-based line.
fn references(rel: &str, code: &str) -> Vec<(String, usize)> {
    let b = code.as_bytes();
    let line_of = |pos: usize| code[..pos].matches('\n').count() + 1;
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let before_ok = i == 0 || !is_ident(b[i - 1]) && b[i - 1] != b':';
        if before_ok && b[i..].starts_with(b"crate::") {
            let at = i + "crate::".len();
            out.extend(heads(code, at).into_iter().map(|h| (h, line_of(i))));
            i = at;
        } else if before_ok && b[i..].starts_with(b"super::") {
            let mut at = i;
            let mut count = 0;
            while b[at..].starts_with(b"super::") {
                at += "super::".len();
                count += 1;
            }
            if count >= depth(rel) {
                out.extend(heads(code, at).into_iter().map(|h| (h, line_of(i))));
            }
            i = at;
        } else {
            i += 1;
        }
    }
    out
}

/// The first segment of the path at `at`: one name, or each head of a `{a, b::c}` group.
fn heads(code: &str, at: usize) -> Vec<String> {
    let rest = &code[at..];
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 1;
        let mut items = vec![String::new()];
        for c in group.chars() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                ',' if depth == 1 => {
                    items.push(String::new());
                    continue;
                }
                _ => {}
            }
            if depth == 1 {
                items.last_mut().expect("one item at least").push(c);
            }
        }
        items.iter().filter_map(|item| ident_at(item.trim_start())).collect()
    } else {
        ident_at(rest).into_iter().collect()
    }
}

fn ident_at(text: &str) -> Option<String> {
    let end = text.bytes().position(|c| !is_ident(c)).unwrap_or(text.len());
    (end > 0).then(|| text[..end].to_owned())
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Tarjan's strongly connected components of `graph`.
fn strongly_connected(graph: &BTreeMap<String, BTreeMap<String, Vec<String>>>) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g BTreeMap<String, BTreeMap<String, Vec<String>>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph[v].keys() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            component.sort();
            s.out.push(component);
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.out
}

/// A strongly connected group: its members, one shortest cycle through its first member, and
/// every edge inside the group with where it is written.
fn describe_cycle(graph: &BTreeMap<String, BTreeMap<String, Vec<String>>>, component: &[String]) -> String {
    let inside: BTreeSet<&str> = component.iter().map(String::as_str).collect();
    let start = component[0].as_str();
    // Breadth-first from `start` inside the group, back to `start`.
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    let mut closing = None;
    while let Some(v) = queue.pop_front() {
        for w in graph[v].keys().map(String::as_str).filter(|w| inside.contains(w)) {
            if w == start {
                closing = Some(v);
                break;
            }
            if !parent.contains_key(w) {
                parent.insert(w, v);
                queue.push_back(w);
            }
        }
        if closing.is_some() {
            break;
        }
    }
    let mut cycle = vec![start];
    let mut v = closing.expect("a strongly connected group of two or more has a cycle through each member");
    while v != start {
        cycle.push(v);
        v = parent[v];
    }
    cycle[1..].reverse();
    cycle.push(start);
    let mut text = format!("group {{{}}}\n  cycle: {}", component.join(", "), cycle.join(" → "));
    for v in component {
        for (w, places) in &graph[v] {
            if inside.contains(w.as_str()) {
                let shown: Vec<&str> = places.iter().take(3).map(String::as_str).collect();
                let more =
                    if places.len() > 3 { format!(" (+{} more)", places.len() - 3) } else { String::new() };
                text.push_str(&format!("\n  {v} → {w}: {}{more}", shown.join(", ")));
            }
        }
    }
    text
}

/// One file of `core/src`, test code blanked out (newlines kept, so line numbers hold).
struct Source {
    /// Path relative to `core/src`, `/`-separated.
    rel: String,
    /// The text: code, comments and literals (for words: messages count).
    text: String,
    /// The text with string and char literals blanked too (for paths: `"crate::x"` is no use).
    code: String,
}

/// Every `.rs` file under `core/src` except test files (`tests.rs`, or anything in a `tests/`
/// folder), sorted by path.
fn core_sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect_files(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .filter(|p| {
            p.file_name().is_some_and(|n| n != "tests.rs")
                && !p.components().any(|c| c.as_os_str() == "tests")
        })
        .map(|path| {
            let raw = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let rel = path.strip_prefix(&root).expect("under core/src").to_string_lossy().replace('\\', "/");
            let classes = classify(raw.as_bytes());
            let test_code = test_items(raw.as_bytes(), &classes);
            let blank = |keep: &dyn Fn(usize) -> bool| -> String {
                let bytes: Vec<u8> = raw
                    .bytes()
                    .enumerate()
                    .map(|(i, c)| if c == b'\n' || keep(i) { c } else { b' ' })
                    .collect();
                String::from_utf8(bytes).expect("only whole characters are blanked")
            };
            let text = blank(&|i| !test_code[i]);
            let code = blank(&|i| !test_code[i] && classes[i] != Class::Literal);
            Source { rel, text, code }
        })
        .collect()
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Class {
    Code,
    Comment,
    Literal,
}

/// What each byte of Rust source is: code, comment, or inside a string/char literal.
fn classify(s: &[u8]) -> Vec<Class> {
    let mut class = vec![Class::Code; s.len()];
    let mut i = 0;
    while i < s.len() {
        let start = i;
        let kind = if s[i..].starts_with(b"//") {
            i = s[i..].iter().position(|&c| c == b'\n').map_or(s.len(), |k| i + k);
            Class::Comment
        } else if s[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < s.len() {
                if s[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if s[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            Class::Comment
        } else if let Some((open, hashes)) = raw_string_start(s, i) {
            i = open;
            while i < s.len()
                && !(s[i] == b'"' && s[i + 1..].iter().take(hashes).filter(|&&c| c == b'#').count() == hashes)
            {
                i += 1;
            }
            i = (i + 1 + hashes).min(s.len());
            Class::Literal
        } else if s[i] == b'"' {
            i += 1;
            while i < s.len() && s[i] != b'"' {
                i += if s[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(s.len());
            Class::Literal
        } else if s[i] == b'\'' {
            match char_literal_end(s, i) {
                Some(end) => {
                    i = end;
                    Class::Literal
                }
                None => {
                    i += 1; // a lifetime or a label
                    continue;
                }
            }
        } else {
            i += 1;
            continue;
        };
        class[start..i].fill(kind);
    }
    class
}

/// If a raw string (`r"…"`, `r#"…"#`, `br"…"`) starts at `i`: where its text starts and how
/// many `#` close it.
fn raw_string_start(s: &[u8], i: usize) -> Option<(usize, usize)> {
    let prefix_ok = i == 0 || !is_ident(s[i - 1]) || (s[i - 1] == b'b' && (i < 2 || !is_ident(s[i - 2])));
    if s[i] != b'r' || !prefix_ok {
        return None;
    }
    let hashes = s[i + 1..].iter().take_while(|&&c| c == b'#').count();
    (s.get(i + 1 + hashes) == Some(&b'"')).then_some((i + 2 + hashes, hashes))
}

/// If a char literal (`'x'`, `'\n'`, `'\u{1F600}'`, `'é'`) starts at `i`: the index after it.
/// `None` for a lifetime or label (`'a`, `'outer:`).
fn char_literal_end(s: &[u8], i: usize) -> Option<usize> {
    let first = *s.get(i + 1)?;
    if first == b'\\' {
        let close = s[i + 3..].iter().position(|&c| c == b'\'')?;
        return Some(i + 3 + close + 1);
    }
    let len = match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    (s.get(i + 1 + len) == Some(&b'\'')).then_some(i + 2 + len)
}

/// Which bytes belong to test code: each item under a `#[cfg(test)]` attribute, from the
/// attribute through the item's closing `}` or `;`.
fn test_items(s: &[u8], class: &[Class]) -> Vec<bool> {
    const ATTR: &[u8] = b"#[cfg(test)]";
    let mut test = vec![false; s.len()];
    let mut i = 0;
    while i + ATTR.len() <= s.len() {
        if class[i] != Class::Code || !s[i..].starts_with(ATTR) {
            i += 1;
            continue;
        }
        let start = i;
        let mut depth = 0usize;
        i += ATTR.len();
        while i < s.len() {
            if class[i] == Class::Code {
                match s[i] {
                    b'(' | b'[' | b'{' => depth += 1,
                    b')' | b']' => depth = depth.saturating_sub(1),
                    b'}' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    b';' if depth == 0 => {
                        i += 1;
                        break;
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        test[start..i].fill(true);
    }
    test
}

#[test]
fn the_scanner_reads_rust_as_rust() {
    assert_eq!(
        words("JobRecord station_warning HTMLPage stationary x2Y").collect::<Vec<_>>(),
        ["job", "record", "station", "warning", "html", "page", "stationary", "x2", "y"]
    );
    let code = "use crate::{a, b::{c, d}};\nfn f<'a>(x: &'a str) { let _ = '}'; let _ = \"crate::z\"; super::super::e(); }\n";
    let classes = classify(code.as_bytes());
    let blanked: String = code
        .bytes()
        .zip(&classes)
        .map(|(c, k)| if *k == Class::Literal { ' ' } else { char::from(c) })
        .collect();
    let found: Vec<(String, usize)> = references("m/n.rs", &blanked);
    assert_eq!(found, [("a".to_owned(), 1), ("b".to_owned(), 1), ("e".to_owned(), 2)]);
    assert!(references("m/n/o.rs", &blanked).iter().all(|(h, _)| h != "e"), "super::super stays inside m");
    let with_tests = "fn keep() {}\n#[cfg(test)]\nmod tests {\n    fn t() { let _ = [0u8; 2]; }\n}\n#[cfg(test)]\nmod more;\nfn also() {}\n";
    let test = test_items(with_tests.as_bytes(), &classify(with_tests.as_bytes()));
    let kept: String = with_tests.chars().zip(&test).filter(|(_, t)| !**t).map(|(c, _)| c).collect();
    assert_eq!(kept, "fn keep() {}\n\n\nfn also() {}\n");
}
