//! A form's rules compiled once: every field's display condition and every route's rule.
//! The server keeps one per form revision (`services::submissions::compiled`), so a submission evaluates
//! rules without compiling any; the browser compiles its own for live checks. Every
//! evaluation of one submission takes its steps from one [`Budget`].

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Action, FormDefinition};
use crate::rules::{Budget, EvalError, Rule};

/// Where a respondent goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The matching route, or `None` for the fallback.
    pub route_id: Option<String>,
    pub route_name: String,
    /// The action with answers substituted into its URL.
    pub action: Action,
}

/// The work one submission may do in all: display conditions, routes (reused ones too) and
/// field checks together. The worst form the limits allow spends it all in about 13 ms
/// (release, BENCHMARKS.md), small enough to run on the async workers.
pub const SUBMISSION_BUDGET: u64 = 250_000;

/// A rule as compiled for evaluation.
#[derive(Debug, Clone)]
enum Condition {
    /// No rule: always holds.
    Always,
    Rule(Rule),
    /// A stored rule that no longer compiles (saving refuses those): never holds.
    Broken,
}

impl Condition {
    fn compile(rule: Option<&Value>) -> Condition {
        match rule {
            None => Condition::Always,
            Some(rule) if super::is_empty_object(rule) => Condition::Always,
            Some(rule) => match Rule::compile(rule) {
                Ok(rule) => Condition::Rule(rule),
                Err(_) => Condition::Broken,
            },
        }
    }

    fn holds(&self, data: &Value, budget: &mut Budget) -> Result<bool, EvalError> {
        match self {
            Condition::Always => Ok(true),
            Condition::Rule(rule) => rule.matches_within(data, budget),
            Condition::Broken => Ok(false),
        }
    }
}

#[derive(Debug, Clone)]
struct CompiledRoute {
    id: String,
    name: String,
    rule: Condition,
    action: Action,
    use_routes_of: Option<String>,
}

/// The compiled rules of one form (of one revision).
#[derive(Debug, Clone)]
pub struct CompiledForm {
    /// Display conditions by the field's position in `fields` (ids and identifiers may
    /// still be blank or repeated in a draft the builder previews).
    visible: Vec<Condition>,
    routes: Vec<CompiledRoute>,
    fallback: Action,
}

impl CompiledForm {
    pub fn new(def: &FormDefinition) -> CompiledForm {
        CompiledForm {
            visible: def
                .fields
                .iter()
                .map(|f| Condition::compile(f.visible_if.as_ref()))
                .collect(),
            routes: def
                .routes
                .iter()
                .map(|r| CompiledRoute {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    rule: Condition::compile(Some(&r.rule)),
                    action: r.action.clone(),
                    use_routes_of: r.use_routes_of.clone(),
                })
                .collect(),
            fallback: def.fallback.action.clone(),
        }
    }

    /// Whether the field at `index` of the form's `fields` is shown for `earlier` (the
    /// answers to the fields before it, as a JSON object). A condition that cannot be
    /// evaluated hides its field.
    pub fn is_visible(
        &self,
        index: usize,
        earlier: &Value,
        budget: &mut Budget,
    ) -> Result<bool, EvalError> {
        match self.visible.get(index) {
            None => Ok(true),
            Some(condition) => match condition.holds(earlier, budget) {
                Err(e @ EvalError::BudgetExceeded { .. }) => Err(e),
                Err(_) => Ok(false),
                Ok(shown) => Ok(shown),
            },
        }
    }

    /// The decision for one of this form's own routes by id (not one reached through
    /// another form's routes), or for the fallback (`None`), whatever the rules say: an
    /// app's `routing.beforeRoute` choice. `None` when the form has no such route.
    pub fn decision_for(&self, route_id: Option<&str>, answers: &Map<String, Value>) -> Option<Decision> {
        let Some(id) = route_id else {
            return Some(Decision {
                route_id: None,
                route_name: "Fallback".into(),
                action: super::action::substitute(&self.fallback, answers),
            });
        };
        let route = self.routes.iter().find(|r| r.id == id && r.use_routes_of.is_none())?;
        Some(Decision {
            route_id: Some(route.id.clone()),
            route_name: route.name.clone(),
            action: super::action::substitute(&route.action, answers),
        })
    }

    /// The first route whose rule holds for `answers`, else the fallback. A route that
    /// reuses another form's routes tests its own rule once, then that form's routes in
    /// order (found in `linked`, compiled; a form missing there contributes nothing, and its
    /// own reusing routes are skipped, so there are no chains). A rule that fails to
    /// evaluate does not match; once `budget` is spent, no further route matches and the
    /// fallback applies.
    pub fn decide(
        &self,
        answers: &Map<String, Value>,
        linked: &HashMap<String, Arc<CompiledForm>>,
        budget: &mut Budget,
    ) -> Decision {
        let data = Value::Object(answers.clone());
        let holds =
            |rule: &Condition, budget: &mut Budget, id: &str| match rule.holds(&data, budget) {
                Ok(held) => held,
                Err(e) => {
                    tracing::warn!(route = %id, "route rule failed: {e}");
                    false
                }
            };
        let decision = |id: String, name: String, action: &Action| Decision {
            route_id: Some(id),
            route_name: name,
            action: super::action::substitute(action, answers),
        };
        for route in &self.routes {
            if budget.left() == 0 {
                break;
            }
            let Some(other_id) = &route.use_routes_of else {
                if holds(&route.rule, budget, &route.id) {
                    return decision(route.id.clone(), route.name.clone(), &route.action);
                }
                continue;
            };
            let Some(other) = linked.get(other_id) else {
                continue;
            };
            if !holds(&route.rule, budget, &route.id) {
                continue;
            }
            for inner in other.routes.iter().filter(|r| r.use_routes_of.is_none()) {
                if holds(&inner.rule, budget, &inner.id) {
                    return decision(
                        format!("{}/{}", route.id, inner.id),
                        format!("{} → {}", route.name, inner.name),
                        &inner.action,
                    );
                }
            }
        }
        Decision {
            route_id: None,
            route_name: "Fallback".into(),
            action: super::action::substitute(&self.fallback, answers),
        }
    }
}
