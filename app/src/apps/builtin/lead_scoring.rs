//! Lead scoring: a `form.beforeSubmit` filter (after UTM attribution) that adds up points
//! for answers and for the UTM source, and attaches the total as `score`.

use serde_json::{Map, Value};

use crate::apps::host::{self, HostApi};
use crate::apps::manifest::Manifest;
use crate::apps::{App, Registrar};
use crate::hooks::runtime::{FilterHandler, FilterOutcome};
use crate::hooks::{FormBeforeSubmit, SubmitPayload};

pub struct LeadScoring {
    manifest: Manifest,
}

impl LeadScoring {
    pub fn new(manifest: Manifest) -> LeadScoring {
        LeadScoring { manifest }
    }
}

#[async_trait::async_trait]
impl App for LeadScoring {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn register(&self, hooks: &mut Registrar<'_>) {
        hooks.filter::<FormBeforeSubmit>(Score);
    }

    async fn on_configure(&self, _host: &HostApi, config: &Map<String, Value>) -> Result<(), String> {
        rules(host::text(config, "answer_points"), true)?;
        rules(host::text(config, "source_points"), false)?;
        Ok(())
    }
}

/// One scoring rule: `field = answer: points`, or `source: points`.
#[derive(Debug, Clone, PartialEq)]
struct Rule {
    field: Option<String>,
    value: String,
    points: f64,
}

/// Reads the rules of a setting; the error names the line that cannot be read.
fn rules(text: &str, with_field: bool) -> Result<Vec<Rule>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || {
            if with_field {
                format!("Line {} (\"{line}\") is not \"field = answer: points\".", n + 1)
            } else {
                format!("Line {} (\"{line}\") is not \"source: points\".", n + 1)
            }
        };
        let (left, points) = line.rsplit_once(':').ok_or_else(bad)?;
        let points: f64 = points.trim().parse().map_err(|_| bad())?;
        let (field, value) = if with_field {
            let (field, value) = left.split_once('=').ok_or_else(bad)?;
            (Some(field.trim().to_owned()), value.trim().to_owned())
        } else {
            (None, left.trim().to_owned())
        };
        if value.is_empty() || field.as_deref() == Some("") {
            return Err(bad());
        }
        out.push(Rule { field, value, points });
    }
    Ok(out)
}

fn matches(answer: &Value, wanted: &str) -> bool {
    match answer {
        Value::String(s) => s.eq_ignore_ascii_case(wanted),
        Value::Number(n) => n.to_string() == wanted,
        Value::Bool(b) => b.to_string() == wanted,
        Value::Array(items) => items.iter().any(|i| matches(i, wanted)),
        _ => false,
    }
}

/// The score of `submission` under `config`, within 0 and the highest score (1.1.0).
fn score(config: &Map<String, Value>, submission: &SubmitPayload, capped: bool) -> f64 {
    let mut total = 0.0;
    for rule in rules(host::text(config, "answer_points"), true).unwrap_or_default() {
        let field = rule.field.as_deref().unwrap_or("");
        if submission.answers.get(field).is_some_and(|a| matches(a, &rule.value)) {
            total += rule.points;
        }
    }
    let source = submission.data.get("utm_source").and_then(Value::as_str);
    for rule in rules(host::text(config, "source_points"), false).unwrap_or_default() {
        if source.is_some_and(|s| s.eq_ignore_ascii_case(&rule.value)) {
            total += rule.points;
        }
    }
    if capped {
        total = total.min(host::number(config, "max_score").unwrap_or(100.0));
    }
    total
}

struct Score;

#[async_trait::async_trait]
impl FilterHandler<HostApi> for Score {
    async fn filter(&self, host: &HostApi, payload: Value) -> Result<FilterOutcome, String> {
        let config = host.config().await.map_err(|e| e.to_string())?;
        let mut submission: SubmitPayload =
            serde_json::from_value(payload).map_err(|e| e.to_string())?;
        let total = score(config, &submission, !host.version().starts_with("1.0."));
        let value = if total.fract() == 0.0 {
            Value::from(total as i64)
        } else {
            serde_json::Number::from_f64(total).map(Value::Number).unwrap_or(Value::Null)
        };
        submission.data.insert("score".into(), value);
        Ok(FilterOutcome::Continue(
            serde_json::to_value(submission).map_err(|e| e.to_string())?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn submission(answers: Value, source: Option<&str>) -> SubmitPayload {
        let mut data = Map::new();
        if let Some(s) = source {
            data.insert("utm_source".into(), json!(s));
        }
        SubmitPayload {
            form_id: "f".into(),
            answers: answers.as_object().unwrap().clone(),
            kinds: Default::default(),
            params: Map::new(),
            client_ip: None,
            data,
        }
    }

    #[test]
    fn points_add_up_per_answer_and_source_and_are_capped() {
        let config = json!({
            "answer_points": "budget = large: 30\nbudget = small: 5\ntopics = sales: 20\n# comment\n",
            "source_points": "newsletter: 10",
            "max_score": 50,
        });
        let config = config.as_object().unwrap();
        let s = submission(json!({"budget": "Large", "topics": ["sales", "support"]}), Some("newsletter"));
        assert_eq!(score(config, &s, false), 60.0);
        assert_eq!(score(config, &s, true), 50.0);
        assert_eq!(score(config, &submission(json!({"budget": "small"}), None), true), 5.0);
    }

    #[test]
    fn a_rule_that_cannot_be_read_is_named_by_its_line() {
        let err = rules("budget = large: 30\nbudget large 30", true).unwrap_err();
        assert!(err.starts_with("Line 2 (\"budget large 30\")"), "{err}");
        assert!(rules("newsletter: ten", false).is_err());
    }
}
