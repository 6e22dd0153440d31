//! Date: a calendar day, optionally within bounds.

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;

pub struct Date;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct DateConfig {
    /// Earliest allowed day, `YYYY-MM-DD`.
    #[garde(skip)]
    pub min: Option<String>,
    /// Latest allowed day, `YYYY-MM-DD`.
    #[garde(skip)]
    pub max: Option<String>,
}

/// Whether `text` is a real calendar day written `YYYY-MM-DD`.
pub fn is_iso_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        text.get(r)
            .filter(|s| s.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|s| s.parse::<u32>().ok())
    };
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day) && year >= 1
}

impl FieldType for Date {
    type Config = DateConfig;

    const META: FieldMeta = FieldMeta {
        kind: "date",
        name: "Date",
        icon: "📅",
        doc: FieldDoc {
            what: "A calendar day.",
            stored: "The day as \"YYYY-MM-DD\".",
            validation: "Must be a real day; optional earliest and latest day.",
            example: "\"2026-05-01\"",
        },
    };

    fn family(&self) -> Option<Family> {
        Some(Family::Date)
    }

    fn parse(&self, value: &Value, config: &DateConfig) -> Result<Value, String> {
        let text = as_text(value).ok_or("Enter a date.")?;
        let text = text.trim();
        if !is_iso_date(text) {
            return Err("Enter a date as YYYY-MM-DD.".into());
        }
        // ISO days compare correctly as strings.
        if let Some(min) = config.min.as_deref().filter(|m| text < *m) {
            return Err(format!("Choose {min} or later."));
        }
        if let Some(max) = config.max.as_deref().filter(|m| text > *m) {
            return Err(format!("Choose {max} or earlier."));
        }
        Ok(Value::String(text.to_owned()))
    }

    fn check(&self, config: &DateConfig) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        for (key, v) in [("min", &config.min), ("max", &config.max)] {
            if v.as_deref().is_some_and(|d| !is_iso_date(d)) {
                errors.push((key.to_owned(), "must be a date as YYYY-MM-DD".to_owned()));
            }
        }
        if let (Some(min), Some(max)) = (&config.min, &config.max)
            && errors.is_empty()
            && min > max
        {
            errors.push((
                "min".into(),
                format!("must not be after the latest day ({max})"),
            ));
        }
        errors
    }

    fn config_props(&self) -> &'static [ConfigProp] {
        &[
            ConfigProp {
                key: "min",
                label: "Earliest day (YYYY-MM-DD)",
                kind: PropKind::Text,
            },
            ConfigProp {
                key: "max",
                label: "Latest day (YYYY-MM-DD)",
                kind: PropKind::Text,
            },
        ]
    }

    fn input(&self, ctx: InputCtx, config: &DateConfig) -> AnyView {
        let mut extra = Vec::new();
        if let Some(min) = &config.min {
            extra.push(("min", min.clone()));
        }
        if let Some(max) = &config.max {
            extra.push(("max", max.clone()));
        }
        text_input_with(ctx, "date", extra)
    }

    fn fixtures(&self) -> Fixtures {
        Fixtures {
            config: json!({"min": "2026-01-01", "max": "2026-12-31"}),
            valid: vec![
                (json!("2026-02-28"), json!("2026-02-28")),
                (json!(" 2026-12-31 "), json!("2026-12-31")),
            ],
            invalid: vec![
                json!("2026-02-29"),
                json!("2025-12-31"),
                json!("2027-01-01"),
                json!("01/02/2026"),
                json!("2026-13-01"),
            ],
        }
    }
}
