//! `[city.trips] file = "trips.csv"`: explicit trips, one per row, read at load.
//!
//! The file (relative to the scenario) has a header row naming the columns `depart` \[s\] and
//! `route` (link names separated by spaces; other columns are ignored), rows sorted by
//! `depart`. Each route must be drivable boundary to boundary. Benchmarks load 10⁵ rows, so
//! rows are read with a hand loop, and each link after the first is matched among the
//! movements of the link before it (a handful of names) rather than looked up by hash; only a
//! row that fails is looked at again to say why.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::demand::check_path;
use super::network::Net;
use super::{Trip, TripsConfig};
use crate::validate::{ScenarioError, ValidationCtx};

/// `[city.trips]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTrips {
    file: Spanned<String>,
}

/// Reads and checks the trips file. Errors are located at `file` and name the CSV file and line.
pub(super) fn read(
    ctx: &ValidationCtx<'_>,
    net: &Net,
    t: &Spanned<RawTrips>,
) -> Result<TripsConfig, ScenarioError> {
    let file = &t.get_ref().file;
    let written = file.get_ref();
    if written.trim().is_empty() {
        return Err(ctx.error(&file.span(), "`file` must be the path of a CSV file, found an empty string"));
    }
    let path = ctx.file().parent().map(PathBuf::from).unwrap_or_default().join(written);
    let shown = path.display();
    let fail = |message: String| ctx.error(&file.span(), format!("trips file `{shown}` {message}"));
    let bytes = std::fs::read(&path)
        .map_err(|e| ctx.error(&file.span(), format!("cannot read the trips file `{shown}`: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        fail(format!("line {line}: not valid UTF-8 text"))
    })?;
    let trips = parse(net, text).map_err(fail)?;
    Ok(TripsConfig { file: written.clone(), trips: trips.into() })
}

/// A cell without surrounding spaces and one pair of double quotes.
fn cell(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(s)
}

/// The trips of a CSV text; an error says "line N: …" (1-based lines of the file).
pub(super) fn parse(net: &Net, text: &str) -> Result<Vec<Trip>, String> {
    let mut lines = text.split('\n').enumerate().map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)));
    let Some((header_line, header)) = lines.by_ref().find(|(_, l)| !l.trim().is_empty()) else {
        return Err("is empty: it needs a header row `depart,route` and one row per trip".to_owned());
    };
    let columns: Vec<&str> = header.split(',').map(cell).collect();
    let column = |name: &str| -> Result<usize, String> {
        let mut at = columns.iter().enumerate().filter(|(_, c)| **c == name).map(|(i, _)| i);
        match (at.next(), at.next()) {
            (Some(i), None) => Ok(i),
            (Some(_), Some(_)) => Err(format!("line {header_line}: two columns are named `{name}`")),
            (None, _) => Err(format!(
                "line {header_line}: the header row has no column `{name}` (it needs `depart` and `route`, found {})",
                crate::util::suggest::list(columns.iter().copied())
            )),
        }
    };
    let (depart_at, route_at) = (column("depart")?, column("route")?);
    let width = depart_at.max(route_at) + 1;
    let links = &net.config.links;
    let movements = &net.config.movements;
    let mut trips = Vec::new();
    let mut previous = 0.0_f64;
    let mut cells: Vec<&str> = Vec::with_capacity(width);
    for (line, row) in lines {
        if row.trim().is_empty() {
            continue;
        }
        cells.clear();
        cells.extend(row.split(','));
        if cells.len() < width {
            return Err(format!(
                "line {line}: expected {} columns as in the header row, found {}",
                columns.len(),
                cells.len()
            ));
        }
        let depart_text = cell(cells[depart_at]);
        let depart = match depart_text.parse::<f64>() {
            Ok(d) if d.is_finite() && d >= 0.0 => d,
            _ => {
                return Err(format!(
                    "line {line}: `depart` must be a finite number >= 0 [s], found \"{depart_text}\""
                ));
            }
        };
        if depart < previous {
            return Err(format!(
                "line {line}: `depart` {depart} is before the previous row's {previous}: rows must be sorted by `depart`"
            ));
        }
        previous = depart;
        let route = cell(cells[route_at]);
        let mut names = route.split_ascii_whitespace();
        let Some(first) = names.next() else {
            return Err(format!("line {line}: `route` is empty"));
        };
        let Some(&first) = net.link_by_name.get(first) else {
            return Err(unknown(net, line, first));
        };
        let mut path = Vec::with_capacity(16);
        path.push(first);
        let mut ok = net.is_boundary(links[first as usize].from);
        let mut at = first;
        for name in names {
            let next = net.moves[at as usize]
                .clone()
                .find(|&m| net.served[m as usize] && links[movements[m as usize].to as usize].name == name);
            match next {
                Some(m) => {
                    at = movements[m as usize].to;
                    path.push(at);
                }
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if !ok || !net.is_boundary(links[at as usize].to) {
            return Err(why(net, line, route));
        }
        trips.push(Trip { depart, path });
    }
    if trips.is_empty() {
        return Err("has no trips: it needs one row per trip after the header row".to_owned());
    }
    Ok(trips)
}

/// An unknown link on line `line`.
fn unknown(net: &Net, line: usize, name: &str) -> String {
    let mut message = format!("line {line}: `route` names link `{name}`, which does not exist");
    if let Some(s) = crate::util::suggest::nearest(name, net.config.links.iter().map(|l| l.name.as_str())) {
        message.push_str(&format!(" (did you mean `{s}`?)"));
    }
    message
}

/// Why the route of line `line` is not drivable (the slow path, for a row that failed).
fn why(net: &Net, line: usize, route: &str) -> String {
    let mut path = Vec::new();
    for name in route.split_ascii_whitespace() {
        match net.link_by_name.get(name) {
            Some(&l) => path.push(l),
            None => return unknown(net, line, name),
        }
    }
    match check_path(net, &path, &format!("line {line}: `route`")) {
        Err(message) => message,
        Ok(()) => format!("line {line}: `route` is not drivable"),
    }
}
