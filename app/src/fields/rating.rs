//! Rating: a whole number from 1 to 5 (or to 10), picked from a row of buttons. The type
//! comes with the Rating field app: the builder offers it, and respondents are asked it,
//! only while that app runs for the form's owner.

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;

pub struct Rating;

/// The scales a rating may use: its highest point, as the builder's setting stores it.
pub const SCALES: &[(&str, &str)] = &[("5", "1 to 5"), ("10", "1 to 10")];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct RatingConfig {
    #[garde(custom(valid_scale))]
    pub scale: String,
}

fn valid_scale(value: &str, _: &()) -> garde::Result {
    if SCALES.iter().any(|(s, _)| *s == value) {
        Ok(())
    } else {
        Err(garde::Error::new("must be 5 or 10"))
    }
}

impl Default for RatingConfig {
    fn default() -> Self {
        RatingConfig { scale: "5".into() }
    }
}

impl RatingConfig {
    /// The highest point of the scale.
    pub fn top(&self) -> i64 {
        self.scale.parse().unwrap_or(5)
    }
}

impl FieldType for Rating {
    type Config = RatingConfig;

    const META: FieldMeta = FieldMeta {
        kind: "rating",
        name: "Rating",
        icon: "★",
        doc: FieldDoc {
            what: "A score from 1 to 5 (or 1 to 10), such as how likely someone is to recommend you.",
            stored: "A JSON whole number.",
            validation: "A whole number from 1 to the top of the scale.",
            example: "4",
        },
    };

    const APP: Option<&'static str> = Some("rating-field");

    fn family(&self) -> Option<Family> {
        Some(Family::Number)
    }

    fn chart(&self) -> Chart {
        Chart::Options
    }

    fn choices(&self, config: &RatingConfig) -> Vec<(String, String)> {
        (1..=config.top()).map(|n| (n.to_string(), n.to_string())).collect()
    }

    fn parse(&self, value: &Value, config: &RatingConfig) -> Result<Value, String> {
        let top = config.top();
        let n = match value {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|x| x.fract() == 0.0).map(|x| x as i64)),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if (1..=top).contains(&n) => Ok(json!(n)),
            _ => Err(format!("Pick a rating from 1 to {top}.")),
        }
    }

    fn config_props(&self) -> &'static [ConfigProp] {
        &[ConfigProp {
            key: "scale",
            label: "Scale",
            kind: PropKind::Choice(SCALES),
        }]
    }

    fn labelled_by_renderer(&self) -> bool {
        false
    }

    fn input(&self, ctx: InputCtx, config: &RatingConfig) -> AnyView {
        let InputCtx {
            html_id,
            name,
            label,
            required,
            value,
            invalid,
            described_by,
            disabled,
            ..
        } = ctx;
        let top = config.top();
        let points = (1..=top)
            .map(|n| {
                let id = format!("{html_id}-{n}");
                let label_for = id.clone();
                let point = n.to_string();
                let current = point.clone();
                view! {
                    <label class="rating-point" for=label_for>
                        <input
                            type="radio"
                            id=id
                            name=name.clone()
                            value=point.clone()
                            required=required
                            disabled=disabled
                            checked=display_value(&value.get_untracked()) == point
                            prop:checked=move || display_value(&value.get()) == current
                            on:change=move |_| value.set(json!(n))
                        />
                        <span aria-hidden="true">{n}</span>
                        <span class="visually-hidden">{format!("{n} of {top}")}</span>
                    </label>
                }
            })
            .collect_view();
        let scale = view! { <div class="rating-scale">{points}</div> }.into_any();
        choices_fieldset(html_id, label, required, invalid, described_by, scale)
    }

    fn fixtures(&self) -> Fixtures {
        Fixtures {
            config: json!({"scale": "10"}),
            valid: vec![(json!("7"), json!(7)), (json!(10), json!(10)), (json!(1.0), json!(1))],
            invalid: vec![json!("0"), json!(11), json!("4.5"), json!("great"), json!(true)],
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{AnswerType, DynFieldType};
    use super::Rating;

    #[test]
    fn the_default_scale_is_one_to_five() {
        let config = Rating.default_config();
        assert_eq!(Rating.normalize(&json!("5"), &config, true), Some(json!(5)));
        assert_eq!(Rating.validate(&json!("6"), &config, true), ["Pick a rating from 1 to 5."]);
        assert!(Rating.check_config(&json!({"scale": "7"})).is_err());
    }
}
