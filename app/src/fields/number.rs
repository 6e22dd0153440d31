//! Number: a decimal or whole number with optional bounds and step.

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;

pub struct Number;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct NumberConfig {
    #[garde(skip)]
    pub min: Option<f64>,
    #[garde(skip)]
    pub max: Option<f64>,
    #[garde(inner(range(min = 0.000_001)))]
    pub step: Option<f64>,
    #[garde(skip)]
    pub integer_only: bool,
}

/// Stores whole numbers as JSON integers, others as floats.
fn number_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

fn show(x: f64) -> String {
    number_value(x).to_string()
}

impl FieldType for Number {
    type Config = NumberConfig;

    const PLACEHOLDER: bool = true;

    const META: FieldMeta = FieldMeta {
        kind: "number",
        name: "Number",
        icon: "#",
        doc: FieldDoc {
            what: "A number, such as a team size or a budget.",
            stored: "A JSON number (whole numbers without a decimal point).",
            validation: "Optional minimum, maximum and step; can require a whole number.",
            example: "250",
        },
    };

    fn family(&self) -> Option<Family> {
        Some(Family::Number)
    }

    fn parse(&self, value: &Value, config: &NumberConfig) -> Result<Value, String> {
        let x = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|x| x.is_finite())
        .ok_or("Enter a number.")?;
        if config.integer_only && x.fract() != 0.0 {
            return Err("Enter a whole number.".into());
        }
        if let Some(min) = config.min.filter(|&min| x < min) {
            return Err(format!("Enter {} or more.", show(min)));
        }
        if let Some(max) = config.max.filter(|&max| x > max) {
            return Err(format!("Enter {} or less.", show(max)));
        }
        if let Some(step) = config.step {
            let steps = (x - config.min.unwrap_or(0.0)) / step;
            if (steps - steps.round()).abs() > 1e-9 {
                return Err(format!("Enter a multiple of {}.", show(step)));
            }
        }
        Ok(number_value(x))
    }

    fn check(&self, config: &NumberConfig) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        for (key, v) in [
            ("min", config.min),
            ("max", config.max),
            ("step", config.step),
        ] {
            if v.is_some_and(|v| !v.is_finite()) {
                errors.push((key.to_owned(), "must be a finite number".to_owned()));
            }
        }
        if let (Some(min), Some(max)) = (config.min, config.max)
            && min > max
        {
            errors.push((
                "min".into(),
                format!("must not exceed the maximum ({})", show(max)),
            ));
        }
        errors
    }

    fn config_props(&self) -> &'static [ConfigProp] {
        &[
            ConfigProp {
                key: "min",
                label: "Minimum",
                kind: PropKind::Number,
            },
            ConfigProp {
                key: "max",
                label: "Maximum",
                kind: PropKind::Number,
            },
            ConfigProp {
                key: "step",
                label: "Step",
                kind: PropKind::Number,
            },
            ConfigProp {
                key: "integer_only",
                label: "Whole numbers only",
                kind: PropKind::Bool,
            },
        ]
    }

    fn input(&self, ctx: InputCtx, config: &NumberConfig) -> AnyView {
        let mut extra = vec![(
            "inputmode",
            if config.integer_only {
                "numeric"
            } else {
                "decimal"
            }
            .to_owned(),
        )];
        if let Some(min) = config.min {
            extra.push(("min", show(min)));
        }
        if let Some(max) = config.max {
            extra.push(("max", show(max)));
        }
        let step = config.step.map(show).unwrap_or_else(|| {
            if config.integer_only {
                "1".into()
            } else {
                "any".into()
            }
        });
        extra.push(("step", step));
        text_input_with(ctx, "number", extra)
    }

    fn fixtures(&self) -> Fixtures {
        Fixtures {
            config: json!({"min": 1, "max": 1000, "step": 0.5}),
            valid: vec![
                (json!("12"), json!(12)),
                (json!(2.5), json!(2.5)),
                (json!(" 1000 "), json!(1000)),
            ],
            invalid: vec![
                json!("0"),
                json!("1001"),
                json!("1.25"),
                json!("ten"),
                json!("NaN"),
                json!(true),
            ],
        }
    }
}
