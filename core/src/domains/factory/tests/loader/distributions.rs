//! Distributions in the factory's tables: names, parameters and their ranges.

use super::{check, err, with_line};

#[test]
fn unknown_distribution() {
    let e = check(
        &with_line(11, r#"interarrival = { dist = "expo", mean = 1.25 }"#),
        11,
        25,
        "factory.source[orders].interarrival.dist",
    );
    assert_eq!(e.suggestion.as_deref(), Some("exponential"));
    assert_eq!(
        e.message,
        "unknown distribution `expo` (expected one of `exponential`, `constant`, `uniform`, `triangular`, `normal`, \
         `lognormal`, `gamma`, `weibull`, `erlang`, `empirical`)"
    );
}

#[test]
fn misspelt_distribution_parameter() {
    let e = check(
        &with_line(11, r#"interarrival = { dist = "exponential", mena = 1.25 }"#),
        11,
        40,
        "factory.source[orders].interarrival.mena",
    );
    assert_eq!(e.message, "unknown parameter `mena` for `exponential` (expected one of `mean`, `rate`)");
    assert_eq!(e.suggestion.as_deref(), Some("mean"));
    let e = check(
        &with_line(11, r#"interarrival = { dsit = "exponential", mean = 1.25 }"#),
        11,
        18,
        "factory.source[orders].interarrival.dsit",
    );
    assert_eq!(e.suggestion.as_deref(), Some("dist"));
}

#[test]
fn missing_distribution_parameter() {
    let e = check(
        &with_line(20, r#"process = { dist = "normal", mean = 1.0 }"#),
        20,
        11,
        "factory.station[mill].process",
    );
    assert_eq!(e.message, "missing parameter `sd` (`normal` needs `mean` and `sd`)");
    let e = check(&with_line(20, r#"process = { mean = 1.0 }"#), 20, 11, "factory.station[mill].process");
    assert!(e.message.starts_with("missing key `dist`"), "{e}");
}

#[test]
fn distribution_parameter_of_wrong_type() {
    let e = check(
        &with_line(20, r#"process = { dist = "exponential", mean = "1" }"#),
        20,
        42,
        "factory.station[mill].process.mean",
    );
    assert_eq!(e.message, "`mean` must be a number, found a string");
    let e = check(
        &with_line(20, r#"process = { dist = "erlang", k = 2.5, mean = 1 }"#),
        20,
        34,
        "factory.station[mill].process.k",
    );
    assert_eq!(e.message, "`k` must be an integer >= 1, found a float");
    let e = check(&with_line(20, r#"process = "fast""#), 20, 11, "factory.station[mill].process");
    assert!(e.message.starts_with("expected a distribution such as"), "{e}");
}

#[test]
fn negative_mean() {
    let e = check(
        &with_line(20, r#"process = { dist = "exponential", mean = -1.0 }"#),
        20,
        42,
        "factory.station[mill].process.mean",
    );
    assert_eq!(e.message, "`mean` must be > 0, found -1");
}

#[test]
fn rate_not_positive() {
    let e = check(
        &with_line(11, r#"interarrival = { dist = "exponential", rate = 0.0 }"#),
        11,
        47,
        "factory.source[orders].interarrival.rate",
    );
    assert_eq!(e.message, "`rate` must be > 0, found 0");
}

#[test]
fn negative_cv() {
    let e = check(
        &with_line(20, r#"process = { dist = "lognormal", mean = 1.0, cv = -0.2 }"#),
        20,
        50,
        "factory.station[mill].process.cv",
    );
    assert_eq!(e.message, "`cv` must be >= 0, found -0.2");
}

#[test]
fn parameter_range_rules() {
    let cases = [
        (r#"{ dist = "exponential", mean = 1, rate = 1 }"#, "give either `mean` or `rate`, not both"),
        (r#"{ dist = "constant", value = -1 }"#, "`value` must be >= 0, found -1"),
        (r#"{ dist = "uniform", min = 2, max = 1 }"#, "`max` must be >= `min` (2), found 1"),
        (r#"{ dist = "uniform", min = -1, max = 1 }"#, "`min` must be >= 0, found -1"),
        (
            r#"{ dist = "triangular", min = 1, mode = 0.5, max = 2 }"#,
            "`mode` must be >= `min` (1), found 0.5",
        ),
        (r#"{ dist = "triangular", min = 1, mode = 1, max = 1 }"#, "`max` must be > `min` (1), found 1"),
        (r#"{ dist = "normal", mean = 0, sd = 1 }"#, "`mean` must be > 0, found 0"),
        (r#"{ dist = "normal", mean = 1, sd = -1 }"#, "`sd` must be >= 0, found -1"),
        (r#"{ dist = "lognormal", mu = 0, sigma = -1 }"#, "`sigma` must be >= 0, found -1"),
        (
            r#"{ dist = "lognormal", mean = 1, sigma = 1 }"#,
            "`mean` cannot be combined with the other parameters",
        ),
        (r#"{ dist = "lognormal", mu = 800, sigma = 1 }"#, "the mean is not finite"),
        (r#"{ dist = "gamma", shape = 0, scale = 1 }"#, "`shape` must be > 0, found 0"),
        (r#"{ dist = "gamma", mean = 1, cv = 0 }"#, "`cv` must be > 0, found 0"),
        (r#"{ dist = "weibull", shape = 1, scale = -1 }"#, "`scale` must be > 0, found -1"),
        (r#"{ dist = "weibull", shape = 0.001, scale = 1 }"#, "the mean is not finite"),
        (r#"{ dist = "erlang", k = 0, mean = 1 }"#, "`k` must be an integer >= 1, found 0"),
        (r#"{ dist = "empirical", values = [] }"#, "`values` must not be empty"),
        (r#"{ dist = "empirical", values = [1, -1] }"#, "`values[1]` must be a finite number >= 0, found -1"),
        (r#"{ dist = "empirical", values = [1, "a"] }"#, "`values[1]` must be a number, found a string"),
        (
            r#"{ dist = "empirical", values = [1, 2], weights = [1] }"#,
            "`weights` must have one entry per value",
        ),
        (
            r#"{ dist = "empirical", values = [1, 2], weights = [0, 0] }"#,
            "`weights` must sum to a finite number > 0",
        ),
        (r#"{ dist = "exponential", mean = inf }"#, "`mean` must be a finite number, found inf"),
        ("-3", "a constant duration must be a finite number >= 0, found -3"),
    ];
    for (dist, message) in cases {
        let e = err(&with_line(20, &format!("process = {dist}")));
        assert!(e.message.starts_with(message), "{dist}: {e}");
        assert_eq!(e.line, 20, "{dist}: {e}");
        assert!(e.key.starts_with("factory.station[mill].process"), "{dist}: {e}");
    }
}
