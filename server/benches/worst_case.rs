//! The worst form the limits allow, for the budget test (`tests/security.rs`) and the
//! `worst_form_dry_run` benchmark: 200 fields each with a display condition, and 100 routes
//! each reusing all 100 routes of another form, every rule as large as a saved form can
//! carry. No rule matches the answers, so every one runs until the budget is spent.

#![allow(dead_code)] // each includer uses part of it

use serde_json::{Map, Value, json};

/// Comparisons per route rule: with 100 routes the form's JSON stays near 1 MB, which the
/// form-encoded save request still carries under its 4 MB limit.
const COMPARISONS: usize = 250;

fn fields(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| {
            let mut field = json!({"identifier": format!("f{i}"), "label": format!("Field {i}"), "type": "short_text"});
            if i > 0 {
                field["visible_if"] = json!({"!=": [{"var": format!("f{}", i - 1)}, "never"]});
            }
            field
        })
        .collect()
}

/// A rule of `COMPARISONS` comparisons that never holds for [`answers`].
fn large_rule(seed: usize) -> Value {
    let any: Vec<Value> = (0..COMPARISONS)
        .map(|c| json!({"==": [{"var": format!("f{}", c % 10)}, format!("v{seed}-{c}")]}))
        .collect();
    json!({"or": any})
}

fn routes(prefix: &str, reuse: Option<&str>) -> Vec<Value> {
    (0..100)
        .map(|r| {
            let mut route = json!({
                "id": format!("{prefix}{r}"), "name": format!("Route {r}"),
                "rule": large_rule(r),
                "action": {"type": "external_url", "value": format!("https://example.com/{r}?a={{f0}}")}
            });
            if let Some(form) = reuse {
                route["use_routes_of"] = json!(form);
                // A reusing route's own rule holds, so the reused routes all run.
                route["rule"] = json!({"!=": [{"var": "f0"}, "never"]});
            }
            route
        })
        .collect()
}

/// The form whose routes are reused, and a function making the reusing form for its id.
pub fn definitions() -> (Value, impl Fn(&str) -> Value) {
    let target =
        json!({"name": "Reused routes", "fields": fields(10), "routes": routes("t", None)});
    let reusing = |target_id: &str| json!({"name": "Worst form", "fields": fields(200), "routes": routes("r", Some(target_id))});
    (target, reusing)
}

/// Answers to every field, matching no rule.
pub fn answers() -> Map<String, Value> {
    (0..200).map(|i| (format!("f{i}"), json!("x"))).collect()
}
