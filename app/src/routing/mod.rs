//! Routing decisions: the first route whose rule holds for the answers wins; an empty rule
//! matches everyone; the fallback applies when none does. URLs get `{identifier}` replaced
//! by the answer, percent-encoded as a URI component. Plain Rust: the builder's "test
//! routing" panel runs the same code in the browser as the server does on submission.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::forms::{FormDefinition, LinkedRoutes, Route, is_empty_object as is_empty_rule};
use crate::rules::{Rule, TraceStep};

pub use crate::forms::action::{encode_uri_component, substitute};
pub use crate::forms::compiled::Decision;

/// How one route fared, for the test panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteTrace {
    pub route_id: String,
    pub name: String,
    pub matched: bool,
    /// Set when the rule could not be evaluated (it then does not match).
    pub error: Option<String>,
    pub steps: Vec<TraceStep>,
}

/// The routes a decision walks, with reused routes put in place: a route that uses another
/// form's routes becomes those routes, in order, each also requiring the reusing route's
/// rule, with ids `"{route}/{other}"` and names `"{route} → {other}"`. The other form's own
/// reusing routes are left out (no chains, hence no cycles); a form missing from `linked`
/// (deleted, or not the owner's) contributes nothing.
pub fn expand(def: &FormDefinition, linked: &LinkedRoutes) -> FormDefinition {
    if def.routes.iter().all(|r| r.use_routes_of.is_none()) {
        return def.clone();
    }
    let mut routes = Vec::with_capacity(def.routes.len());
    for route in &def.routes {
        let Some(form) = &route.use_routes_of else {
            routes.push(route.clone());
            continue;
        };
        let others = linked.get(form).map(Vec::as_slice).unwrap_or_default();
        for other in others.iter().filter(|o| o.use_routes_of.is_none()) {
            let rule = match (is_empty_rule(&route.rule), is_empty_rule(&other.rule)) {
                (true, _) => other.rule.clone(),
                (false, true) => route.rule.clone(),
                (false, false) => serde_json::json!({ "and": [route.rule, other.rule] }),
            };
            routes.push(Route {
                id: format!("{}/{}", route.id, other.id),
                name: format!("{} → {}", route.name, other.name),
                rule,
                action: other.action.clone(),
                use_routes_of: None,
            });
        }
    }
    FormDefinition {
        routes,
        ..def.clone()
    }
}

/// The decision for normalized answers (by identifier), within one submission's budget.
/// Routes that reuse other forms' routes must already be expanded (see [`expand`]); the
/// server decides through `services::submissions::decide`, which evaluates them in place.
pub fn decide(def: &FormDefinition, answers: &Map<String, Value>) -> Decision {
    crate::forms::compiled::CompiledForm::new(def).decide(
        answers,
        &std::collections::HashMap::new(),
        &mut crate::rules::Budget::new(crate::forms::compiled::SUBMISSION_BUDGET),
    )
}

/// Every route in order, with whether it matched and why.
pub fn trace(def: &FormDefinition, answers: &Map<String, Value>) -> Vec<RouteTrace> {
    let data = Value::Object(answers.clone());
    def.routes
        .iter()
        .map(|route| {
            if is_empty_rule(&route.rule) {
                return RouteTrace {
                    route_id: route.id.clone(),
                    name: route.name.clone(),
                    matched: true,
                    error: None,
                    steps: Vec::new(),
                };
            }
            match Rule::compile(&route.rule) {
                Err(e) => RouteTrace {
                    route_id: route.id.clone(),
                    name: route.name.clone(),
                    matched: false,
                    error: Some(e.to_string()),
                    steps: Vec::new(),
                },
                Ok(rule) => {
                    let (result, steps) = rule.evaluate_traced(&data);
                    let (matched, error) = match result {
                        Ok(v) => (crate::rules::truthy(&v), None),
                        Err(e) => (false, Some(e.to_string())),
                    };
                    RouteTrace {
                        route_id: route.id.clone(),
                        name: route.name.clone(),
                        matched,
                        error,
                        steps,
                    }
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::forms::{Action, ActionKind};

    fn form() -> FormDefinition {
        serde_json::from_value(json!({
            "name": "Routing",
            "fields": [
                {"identifier": "email", "label": "Email", "type": "email"},
                {"identifier": "size", "label": "Size", "type": "number"},
                {"identifier": "country", "label": "Country", "type": "short_text"}
            ],
            "routes": [
                {"id": "big", "name": "Enterprise", "rule": {">=": [{"var": "size"}, 500]},
                 "action": {"type": "event_type", "value": "/team/sales/enterprise?email={email}&n={name}"}},
                {"id": "de", "name": "Germany", "rule": {"and": [{"==": [{"var": "country"}, "DE"]}, {"<": [{"var": "size"}, 500]}]},
                 "action": {"type": "external_url", "value": "https://example.com/de?c={country}"}},
                {"id": "everyone", "name": "Everyone else with a size", "rule": {"!!": [{"var": "size"}]},
                 "action": {"type": "message", "value": "Hello {email}"}}
            ],
            "fallback": {"action": {"type": "message", "value": "Thanks"}}
        }))
        .unwrap()
    }

    fn answers(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn reused_routes_stand_in_place_of_the_router_route() {
        let mut def = form();
        def.routes.insert(
            0,
            serde_json::from_value(json!({"id": "shared", "name": "Shared",
                "rule": {"==": [{"var": "country"}, "FR"]}, "use_routes_of": "other"}))
            .unwrap(),
        );
        let other: Vec<Route> = serde_json::from_value(json!([
            {"id": "o1", "name": "Big in France", "rule": {">": [{"var": "size"}, 10]},
             "action": {"type": "external_url", "value": "https://example.fr/{email}"}},
            {"id": "o2", "name": "Chain", "use_routes_of": "shared"},
            {"id": "o3", "name": "Anyone", "action": {"type": "message", "value": "Bonjour"}}
        ]))
        .unwrap();
        let linked: LinkedRoutes = [("other".to_owned(), other)].into();
        let expanded = expand(&def, &linked);
        let ids: Vec<&str> = expanded.routes.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["shared/o1", "shared/o3", "big", "de", "everyone"]);
        let fr = |size: i64| {
            decide(
                &expanded,
                &answers(json!({"email": "a@b.c", "size": size, "country": "FR"})),
            )
        };
        assert_eq!(fr(20).route_id.as_deref(), Some("shared/o1"));
        assert_eq!(fr(20).action.value, "https://example.fr/a%40b.c");
        assert_eq!(fr(5).route_id.as_deref(), Some("shared/o3"));
        assert_eq!(fr(5).route_name, "Shared → Anyone");
        // The router route's own rule gates the reused ones.
        let de = decide(&expanded, &answers(json!({"size": 20, "country": "DE"})));
        assert_eq!(de.route_id.as_deref(), Some("de"));
        assert_eq!(
            def.route_label(Some("shared/o3"), &linked),
            "Shared → Anyone"
        );
        assert_eq!(
            def.route_label(Some("shared/gone"), &linked),
            "Shared → gone"
        );
        assert_eq!(def.route_label(None, &linked), "Fallback");
        // A form that is gone contributes nothing.
        let bare = expand(&def, &LinkedRoutes::new());
        assert_eq!(bare.routes.len(), 3);
    }

    #[test]
    fn the_first_matching_route_wins_and_the_fallback_is_last() {
        let def = form();
        let d = decide(
            &def,
            &answers(json!({"email": "a b@x.io", "size": 900, "country": "DE"})),
        );
        assert_eq!(d.route_id.as_deref(), Some("big"));
        assert_eq!(
            d.action.value,
            "/team/sales/enterprise?email=a%20b%40x.io&n="
        );
        let d = decide(&def, &answers(json!({"size": 10, "country": "DE"})));
        assert_eq!(
            (d.route_id.as_deref(), d.action.value.as_str()),
            (Some("de"), "https://example.com/de?c=DE")
        );
        let d = decide(
            &def,
            &answers(json!({"size": 10, "country": "US", "email": "a@b.co"})),
        );
        assert_eq!(
            d.action.value, "Hello {email}",
            "messages are not substituted"
        );
        let d = decide(&def, &answers(json!({})));
        assert_eq!((d.route_id, d.action.value.as_str()), (None, "Thanks"));
    }

    #[test]
    fn an_empty_rule_matches_everyone() {
        let mut def = form();
        def.routes.insert(
            0,
            serde_json::from_value(
                json!({"id": "all", "rule": {}, "action": {"type": "message", "value": "All"}}),
            )
            .unwrap(),
        );
        assert_eq!(
            decide(&def, &answers(json!({}))).route_id.as_deref(),
            Some("all")
        );
    }

    #[test]
    fn encoding_follows_encode_uri_component() {
        assert_eq!(
            encode_uri_component("a b@c.de/?&=#+é"),
            "a%20b%40c.de%2F%3F%26%3D%23%2B%C3%A9"
        );
        assert_eq!(encode_uri_component("-_.!~*'()"), "-_.!~*'()");
        let action = Action {
            kind: ActionKind::ExternalUrl,
            value: "https://x.io/{a}/{ b }/{missing}/{".into(),
        };
        let out = substitute(&action, &answers(json!({"a": ["x", "y z"]})));
        assert_eq!(out.value, "https://x.io/x%2Cy%20z/{ b }//{");
    }

    #[test]
    fn traces_say_which_conditions_held() {
        let traces = trace(&form(), &answers(json!({"size": 10, "country": "DE"})));
        assert_eq!(
            traces.iter().map(|t| t.matched).collect::<Vec<_>>(),
            [false, true, true]
        );
        let de = &traces[1];
        assert_eq!(
            de.steps.iter().map(|s| s.held).collect::<Vec<_>>().len(),
            de.steps.len()
        );
        assert!(
            de.steps
                .iter()
                .any(|s| s.description.contains("country") && s.held),
            "{:?}",
            de.steps
        );
    }
}
