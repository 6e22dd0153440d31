//! A form's insights: submissions per day, hits per route (the fallback included) and how
//! often each option of a choice field was picked. [`Tally`] takes responses one at a time,
//! so the server can feed it batch by batch without holding every response.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{FormDefinition, LinkedRoutes, ResponseRecord};
use crate::dates::iso_date;
use crate::fields::Chart;

/// One bar: what it counts and how many.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    pub label: String,
    pub count: i64,
}

/// How the answers to one choice field spread over its options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    pub label: String,
    pub identifier: String,
    /// Responses that answered the field (for a checkbox: every response).
    pub answered: i64,
    pub bars: Vec<Bar>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Insights {
    /// Responses in the period.
    pub total: i64,
    /// Every day of the period, oldest first, as `YYYY-MM-DD`, with its submissions.
    pub per_day: Vec<Bar>,
    /// The routes in order, then the fallback, then routes deleted since.
    pub per_route: Vec<Bar>,
    pub fields: Vec<Distribution>,
    /// How responses spread over what apps attached to them (a campaign's source), one
    /// distribution per key asked for with [`Tally::break_down`].
    #[serde(default)]
    pub attribution: Vec<Distribution>,
}

/// The most values a breakdown names; the rest are summed as "Other".
const BREAKDOWN_BARS: usize = 20;

/// Responses counted by the value an app attached under one key of their `data`.
struct Breakdown {
    key: String,
    label: String,
    /// Shown even when no response in the period carries the key.
    keep_empty: bool,
    counts: HashMap<String, i64>,
    answered: i64,
}

struct Choice {
    label: String,
    identifier: String,
    field_id: String,
    checkbox: bool,
    /// `(value, label)` of the options, in order.
    options: Vec<(String, String)>,
    counts: HashMap<String, i64>,
    answered: i64,
}

/// Counts responses submitted on the `days` days ending with `today` (a Unix day number).
pub struct Tally {
    first_day: i64,
    per_day: Vec<i64>,
    per_route: HashMap<Option<String>, i64>,
    choices: Vec<Choice>,
    breakdowns: Vec<Breakdown>,
    total: i64,
}

impl Tally {
    pub fn new(def: &FormDefinition, today: i64, days: i64) -> Tally {
        let days = days.max(1);
        let choices = def
            .live_fields()
            .filter_map(|f| Some((f, f.field_type()?.chart())))
            .filter(|(_, chart)| *chart != Chart::None)
            .map(|(f, chart)| Choice {
                label: f.label.clone(),
                identifier: f.identifier.clone(),
                field_id: f.id.clone(),
                checkbox: chart == Chart::Ticked,
                options: f.choices(),
                counts: HashMap::new(),
                answered: 0,
            })
            .collect();
        Tally {
            first_day: today - days + 1,
            per_day: vec![0; days as usize],
            per_route: HashMap::new(),
            choices,
            breakdowns: Vec::new(),
            total: 0,
        }
    }

    /// Also counts responses by the text apps attached under `key` of their data (such as
    /// `utm_source`), shown as `label`; with `keep_empty`, even if no response has one.
    pub fn break_down(&mut self, key: &str, label: &str, keep_empty: bool) {
        self.breakdowns.push(Breakdown {
            key: key.to_owned(),
            label: label.to_owned(),
            keep_empty,
            counts: HashMap::new(),
            answered: 0,
        });
    }

    /// The first moment (Unix seconds) the period covers.
    pub fn since(&self) -> i64 {
        self.first_day * 86_400
    }

    /// Whether responses need their answers read (only for the choice fields).
    pub fn wants_answers(&self) -> bool {
        !self.choices.is_empty()
    }

    pub fn add(&mut self, response: &ResponseRecord) {
        let day = response.created_at.div_euclid(86_400) - self.first_day;
        let Some(slot) = usize::try_from(day)
            .ok()
            .and_then(|d| self.per_day.get_mut(d))
        else {
            return;
        };
        *slot += 1;
        self.total += 1;
        *self.per_route.entry(response.route_id.clone()).or_default() += 1;
        for breakdown in &mut self.breakdowns {
            let value = match response.data.get(&breakdown.key) {
                Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
                Some(Value::Number(n)) => n.to_string(),
                _ => continue,
            };
            breakdown.answered += 1;
            *breakdown.counts.entry(value).or_default() += 1;
        }
        for choice in &mut self.choices {
            let value = response.answers.get(&choice.field_id).map(|a| &a.value);
            let picked: Vec<String> = match value {
                Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
                Some(Value::Number(n)) => vec![n.to_string()],
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                Some(Value::Bool(true)) => vec!["true".into()],
                _ => Vec::new(),
            };
            if choice.checkbox || !picked.is_empty() {
                choice.answered += 1;
            }
            for p in picked {
                *choice.counts.entry(p).or_default() += 1;
            }
        }
    }

    /// `linked` names the routes this form reuses (see `FormDefinition::route_label`).
    pub fn finish(self, def: &FormDefinition, linked: &LinkedRoutes) -> Insights {
        let per_day = self
            .per_day
            .iter()
            .enumerate()
            .map(|(i, &count)| Bar {
                label: iso_date((self.first_day + i as i64) * 86_400),
                count,
            })
            .collect();
        let mut routes = self.per_route;
        // Each route in order; a route that reuses another form's routes counts each of them.
        let ids = def.routes.iter().flat_map(|r| match &r.use_routes_of {
            None => vec![r.id.clone()],
            Some(form) => linked
                .get(form)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter(|o| o.use_routes_of.is_none())
                .map(|o| format!("{}/{}", r.id, o.id))
                .collect(),
        });
        let mut per_route: Vec<Bar> = ids
            .map(|id| Bar {
                label: def.route_label(Some(&id), linked),
                count: routes.remove(&Some(id)).unwrap_or(0),
            })
            .collect();
        per_route.push(Bar {
            label: "Fallback".into(),
            count: routes.remove(&None).unwrap_or(0),
        });
        let removed: i64 = routes.values().sum();
        if removed > 0 {
            per_route.push(Bar {
                label: "Routes deleted since".into(),
                count: removed,
            });
        }
        let fields = self
            .choices
            .into_iter()
            .map(|mut c| {
                let bars = if c.checkbox {
                    let checked = c.counts.remove("true").unwrap_or(0);
                    vec![
                        Bar {
                            label: "Checked".into(),
                            count: checked,
                        },
                        Bar {
                            label: "Not checked".into(),
                            count: c.answered - checked,
                        },
                    ]
                } else {
                    let mut bars: Vec<Bar> = c
                        .options
                        .iter()
                        .map(|(value, label)| Bar {
                            label: label.clone(),
                            count: c.counts.remove(value).unwrap_or(0),
                        })
                        .collect();
                    // Options removed since, by their stored value.
                    let mut rest: Vec<(String, i64)> = c.counts.into_iter().collect();
                    rest.sort();
                    bars.extend(rest.into_iter().map(|(value, count)| Bar {
                        label: format!("{value} (removed option)"),
                        count,
                    }));
                    bars
                };
                Distribution {
                    label: c.label,
                    identifier: c.identifier,
                    answered: c.answered,
                    bars,
                }
            })
            .collect();
        let total = self.total;
        let attribution = self
            .breakdowns
            .into_iter()
            .filter(|b| b.keep_empty || b.answered > 0)
            .map(|b| {
                let mut counted: Vec<(String, i64)> = b.counts.into_iter().collect();
                // Most frequent first; ties by value, so the order is stable.
                counted.sort_by(|(a, x), (b, y)| y.cmp(x).then_with(|| a.cmp(b)));
                let other: i64 = counted.iter().skip(BREAKDOWN_BARS).map(|(_, n)| n).sum();
                counted.truncate(BREAKDOWN_BARS);
                let mut bars: Vec<Bar> = counted
                    .into_iter()
                    .map(|(label, count)| Bar { label, count })
                    .collect();
                if other > 0 {
                    bars.push(Bar { label: "Other".into(), count: other });
                }
                bars.push(Bar { label: "Not recorded".into(), count: total - b.answered });
                Distribution {
                    label: b.label,
                    identifier: b.key,
                    answered: b.answered,
                    bars,
                }
            })
            .collect();
        Insights {
            total,
            per_day,
            per_route,
            fields,
            attribution,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::forms::answers::StoredAnswer;

    fn def() -> FormDefinition {
        serde_json::from_value(json!({
            "name": "Insights",
            "fields": [
                {"id": "f1", "identifier": "plan", "label": "Plan", "type": "radio",
                 "config": {"options": [{"value": "free", "label": "Free"}, {"value": "pro", "label": "Pro"}]}},
                {"id": "f2", "identifier": "topics", "label": "Topics", "type": "multiselect",
                 "config": {"options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]}},
                {"id": "f3", "identifier": "agree", "label": "Agree", "type": "checkbox"},
                {"id": "f4", "identifier": "name", "label": "Name", "type": "short_text"}
            ],
            "routes": [{"id": "r1", "name": "Pro", "action": {"type": "message", "value": "x"}}]
        }))
        .unwrap()
    }

    fn response(day: i64, route: Option<&str>, answers: &[(&str, Value)]) -> ResponseRecord {
        ResponseRecord {
            data: Default::default(),
            id: String::new(),
            answers: answers
                .iter()
                .map(|(id, v)| {
                    let answer = StoredAnswer {
                        identifier: String::new(),
                        label: String::new(),
                        kind: String::new(),
                        value: v.clone(),
                        shown: None,
                    };
                    (id.to_string(), answer)
                })
                .collect::<BTreeMap<_, _>>(),
            route_id: route.map(str::to_owned),
            created_at: day * 86_400 + 3_600,
        }
    }

    #[test]
    fn breaks_responses_down_by_what_apps_attached() {
        let def = def();
        let today = 20_000;
        let mut tally = Tally::new(&def, today, 1);
        tally.break_down("utm_source", "Source", false);
        tally.break_down("utm_medium", "Medium", false);
        tally.break_down("utm_campaign", "Campaign", true);
        for source in ["newsletter", "ads", "newsletter", " "] {
            let mut r = response(today, None, &[]);
            r.data.insert("utm_source".into(), json!(source));
            tally.add(&r);
        }
        tally.add(&response(today, None, &[]));
        let insights = tally.finish(&def, &LinkedRoutes::new());
        let bars = |d: &Distribution| d.bars.iter().map(|b| (b.label.clone(), b.count)).collect::<Vec<_>>();
        // No response has a medium, so it is left out; the campaign is kept when empty.
        let [source, campaign] = insights.attribution.as_slice() else {
            panic!("source and campaign: {:?}", insights.attribution)
        };
        assert_eq!((source.label.as_str(), source.answered), ("Source", 3));
        assert_eq!(
            bars(source),
            [("newsletter".into(), 2), ("ads".into(), 1), ("Not recorded".into(), 2)]
        );
        assert_eq!(bars(campaign), [("Not recorded".into(), 5)]);
    }

    #[test]
    fn a_breakdown_names_its_twenty_most_frequent_values() {
        let def = def();
        let mut tally = Tally::new(&def, 20_000, 1);
        tally.break_down("utm_source", "Source", false);
        for i in 0..25 {
            for _ in 0..(30 - i) {
                let mut r = response(20_000, None, &[]);
                r.data.insert("utm_source".into(), json!(format!("s{i:02}")));
                tally.add(&r);
            }
        }
        let insights = tally.finish(&def, &LinkedRoutes::new());
        let bars = &insights.attribution[0].bars;
        assert_eq!(bars.len(), 22, "twenty values, Other and Not recorded");
        assert_eq!((bars[0].label.as_str(), bars[0].count), ("s00", 30));
        assert_eq!((bars[20].label.as_str(), bars[20].count), ("Other", 10 + 9 + 8 + 7 + 6));
    }

    #[test]
    fn counts_days_routes_and_options() {
        let def = def();
        let today = 20_000;
        let mut tally = Tally::new(&def, today, 3);
        assert_eq!(tally.since(), 19_998 * 86_400);
        tally.add(&response(
            today,
            Some("r1"),
            &[
                ("f1", json!("pro")),
                ("f2", json!(["a", "b"])),
                ("f3", json!(true)),
            ],
        ));
        tally.add(&response(
            today,
            None,
            &[("f1", json!("gone")), ("f2", json!(["b"]))],
        ));
        tally.add(&response(today - 2, Some("deleted"), &[]));
        tally.add(&response(today - 3, None, &[("f1", json!("pro"))])); // before the period
        let insights = tally.finish(&def, &LinkedRoutes::new());
        assert_eq!(insights.total, 3);
        let counts = |bars: &[Bar]| {
            bars.iter()
                .map(|b| (b.label.clone(), b.count))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            counts(&insights.per_day),
            [
                ("2024-10-02".into(), 1),
                ("2024-10-03".into(), 0),
                ("2024-10-04".into(), 2)
            ]
        );
        assert_eq!(
            counts(&insights.per_route),
            [
                ("Pro".into(), 1),
                ("Fallback".into(), 1),
                ("Routes deleted since".into(), 1)
            ]
        );
        let [plan, topics, agree] = insights.fields.as_slice() else {
            panic!("three choice fields")
        };
        assert_eq!(
            counts(&plan.bars),
            [
                ("Free".into(), 0),
                ("Pro".into(), 1),
                ("gone (removed option)".into(), 1)
            ]
        );
        assert_eq!(plan.answered, 2);
        assert_eq!(counts(&topics.bars), [("A".into(), 1), ("B".into(), 2)]);
        assert_eq!(
            counts(&agree.bars),
            [("Checked".into(), 1), ("Not checked".into(), 2)]
        );
    }
}
