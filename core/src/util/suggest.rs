//! "Did you mean …?" suggestions for misspelled keys, names and values.
//!
//! Distances are the optimal-string-alignment variant of Damerau–Levenshtein (insertions,
//! deletions, substitutions and transpositions of adjacent characters each cost 1), computed on
//! lowercase characters: typing `mena` for `mean` is one mistake, not two.

/// The edit distance between `a` and `b` (optimal string alignment, case-insensitive).
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    // Three rolling rows: the transposition case looks two rows back.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The candidate closest to `word`, if any is close enough to be a plausible typo.
///
/// A candidate qualifies when its distance is at most a third of its length (at least 1), or
/// when `word` is a prefix of it at least three characters long (`expo` → `exponential`).
/// Ties go to the earlier candidate, so callers list candidates in a meaningful order.
pub(crate) fn nearest<'c, I>(word: &str, candidates: I) -> Option<&'c str>
where
    I: IntoIterator<Item = &'c str>,
{
    let lower = word.to_lowercase();
    let mut best: Option<(usize, &'c str)> = None;
    for candidate in candidates {
        let len = candidate.chars().count();
        let d = distance(word, candidate);
        let prefix = lower.chars().count() >= 3 && candidate.to_lowercase().starts_with(&lower);
        let score = if prefix { d.min(1) } else { d };
        let close = prefix || (d <= (len / 3).max(1) && d < len);
        if close && best.is_none_or(|(s, _)| score < s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Renders names as a list: `` `a`, `b`, `c` `` (or "none").
pub(crate) fn list<'a, I>(names: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    let names: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
}

/// Renders the valid choices after "expected": `` `a` `` or `` one of `a`, `b` ``.
pub(crate) fn one_of<'a, I>(names: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    let names: Vec<&str> = names.into_iter().collect();
    match names.as_slice() {
        [] => "nothing".to_owned(),
        [one] => format!("`{one}`"),
        _ => format!("one of {}", list(names)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("horizn", "horizon"), 1);
        assert_eq!(distance("mena", "mean"), 1, "a transposition is one edit");
        assert_eq!(distance("Mean", "mean"), 0, "case-insensitive");
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("ca", "abc"), 3, "optimal string alignment, not unrestricted");
    }

    #[test]
    fn nearest_prefers_closest_and_rejects_far() {
        let keys = ["name", "description", "domain", "time_unit", "horizon", "warmup"];
        assert_eq!(nearest("horizn", keys), Some("horizon"));
        assert_eq!(nearest("nmae", keys), Some("name"));
        assert_eq!(nearest("timeunit", keys), Some("time_unit"));
        assert_eq!(nearest("zzz", keys), None);
        assert_eq!(nearest("lathe", ["mill"]), None);
        assert_eq!(nearest("mil", ["mill", "lathe"]), Some("mill"));
        assert_eq!(nearest("expo", ["constant", "exponential"]), Some("exponential"));
        assert_eq!(nearest("minutes", ["second", "minute", "hour", "day"]), Some("minute"));
        assert_eq!(nearest("x", ["y"]), None, "a one-letter candidate is never a typo target");
    }

    #[test]
    fn lists() {
        assert_eq!(list([]), "none");
        assert_eq!(list(["a"]), "`a`");
        assert_eq!(list(["a", "b", "c"]), "`a`, `b`, `c`");
        assert_eq!(one_of(["a"]), "`a`");
        assert_eq!(one_of(["a", "b"]), "one of `a`, `b`");
    }
}
