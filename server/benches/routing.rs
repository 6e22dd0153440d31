//! Criterion benchmarks: a routing decision on a 20-field × 20-route form, and the
//! throughput of `junction logic eval` (the same function the command runs).
//!
//! `cargo bench -p server --bench routing`

#[path = "worst_case.rs"]
mod worst_case;

use std::hint::black_box;

use app::forms::FormDefinition;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Map, Value, json};

/// 20 fields (numbers, selects, text) and 20 routes of three or four conditions each; only
/// the last route matches the answers, so every rule is evaluated.
fn big_form() -> (FormDefinition, Map<String, Value>) {
    let mut fields = Vec::new();
    let mut answers = Map::new();
    for i in 0..20 {
        let identifier = format!("q{i}");
        match i % 3 {
            0 => {
                fields.push(json!({"identifier": identifier, "label": format!("Number {i}"), "type": "number"}));
                answers.insert(identifier, json!(i * 10));
            }
            1 => {
                fields.push(json!({"identifier": identifier, "label": format!("Choice {i}"), "type": "select",
                    "config": {"options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]}}));
                answers.insert(identifier, json!("b"));
            }
            _ => {
                fields.push(json!({"identifier": identifier, "label": format!("Text {i}"), "type": "short_text"}));
                answers.insert(identifier, json!(format!("value {i}")));
            }
        }
    }
    let routes: Vec<Value> = (0..20)
        .map(|r| {
            let last = r == 19;
            json!({
                "id": format!("r{r}"), "name": format!("Route {r}"),
                "rule": {"and": [
                    {">=": [{"var": "q0"}, 0]},
                    {"==": [{"var": "q1"}, "b"]},
                    {"in": ["value", {"var": "q2"}]},
                    {"<": [{"var": format!("q{}", (r % 6) * 3)}, if last { 1000 } else { -1 }]}
                ]},
                "action": {"type": "external_url", "value": format!("https://example.com/{r}?a={{q2}}")}
            })
        })
        .collect();
    let def: FormDefinition =
        serde_json::from_value(json!({"name": "Bench", "fields": fields, "routes": routes}))
            .unwrap();
    (app::forms::validate_definition(def).unwrap(), answers)
}

fn routing_decision(c: &mut Criterion) {
    let (def, answers) = big_form();
    assert_eq!(
        app::routing::decide(&def, &answers).route_id.as_deref(),
        Some("r19")
    );
    c.bench_function(
        "routing decision, 20 fields x 20 routes (last route matches)",
        |b| b.iter(|| app::routing::decide(black_box(&def), black_box(&answers))),
    );
}

/// A dry run of the worst form the limits allow (see `worst_case.rs`), with its rules
/// compiled as the server caches them: answer checks, 200 display conditions and routing
/// within one submission budget.
fn worst_form_dry_run(c: &mut Criterion) {
    use app::forms::answers::{UnknownKeys, check_answers_with};
    use app::forms::compiled::{CompiledForm, SUBMISSION_BUDGET};
    use std::collections::HashMap;
    use std::sync::Arc;

    let parse = |v: Value| -> FormDefinition {
        app::forms::validate_definition(serde_json::from_value(v).unwrap()).unwrap()
    };
    let (target, reusing) = worst_case::definitions();
    let target = parse(target);
    let def = parse(reusing("target"));
    let compiled = CompiledForm::new(&def);
    let linked: HashMap<String, Arc<CompiledForm>> =
        [("target".to_owned(), Arc::new(CompiledForm::new(&target)))].into();
    let raw: app::forms::answers::RawAnswers = worst_case::answers().into_iter().collect();
    let run = || {
        let mut budget = app::rules::Budget::new(SUBMISSION_BUDGET);
        let checked =
            check_answers_with(&def, &compiled, &raw, UnknownKeys::Reject, &mut budget).unwrap();
        compiled.decide(&checked.values, &linked, &mut budget)
    };
    assert_eq!(run().route_id, None);
    c.bench_function(
        "worst form dry run: 200 conditions, 100 routes x 100 reused, one budget",
        |b| b.iter(|| black_box(run())),
    );
}

fn logic_eval_throughput(c: &mut Criterion) {
    const LINES: usize = 10_000;
    let line = r#"{"rule": {"and": [{">=": [{"var": "size"}, 500]}, {"==": [{"var": "country"}, "DE"]}, {"in": [{"var": "plan"}, ["team", "solo"]]}]}, "data": {"size": 900, "country": "DE", "plan": "team"}}"#;
    let input: String = std::iter::repeat_n(line, LINES)
        .map(|l| format!("{l}\n"))
        .collect();
    let mut group = c.benchmark_group("junction logic eval");
    group.throughput(Throughput::Elements(LINES as u64));
    group.bench_function("rule and data per line", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(LINES * 20);
            server::logic::eval_lines(black_box(input.as_bytes()), &mut out, None).unwrap();
            out
        })
    });
    let rule = app::rules::Rule::compile(
        &json!({"and": [{">=": [{"var": "size"}, 500]}, {"==": [{"var": "country"}, "DE"]}]}),
    )
    .unwrap();
    let data: String = std::iter::repeat_n(r#"{"size": 900, "country": "DE"}"#, LINES)
        .map(|l| format!("{l}\n"))
        .collect();
    group.bench_function("--rule compiled once, data per line", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(LINES * 20);
            server::logic::eval_lines(black_box(data.as_bytes()), &mut out, Some(&rule)).unwrap();
            out
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    routing_decision,
    worst_form_dry_run,
    logic_eval_throughput
);
criterion_main!(benches);
