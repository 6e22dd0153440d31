//! `junction logic eval`: JSON Logic over JSON Lines, for debugging rules and for
//! conformance and throughput runs. One output line per input line, in order; memory stays
//! flat however long the input is.

use std::io::{self, BufRead, Write};

use app::rules::Rule;
use serde_json::{Value, json};

/// Evaluates each line of `input`: `{"rule", "data"}` objects, or (with `rule`) bare data
/// objects. Errors in a line are reported on its output line; only I/O errors end the run.
pub fn eval_lines(input: impl BufRead, output: impl Write, rule: Option<&Rule>) -> io::Result<()> {
    let mut output = io::BufWriter::with_capacity(64 * 1024, output);
    for line in input.lines() {
        let line = line?;
        let answer = eval_line(&line, rule);
        serde_json::to_writer(&mut output, &answer)?;
        output.write_all(b"\n")?;
    }
    output.flush()
}

fn eval_line(line: &str, rule: Option<&Rule>) -> Value {
    let parsed: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({"error": format!("the line is not JSON: {e}")}),
    };
    let result = match rule {
        Some(rule) => rule.evaluate(&parsed).map_err(|e| e.to_string()),
        None => {
            let Some(object) = parsed.as_object() else {
                return json!({"error": "expected an object with \"rule\" and \"data\""});
            };
            let Some(rule) = object.get("rule") else {
                return json!({"error": "the object has no \"rule\""});
            };
            let data = object.get("data").unwrap_or(&Value::Null);
            Rule::compile(rule)
                .map_err(|e| e.to_string())
                .and_then(|r| r.evaluate(data).map_err(|e| e.to_string()))
        }
    };
    match result {
        Ok(value) => json!({"result": value}),
        Err(message) => json!({"error": message}),
    }
}

/// Reads and compiles the rule for `--rule FILE`.
pub fn load_rule(path: &std::path::Path) -> Result<Rule, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    Rule::compile(&value).map_err(|e| format!("the rule in {} is invalid: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str, rule: Option<&Rule>) -> Vec<Value> {
        let mut out = Vec::new();
        eval_lines(input.as_bytes(), &mut out, rule).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn one_answer_per_line_in_order() {
        let out = run(
            "{\"rule\": {\"+\": [1, {\"var\": \"x\"}]}, \"data\": {\"x\": 2}, \"note\": \"ignored\"}\nnot json\n{\"rule\": {\"nope\": []}}\n[1]\n{\"data\": {}}\n",
            None,
        );
        assert_eq!(out[0], json!({"result": 3}));
        assert!(
            out[1]["error"]
                .as_str()
                .unwrap()
                .starts_with("the line is not JSON")
        );
        assert!(
            out[2]["error"]
                .as_str()
                .unwrap()
                .contains("unknown operator")
        );
        assert!(out[3]["error"].is_string());
        assert_eq!(out[4], json!({"error": "the object has no \"rule\""}));
        assert_eq!(out.len(), 5);
    }

    #[test]
    fn a_compiled_rule_applies_to_each_data_line() {
        let rule = Rule::compile(&json!({">=": [{"var": "size"}, 500]})).unwrap();
        assert_eq!(
            run("{\"size\": 900}\n{\"size\": 1}\n{}\n", Some(&rule)),
            [
                json!({"result": true}),
                json!({"result": false}),
                json!({"result": false})
            ]
        );
    }
}
