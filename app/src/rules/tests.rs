use super::*;
use serde_json::json;

/// JSON equality with numbers compared by value (`1` equals `1.0`), as JavaScript sees it.
/// Numbers may differ in the last bit or two: serde_json's default float parser (without
/// its `float_roundtrip` feature) is not always correctly rounded, so an expected
/// `0.09999999999999959` can be read as `0.0999999999999996`.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y
                || (x.signum() == y.signum()
                    && (x.to_bits() as i64 - y.to_bits() as i64).abs() <= 2)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn eval(rule: Value, data: Value) -> Value {
    match apply(&rule, &data) {
        Ok(v) => v,
        Err(e) => panic!("{rule} failed: {e}"),
    }
}

#[test]
fn official_conformance_suite() {
    let suite: Value =
        serde_json::from_str(include_str!("../../tests/data/jsonlogic-tests.json")).unwrap();
    let mut failures = Vec::new();
    let mut total = 0;
    for case in suite.as_array().unwrap() {
        let Some(case) = case.as_array() else {
            continue;
        };
        total += 1;
        let (rule, data, expected) = (&case[0], &case[1], &case[2]);
        match apply(rule, data) {
            Ok(got) if same(&got, expected) => {}
            Ok(got) => failures.push(format!(
                "{rule} with {data}: expected {expected}, got {got}"
            )),
            Err(e) => failures.push(format!(
                "{rule} with {data}: expected {expected}, got error {e}"
            )),
        }
    }
    assert_eq!(total, 278, "the suite should have 278 cases");
    assert!(
        failures.is_empty(),
        "{} of {total} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn differential_against_json_logic_js() {
    let cases = include_str!("../../tests/data/jsonlogic-differential.jsonl");
    let mut total = 0usize;
    let mut disagreements = Vec::new();
    for line in cases.lines().filter(|l| !l.trim().is_empty()) {
        total += 1;
        let case: Value = serde_json::from_str(line).unwrap();
        let (rule, data) = (&case["r"], &case["d"]);
        let threw = case.get("x").is_some();
        let got = apply(rule, data);
        let agrees = match (&got, threw) {
            (Err(_), true) => true,
            (Ok(v), false) => same(v, &case["e"]),
            _ => false,
        };
        if !agrees {
            let want = if threw {
                "an error".to_owned()
            } else {
                case["e"].to_string()
            };
            let got = match got {
                Ok(v) => v.to_string(),
                Err(e) => format!("error: {e}"),
            };
            disagreements.push(format!(
                "{rule} with {data}: json-logic-js gave {want}, we gave {got}"
            ));
        }
    }
    let agreement = 100.0 * (total - disagreements.len()) as f64 / total as f64;
    eprintln!(
        "differential: {} of {total} agree ({agreement:.2}%)",
        total - disagreements.len()
    );
    for d in &disagreements {
        eprintln!("  {d}");
    }
    assert!(
        total >= 1000,
        "expected the differential cases, found {total}"
    );
    assert!(
        agreement >= 99.5,
        "agreement {agreement:.2}% is below 99.5%"
    );
}

fn err(rule: Value) -> RuleError {
    match Rule::compile(&rule) {
        Ok(r) => panic!("{rule} compiled: {r:?}"),
        Err(e) => e,
    }
}

/// Every case of both test files, for the consistency tests below.
fn all_cases() -> Vec<(Value, Value)> {
    let mut out = Vec::new();
    let suite: Value =
        serde_json::from_str(include_str!("../../tests/data/jsonlogic-tests.json")).unwrap();
    for case in suite.as_array().unwrap().iter().filter_map(Value::as_array) {
        out.push((case[0].clone(), case[1].clone()));
    }
    for line in include_str!("../../tests/data/jsonlogic-differential.jsonl").lines() {
        if let Ok(case) = serde_json::from_str::<Value>(line) {
            out.push((case["r"].clone(), case["d"].clone()));
        }
    }
    out
}

#[test]
fn starts_with_and_ends_with() {
    let data = json!({"zip": "10115", "n": 49123, "empty": "", "none": null});
    let cases = [
        (json!({"starts_with": [{"var": "zip"}, "10"]}), true),
        (json!({"starts_with": [{"var": "zip"}, "20"]}), false),
        (json!({"starts_with": [{"var": "n"}, "49"]}), true),
        (json!({"starts_with": [{"var": "n"}, 49]}), true),
        (json!({"starts_with": [{"var": "zip"}, ""]}), true),
        (json!({"starts_with": [{"var": "empty"}, ""]}), true),
        (json!({"starts_with": [{"var": "none"}, ""]}), false),
        (json!({"starts_with": [{"var": "missing"}, "1"]}), false),
        (json!({"starts_with": ["Hello", "hello"]}), false),
        (json!({"starts_with": [["1"], "1"]}), false),
        (json!({"ends_with": [{"var": "zip"}, "115"]}), true),
        (json!({"ends_with": [{"var": "zip"}, "116"]}), false),
        (json!({"ends_with": ["info@example.com", ".com"]}), true),
        (json!({"ends_with": [2.5, ".5"]}), true),
        (json!({"ends_with": [{"var": "none"}, "l"]}), false),
        (json!({"ends_with": [true, "e"]}), false),
    ];
    for (rule, want) in cases {
        assert_eq!(eval(rule.clone(), data.clone()), json!(want), "{rule}");
    }
}

#[test]
fn iequals() {
    let data = json!({"c": "de", "n": 7, "none": null, "empty": ""});
    let cases = [
        (json!({"iequals": [{"var": "c"}, "DE"]}), true),
        (json!({"iequals": [{"var": "c"}, "AT"]}), false),
        (json!({"iequals": ["Straße", "STRAßE"]}), true),
        (json!({"iequals": ["ÄRGER", "ärger"]}), true),
        (json!({"iequals": [{"var": "n"}, "7"]}), true),
        (json!({"iequals": [true, "TRUE"]}), true),
        (json!({"iequals": [{"var": "none"}, "null"]}), false),
        (json!({"iequals": [{"var": "none"}, "x"]}), false),
        (json!({"iequals": [{"var": "missing"}, "x"]}), false),
        (json!({"iequals": [{"var": "none"}, ""]}), true),
        (
            json!({"iequals": [{"var": "missing"}, {"var": "none"}]}),
            true,
        ),
        (json!({"iequals": [{"var": "empty"}, "x"]}), false),
        (json!({"iequals": ["a ", "a"]}), false),
    ];
    for (rule, want) in cases {
        assert_eq!(eval(rule.clone(), data.clone()), json!(want), "{rule}");
    }
}

#[test]
fn date_operations() {
    let data = json!({"start": "2024-03-01", "birthday": "1990-07-15", "bad": "2024-02-30", "n": 20240301, "none": null});
    let cases = [
        (
            json!({"date_before": [{"var": "birthday"}, "2000-01-01"]}),
            true,
        ),
        (
            json!({"date_before": [{"var": "start"}, "2024-03-01"]}),
            false,
        ),
        (
            json!({"date_after": [{"var": "start"}, "2024-02-29"]}),
            true,
        ),
        (
            json!({"date_after": [{"var": "start"}, "2024-03-01"]}),
            false,
        ),
        (
            json!({"date_between": [{"var": "start"}, "2024-03-01", "2024-03-31"]}),
            true,
        ),
        (
            json!({"date_between": [{"var": "start"}, "2024-01-01", "2024-03-01"]}),
            true,
        ),
        (
            json!({"date_between": [{"var": "start"}, "2024-03-02", "2024-03-31"]}),
            false,
        ),
        (
            json!({"date_between": [{"var": "start"}, "2024-03-31", "2024-03-01"]}),
            false,
        ),
        // Invalid or missing dates make every date operation false.
        (
            json!({"date_before": [{"var": "bad"}, "2030-01-01"]}),
            false,
        ),
        (json!({"date_after": [{"var": "bad"}, "2000-01-01"]}), false),
        (
            json!({"date_before": [{"var": "missing"}, "2030-01-01"]}),
            false,
        ),
        (
            json!({"date_after": [{"var": "none"}, "2000-01-01"]}),
            false,
        ),
        (json!({"date_before": [{"var": "n"}, "2030-01-01"]}), false),
        (
            json!({"date_between": [{"var": "start"}, "", "2030-01-01"]}),
            false,
        ),
        (json!({"date_before": ["2024-13-01", "2030-01-01"]}), false),
        (json!({"date_before": ["24-01-01", "2030-01-01"]}), false),
        (json!({"date_before": ["2024-1-01", "2030-01-01"]}), false),
        (json!({"date_before": ["2024-01-01x", "2030-01-01"]}), false),
        (json!({"date_after": ["2024-02-29", "2024-02-28"]}), true),
        (json!({"date_after": ["2023-02-29", "2023-02-28"]}), false),
        (json!({"date_after": ["2000-02-29", "2000-02-28"]}), true),
        (json!({"date_after": ["1900-02-29", "1900-02-28"]}), false),
        // Times: a bare date is midnight; times without an offset are UTC.
        (
            json!({"date_before": ["2024-03-01", "2024-03-01T00:00:01"]}),
            true,
        ),
        (
            json!({"date_before": ["2024-03-01T10:00", "2024-03-01T09:59:59.999"]}),
            false,
        ),
        (
            json!({"date_after": ["2024-03-01T10:00:00.5", "2024-03-01T10:00:00.25"]}),
            true,
        ),
        (
            json!({"date_before": ["2024-03-01 23:59", "2024-03-02"]}),
            true,
        ),
        (
            json!({"date_before": ["2024-03-01T10:00:00+02:00", "2024-03-01T09:00:00Z"]}),
            true,
        ),
        (
            json!({"date_after": ["2024-03-01T10:00:00-0200", "2024-03-01T11:00:00Z"]}),
            true,
        ),
        (
            json!({"date_between": ["2024-03-01T12:00:00Z", "2024-03-01", "2024-03-01T12:00:00+00:00"]}),
            true,
        ),
        (
            json!({"date_before": ["2024-03-01T24:00", "2030-01-01"]}),
            false,
        ),
        (
            json!({"date_before": ["2024-03-01T10:60", "2030-01-01"]}),
            false,
        ),
        (
            json!({"date_before": ["2024-03-01T10:00+2", "2030-01-01"]}),
            false,
        ),
        (
            json!({"date_before": ["2024-03-01T10:00:00.", "2030-01-01"]}),
            false,
        ),
        (
            json!({"date_before": ["0001-01-01", "9999-12-31T23:59:59.999999999Z"]}),
            true,
        ),
    ];
    for (rule, want) in cases {
        assert_eq!(eval(rule.clone(), data.clone()), json!(want), "{rule}");
    }
}

#[test]
fn custom_operations_check_their_arity() {
    for rule in [
        json!({"starts_with": ["a"]}),
        json!({"iequals": ["a", "b", "c"]}),
        json!({"date_between": ["2024-01-01", "2024-01-02"]}),
    ] {
        assert!(matches!(err(rule), RuleError::WrongArity { .. }));
    }
}

#[test]
fn unknown_operators_are_named_with_their_path() {
    let e = err(json!({"and": [true, {"foo": [1]}]}));
    assert_eq!(
        e,
        RuleError::UnknownOperator {
            op: "foo".into(),
            path: "and[1].foo".into()
        }
    );
    assert_eq!(e.to_string(), "unknown operator \"foo\" at and[1].foo");
    let e = err(json!({"if": [{"==": [{"var": "x"}, 1]}, {"in": [1, ["a", {"bar": 1}]]}, null]}));
    assert_eq!(
        e.to_string(),
        "unknown operator \"bar\" at if[1].in[1][1].bar"
    );
    let e = err(json!({"!": {"nope": true}}));
    assert_eq!(e.to_string(), "unknown operator \"nope\" at !.nope");
    let e = err(json!([1, {"x": 2}]));
    assert_eq!(e.to_string(), "unknown operator \"x\" at [1].x");
    // Even in a branch json-logic-js would never reach.
    assert!(matches!(
        err(json!({"if": [true, 1, {"zzz": []}]})),
        RuleError::UnknownOperator { .. }
    ));
    // Objects that are not operations (not exactly one key) are literals.
    assert_eq!(
        eval(json!({"a": 1, "b": {"c": 2}}), json!(null)),
        json!({"a": 1, "b": {"c": 2}})
    );
    assert_eq!(eval(json!({}), json!(null)), json!({}));
}

#[test]
fn wrong_arity_is_rejected() {
    let e = err(json!({"or": [{"==": [1]}]}));
    assert_eq!(
        e,
        RuleError::WrongArity {
            op: "==".into(),
            path: "or[0].==".into(),
            expected: "2".into(),
            found: 1
        }
    );
    assert_eq!(
        e.to_string(),
        "operator \"==\" at or[0].== takes 2 arguments, got 1"
    );
    assert_eq!(
        err(json!({"*": []})).to_string(),
        "operator \"*\" at * takes at least 1 argument, got 0"
    );
    assert_eq!(
        err(json!({"-": [5, 1, 1]})).to_string(),
        "operator \"-\" at - takes 1 to 2 arguments, got 3"
    );
    assert_eq!(
        err(json!({"!": [1, 2]})).to_string(),
        "operator \"!\" at ! takes 1 argument, got 2"
    );
    for rule in [
        json!({"missing_some": [1]}),
        json!({"map": [[1, 2]]}),
        json!({"reduce": [[1], {"var": "current"}, 0, 1]}),
        json!({"<": [1, 2, 3, 4]}),
        json!({"var": ["a", 1, 2]}),
        json!({"and": []}),
        json!({"in": ["a"]}),
        json!({"log": []}),
    ] {
        assert!(
            matches!(err(rule.clone()), RuleError::WrongArity { .. }),
            "{rule}"
        );
    }
    // The forms the reference handles on purpose are accepted.
    for rule in [
        json!({"if": []}),
        json!({"merge": []}),
        json!({"cat": []}),
        json!({"+": []}),
        json!({"missing": []}),
        json!({"var": []}),
        json!({"-": 2}),
        json!({"<": [1, 2, 3]}),
        json!({"reduce": [[1], {"var": "current"}]}),
        json!({"substr": ["abc"]}),
    ] {
        Rule::compile(&rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
    }
}

#[test]
fn depth_bomb_is_rejected() {
    let mut rule = json!(true);
    for _ in 0..200 {
        rule = json!({"!": [rule]});
    }
    let e = err(rule);
    assert!(matches!(e, RuleError::TooDeep { limit: 64, .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("rule is nested more than 64 levels deep (at ![0].![0]."),
        "{e}"
    );
    // Deep arrays count too, even inside literals.
    let mut rule = json!(1);
    for _ in 0..100 {
        rule = json!([rule]);
    }
    assert!(matches!(err(rule), RuleError::TooDeep { .. }));
    let mut literal = json!(1);
    for _ in 0..100 {
        literal = json!({"a": literal, "b": 1});
    }
    assert!(matches!(err(literal), RuleError::TooDeep { .. }));
    // Just inside the limit is fine.
    let mut rule = json!(true);
    for _ in 0..32 {
        rule = json!({"!": [rule]});
    }
    assert_eq!(eval(rule, json!({})), json!(true));
}

#[test]
fn huge_arrays_and_rules_are_rejected() {
    let big: Vec<u32> = (0..10_001).collect();
    let e = err(json!({"in": [{"var": "x"}, big]}));
    assert_eq!(
        e,
        RuleError::ArrayTooLarge {
            path: "in[1]".into(),
            len: 10_001,
            limit: 10_000
        }
    );
    assert_eq!(
        e.to_string(),
        "array at in[1] has 10001 elements, more than the limit of 10000"
    );
    let ok: Vec<u32> = (0..9_000).collect();
    assert_eq!(eval(json!({"in": [8_999, ok]}), json!({})), json!(true));
    let many: Vec<Value> = (0..4_000)
        .map(|i| json!({"==": [{"var": "x"}, i]}))
        .collect();
    let e = err(json!({"or": many}));
    assert_eq!(e, RuleError::TooManyNodes { limit: 10_000 });
    assert_eq!(e.to_string(), "rule has more than 10000 values");
}

#[test]
fn work_budget_stops_runaway_evaluation() {
    let range: Vec<u32> = (0..5_000).collect();
    let data = json!({"r": range});
    let started = std::time::Instant::now();
    // 5,000 × 5,000 iterations.
    let nested =
        Rule::compile(&json!({"map": [{"var": "r"}, {"map": [range, {"+": [{"var": ""}, 1]}]}]}))
            .unwrap();
    assert_eq!(
        nested.evaluate(&data),
        Err(EvalError::BudgetExceeded {
            limit: DEFAULT_BUDGET
        })
    );
    // Converting a big array to a string at every step.
    let converting = Rule::compile(
        &json!({"map": [{"var": "r"}, {"==": [(0..5_000).collect::<Vec<u32>>(), "x"]}]}),
    )
    .unwrap();
    assert!(matches!(
        converting.evaluate(&data),
        Err(EvalError::BudgetExceeded { .. })
    ));
    // A string doubling each step.
    let doubling = Rule::compile(&json!({"reduce": [{"var": "r"}, {"cat": [{"var": "accumulator"}, {"var": "accumulator"}]}, "x"]})).unwrap();
    assert!(matches!(
        doubling.evaluate(&data),
        Err(EvalError::BudgetExceeded { .. })
    ));
    // An array doubling each step.
    let merging = Rule::compile(&json!({"reduce": [{"var": "r"}, {"merge": [{"var": "accumulator"}, {"var": "accumulator"}]}, [1]]})).unwrap();
    assert!(matches!(
        merging.evaluate(&data),
        Err(EvalError::BudgetExceeded { .. })
    ));
    // Arrays nesting one level deeper each step.
    let nesting =
        Rule::compile(&json!({"reduce": [{"var": "r"}, [{"var": "accumulator"}], null]})).unwrap();
    let e = nesting.evaluate(&data).unwrap_err();
    assert_eq!(e, EvalError::TooDeep { limit: 100 });
    assert_eq!(
        e.to_string(),
        "rule evaluation built arrays nested more than 100 levels deep"
    );
    let scopes = Rule::compile(&json!({"reduce": [{"var": "r"}, {"var": ""}, 0]})).unwrap();
    assert!(matches!(
        scopes.evaluate(&data),
        Err(EvalError::TooDeep { .. })
    ));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    // Ordinary work stays within the budget; a tight budget stops it.
    let sum = Rule::compile(
        &json!({"reduce": [{"var": "r"}, {"+": [{"var": "accumulator"}, {"var": "current"}]}, 0]}),
    )
    .unwrap();
    assert_eq!(sum.evaluate(&data), Ok(json!(12_497_500)));
    assert_eq!(
        sum.evaluate_with_budget(&data, 1_000),
        Err(EvalError::BudgetExceeded { limit: 1_000 })
    );
    assert_eq!(
        EvalError::BudgetExceeded { limit: 1_000 }.to_string(),
        "rule evaluation was stopped after 1000 steps (too much work)"
    );
    // apply() reports evaluation errors too.
    let e = apply(
        &json!({"missing_some": [1, {"var": "nothing"}]}),
        &json!({}),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "missing_some needs a list of keys as its second argument (at missing_some)"
    );
}

#[test]
fn json_round_trips_do_not_change_results() {
    for (rule, data) in all_cases() {
        let direct = apply(&rule, &data);
        let rule2: Value = serde_json::from_str(&serde_json::to_string(&rule).unwrap()).unwrap();
        let data2: Value =
            serde_json::from_str(&serde_json::to_string_pretty(&data).unwrap()).unwrap();
        let again = apply(&rule2, &data2);
        match (&direct, &again) {
            (Ok(a), Ok(b)) => assert!(same(a, b), "{rule}: {a} then {b}"),
            (Err(a), Err(b)) => assert_eq!(a, b),
            _ => panic!("{rule}: {direct:?} then {again:?}"),
        }
        // The result itself survives a round trip (no NaN or other non-JSON numbers).
        if let Ok(v) = direct {
            let text = serde_json::to_string(&v).unwrap();
            let back: Value = serde_json::from_str(&text).unwrap();
            assert!(same(&v, &back), "{rule}: {v} read back as {back}");
        }
    }
}

#[test]
fn matches_and_traced_evaluation_agree_with_evaluate() {
    for (rule, data) in all_cases() {
        let Ok(compiled) = Rule::compile(&rule) else {
            continue;
        };
        let value = compiled.evaluate(&data);
        let (traced, _) = compiled.evaluate_traced(&data);
        match (&value, &traced) {
            (Ok(a), Ok(b)) => assert!(same(a, b), "{rule} with {data}: {a} vs traced {b}"),
            (Err(a), Err(b)) => assert_eq!(a, b),
            _ => panic!("{rule} with {data}: {value:?} vs traced {traced:?}"),
        }
        // Truthiness is judged before NaN and Infinity become null, like `!!` does.
        let truth = apply(&json!({"!!": [rule]}), &data);
        match (&truth, compiled.matches(&data)) {
            (Ok(v), Ok(m)) => assert_eq!(v, &json!(m), "{rule} with {data}"),
            (Err(_), Err(_)) => {}
            (v, m) => panic!("{rule} with {data}: {v:?} vs matches {m:?}"),
        }
    }
}

#[test]
fn javascript_coercions() {
    let cases = [
        (json!({"==": [[1, 2], "1,2"]}), json!(true)),
        (json!({"==": [[], 0]}), json!(true)),
        (json!({"==": [[0], false]}), json!(true)),
        (json!({"==": [null, 0]}), json!(false)),
        (json!({"==": ["0", false]}), json!(true)),
        (json!({"==": [" 1 ", 1]}), json!(true)),
        (json!({"==": ["0x10", 16]}), json!(true)),
        (json!({"==": [{}, "[object Object]"]}), json!(true)),
        (json!({"===": [{"+": "x"}, {"+": "x"}]}), json!(false)),
        (json!({">": ["10", "9"]}), json!(false)),
        (json!({">": ["10", 9]}), json!(true)),
        (json!({"<=": [null, 0]}), json!(true)),
        (json!({"<": ["a", 1]}), json!(false)),
        (json!({">=": ["a", 1]}), json!(false)),
        // UTF-16 order: U+FF61 sorts after the surrogates of U+1F600.
        (json!({"<": ["\u{FF61}", "\u{1F600}"]}), json!(false)),
        (json!({"+": ["12abc", 1]}), json!(13)),
        (json!({"-": ["12abc", 1]}), Value::Null),
        (json!({"+": "abc"}), Value::Null),
        (json!({"/": [1, 0]}), Value::Null),
        (json!({"-": [[], 1]}), json!(-1)),
        (json!({"*": ["3"]}), json!("3")),
        (json!({"max": [1, "7", null]}), json!(7)),
        (json!({"min": [1, "x"]}), Value::Null),
        (json!({"%": [-7, 2]}), json!(-1)),
        (
            json!({"cat": [1.0, "|", 0.5, "|", 1e21, "|", 1e-7, "|", 123456789.5, "|", -0.0, "|", null, "|", [1, [2, null]], "|", true]}),
            json!("1|0.5|1e+21|1e-7|123456789.5|0||1,2,|true"),
        ),
        (
            json!({"cat": [{"+": [0.1, 0.2]}, " ", {"/": [1, 3]}, " ", {"+": "x"}, " ", {"/": [-1, 0]}, " ", 1e20, " ", 2e-6]}),
            json!(
                "0.30000000000000004 0.3333333333333333 NaN -Infinity 100000000000000000000 0.000002"
            ),
        ),
        (json!({"substr": ["Straße", 3, 2]}), json!("aß")),
        (json!({"substr": ["jsonlogic", -5, "-2"]}), json!("")),
        (json!({"in": ["", ""]}), json!(false)),
        (json!({"in": [null, "null!"]}), json!(true)),
        (json!({"in": [1, ["1", 1]]}), json!(true)),
        (json!({"var": "s.length"}), json!(4)),
        (json!({"var": "s.1"}), json!("b")),
        (json!({"var": "a.01"}), Value::Null),
        (json!({"var": ["a.5", "dflt"]}), json!("dflt")),
        (json!({"var": ["n", "dflt"]}), Value::Null),
        (json!({"==": [{"var": "a"}, {"var": "a"}]}), json!(true)),
        (json!({"==": [{"var": "a"}, [1, 2, 3]]}), json!(false)),
        (json!({"missing": [["x", "n"]]}), json!(["x", "n"])),
        (json!({"missing_some": [1, ["x", "s"]]}), json!([])),
    ];
    let data = json!({"s": "abcd", "a": [1, 2, 3], "n": null});
    for (rule, want) in cases {
        let got = eval(rule.clone(), data.clone());
        assert!(same(&got, &want), "{rule}: expected {want}, got {got}");
    }
    assert!(!truthy(&json!([])));
    assert!(truthy(&json!("0")));
    assert!(truthy(&json!({})));
    assert!(!truthy(&json!(0.0)));
    assert!(!truthy(&json!("")));
}

#[test]
fn trace_reports_conditions() {
    let rule = Rule::compile(&json!({"or": [
        {"and": [{"==": [{"var": "country"}, "DE"]}, {">=": [{"var": "size"}, 500]}]},
        {"in": [{"var": "country"}, ["AT", "CH"]]},
        {"!": {"var": "vip"}}
    ]}))
    .unwrap();
    let (result, steps) = rule.evaluate_traced(&json!({"country": "AT", "size": 800}));
    assert_eq!(result, Ok(json!(true)));
    let summary: Vec<(&str, &str, bool, usize)> = steps
        .iter()
        .map(|s| (s.path.as_str(), s.description.as_str(), s.held, s.depth))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "or",
                "(country == \"DE\" and size >= 500) or country in [\"AT\",\"CH\"] or not vip",
                true,
                0
            ),
            ("or[0].and", "country == \"DE\" and size >= 500", false, 1),
            ("or[0].and[0].==", "country == \"DE\"", false, 2),
            ("or[1].in", "country in [\"AT\",\"CH\"]", true, 1),
        ]
    );
    // `size >= 500` and `not vip` were never evaluated (short circuits).
    assert_eq!(steps[2].operands, [json!("AT"), json!("DE")]);
    assert_eq!(steps[3].operands, [json!("AT"), json!(["AT", "CH"])]);
    assert!(steps[0].operands.is_empty());

    let (_, steps) = rule.evaluate_traced(&json!({"country": "FR", "vip": false}));
    let last = steps.last().unwrap();
    assert_eq!(
        (last.path.as_str(), last.description.as_str(), last.held),
        ("or[2].!", "not vip", true)
    );
    assert!(!steps[0].description.is_empty());

    // Errors keep the steps up to the failure.
    let rule =
        Rule::compile(&json!({"and": [{"==": [1, 1]}, {"missing_some": [1, {"var": "x"}]}]}))
            .unwrap();
    let (result, steps) = rule.evaluate_traced(&json!({}));
    assert!(result.is_err());
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[1].description, "1 == 1");
}

#[test]
fn variables_lists_the_data_read() {
    let rule = Rule::compile(&json!({"and": [
        {"==": [{"var": "country"}, "DE"]},
        {"some": [{"var": "items"}, {">": [{"var": "qty"}, 1]}]},
        {"<": [{"var": ["answers.age", 0]}, {"var": "limits.age"}]},
        {"==": [{"var": "country"}, {"var": ""}]}
    ]}))
    .unwrap();
    assert_eq!(
        rule.variables(),
        ["country", "items", "answers.age", "limits.age", ""]
    );
}

#[test]
fn rules_are_shareable_between_threads() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Rule>();
    check::<RuleError>();
    let rule = Rule::compile(&json!({"==": [{"var": "x"}, 1]})).unwrap();
    let handle = std::thread::spawn(move || rule.evaluate(&json!({"x": 1})));
    assert_eq!(handle.join().unwrap(), Ok(json!(true)));
}

/// Release-mode timing of a 10-comparison routing rule:
/// `cargo test --release -p app rules::tests::timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing() {
    let rule = Rule::compile(&json!({"and": [
        {"==": [{"var": "country"}, "DE"]},
        {">=": [{"var": "size"}, 500]},
        {"<": [{"var": "age"}, 65]},
        {"!=": [{"var": "email"}, ""]},
        {"in": [{"var": "plan"}, ["pro", "enterprise"]]},
        {"===": [{"var": "consent"}, true]},
        {"<=": [{"var": "employees"}, 5000]},
        {">": [{"var": "revenue"}, 1000000]},
        {"!=": [{"var": "answers.q1"}, "no"]},
        {"==": [{"var": "industry"}, "retail"]}
    ]}))
    .unwrap();
    let data = json!({"country": "DE", "size": 800, "age": 40, "email": "a@b.de", "plan": "pro",
        "consent": true, "employees": 1200, "revenue": 2500000, "answers": {"q1": "yes", "q2": 3},
        "industry": "retail", "name": "Anna", "city": "Berlin"});
    assert_eq!(rule.evaluate(&data), Ok(json!(true)));
    let n = 200_000;
    let mut runs = Vec::new();
    for _ in 0..25 {
        let start = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(rule.evaluate(std::hint::black_box(&data)).ok());
        }
        runs.push(start.elapsed().as_nanos() as f64 / f64::from(n));
    }
    runs.sort_by(f64::total_cmp);
    eprintln!(
        "10-comparison rule: best {:.0} ns, median {:.0} ns per evaluation",
        runs[0],
        runs[runs.len() / 2]
    );
}

#[test]
fn numbers_print_and_parse_like_javascript() {
    use super::value::{number_string, parse_float, str_to_number};
    // String(x) in node.
    for (x, js) in [
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (123e-20, "1.23e-18"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1.0 / 3.0, "0.3333333333333333"),
        (9007199254740994.0, "9007199254740994"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (0.000001, "0.000001"),
        (0.0000015, "0.0000015"),
        (-1e-7, "-1e-7"),
        (4.35, "4.35"),
        (100.5e10, "1005000000000"),
        (-0.0, "0"),
        (f64::NAN, "NaN"),
        (f64::NEG_INFINITY, "-Infinity"),
    ] {
        assert_eq!(number_string(x), js, "{x:e}");
    }
    // Number(s) in node, as IEEE bits: halfway cases, long literals, the ends of the range.
    for (s, bits) in [
        ("13380101530821418670882816e0", 0x452622b183c893da_u64),
        (
            "133801015308214186708828160000000001e-10",
            0x452622b183c893db,
        ),
        (
            "133801015308214186708828159999999999e-10",
            0x452622b183c893da,
        ),
        (
            "603721331625715212233781562343001455480654954694e-199",
            0x20894ba9e9f46fcd,
        ),
        (
            "0.963353006463681936913324193213311962e303",
            0x7ed679ffb171b398,
        ),
        (
            "963353006463681936913324193213311962e283",
            0x7ff0000000000000,
        ),
        ("1.7976931348623158e308", 0x7fefffffffffffff),
        ("1.7976931348623159e308", 0x7ff0000000000000),
        ("4.9406564584124654e-324", 0x0000000000000001),
        ("2.4703282292062327e-324", 0x0000000000000000),
        ("2.4703282292062328e-324", 0x0000000000000001),
        ("2.2250738585072011e-308", 0x000fffffffffffff),
        ("2.2250738585072012e-308", 0x0010000000000000),
        ("1e-400", 0),
        ("1e400", 0x7ff0000000000000),
        (
            "0.000000000000000000000000000000000000000000001",
            0x3696d601ad376ab9,
        ),
        ("9007199254740993", 0x4340000000000000),
        ("9007199254740993.0000000001", 0x4340000000000001),
        ("123456789012345678901234567890", 0x45f8ee90ff6c373e),
        ("0.09999999999999959", 0.09999999999999959f64.to_bits()),
    ] {
        assert_eq!(str_to_number(s).to_bits(), bits, "{s}");
    }
    // Number(s) and parseFloat(s) in node.
    for (s, number, parsed) in [
        ("0x1F", "31", "0"),
        ("0b101", "5", "0"),
        ("0o17", "15", "0"),
        (" \n12\t", "12", "12"),
        ("1e", "NaN", "1"),
        ("1e+", "NaN", "1"),
        ("-.5e3x", "NaN", "-500"),
        (".", "NaN", "NaN"),
        ("+Infinity", "Infinity", "Infinity"),
        ("-Infinityx", "NaN", "-Infinity"),
        ("12abc", "NaN", "12"),
        ("0.0000001e7", "1", "1"),
        ("", "0", "NaN"),
        ("-0", "0", "0"),
        ("1_000", "NaN", "1"),
        ("infinity", "NaN", "NaN"),
    ] {
        assert_eq!(number_string(str_to_number(s)), number, "Number({s:?})");
        assert_eq!(number_string(parse_float(s)), parsed, "parseFloat({s:?})");
    }
    assert!(str_to_number("-0").is_sign_negative());
}
