//! A JSON Logic rule engine (<https://jsonlogic.com>) for form routing.
//!
//! Rules are compiled once with [`Rule::compile`] and evaluated many times with
//! [`Rule::evaluate`]; [`apply`] does both in one call. The engine depends only on
//! `serde_json` and behaves like the reference implementation, json-logic-js 2.0.5,
//! including JavaScript's type coercions:
//!
//! - `==`/`!=` are JavaScript's loose equality (`1 == "1"`, `null == undefined`,
//!   `[1,2] == "1,2"`, `0 == false`, but `null != 0`); `===`/`!==` are strict. Arrays and
//!   objects are equal only when they are the same one (the same part of the data).
//! - `<`, `<=`, `>`, `>=` compare strings by UTF-16 code units when both sides are
//!   strings and numerically otherwise (`"10" > 9`; anything compared with NaN is false).
//!   `<` and `<=` take a third argument for "between" (`{"<": [1, x, 10]}`).
//! - Truthiness (`if`, `and`, `or`, `!`, `!!`, `filter`, `all`, …): `false`, `null`, `0`,
//!   NaN, `""` and `[]` are false; everything else, including `"0"` and `{}`, is true.
//!   [`truthy`] exposes it for JSON values.
//! - `+` and `*` convert with `parseFloat` (`"12abc"` → 12, `"abc"` → NaN); `-`, `/`, `%`,
//!   `min`, `max` with `Number()` (`"12abc"` → NaN, `""` → 0, `null` → 0). `{"+": "3"}`
//!   casts to a number, `{"-": x}` negates, `{"*": [x]}` returns `x` unchanged.
//! - `cat` writes numbers as JavaScript does (`1.0` → `"1"`, `0.5` → `"0.5"`, `1e21` →
//!   `"1e+21"`, `1e-7` → `"1e-7"`), `null` as `""` and arrays joined with commas. Strings
//!   become numbers exactly as in JavaScript (correctly rounded; `" 12 "` → 12, `"0x1F"` →
//!   31, `"1e"` → NaN), without the standard library's float parser and formatter, which
//!   would add to the wasm size.
//! - `substr` counts UTF-16 code units and takes a negative start or length.
//! - `var` takes a dotted path (`"a.b.0"`), numeric indexes into arrays and strings,
//!   `.length` of arrays and strings, a default (`{"var": ["a", 0]}`, used when the value
//!   is absent, not when it is null) and `""`/`null`/no argument for the whole data.
//! - `missing`, `missing_some`, `if`/`?:` (any number of branches), `and`, `or` (returning
//!   the deciding operand), `map`, `filter`, `reduce` (`current`, `accumulator`), `all`
//!   (false for an empty array), `none`, `some`, `merge`, `in` (substring or array
//!   membership with `===`), `log` (returns its argument, prints nothing).
//!
//! # Numbers that are not numbers
//! Evaluation keeps NaN and ±Infinity internally, as JavaScript does, so
//! `{"==": [{"+": "x"}, {"+": "x"}]}` is false. In the JSON result they become `null`,
//! exactly as `JSON.stringify` writes them; whole numbers come back as JSON integers
//! (`2.0` → `2`, `-0` → `0`).
//!
//! # Junction's own operations
//! - `{"starts_with": [s, prefix]}`, `{"ends_with": [s, suffix]}`: case-sensitive. Both
//!   sides must be strings or numbers (numbers are written as JavaScript does, so
//!   `{"starts_with": [49123, "49"]}` holds); anything else, including null, is false.
//!   An empty prefix or suffix matches every string.
//! - `{"iequals": [a, b]}`: case-insensitive equality (Unicode lower-casing) of the two
//!   values converted to strings as `String(x)` does (`7` → `"7"`, `true` → `"true"`).
//!   `null` and a missing value count as `""`: they equal `""` and each other, and never
//!   equal a non-empty string (not even `"null"`).
//! - `{"date_before": [a, b]}` (a < b), `{"date_after": [a, b]}` (a > b),
//!   `{"date_between": [x, lo, hi]}` (lo ≤ x ≤ hi, inclusive): ISO dates `YYYY-MM-DD`,
//!   optionally followed by `T` (or a space) and `HH:MM`, `HH:MM:SS` or
//!   `HH:MM:SS.fraction`, optionally followed by `Z` or an offset `±HH:MM`/`±HHMM`. Dates
//!   are compared as instants: a bare date is midnight, a time without an offset is UTC.
//!   Any argument that is not such a string (missing, null, a number, `"2024-02-30"`,
//!   `"24-1-5"`) makes the operation false.
//!
//! # Limits
//! [`Rule::compile`] rejects: unknown operators ([`RuleError::UnknownOperator`], with the
//! path of the operator in the rule such as `and[1].foo`); argument counts for which
//! json-logic-js throws or silently reads `undefined` ([`RuleError::WrongArity`], e.g.
//! `{"==": [1]}`, `{"*": []}`, `{"-": [5, 1, 1]}`, `{"missing_some": [1]}`); rules nested
//! more than [`MAX_DEPTH`] arrays/objects deep; more than [`MAX_NODES`] JSON values; arrays
//! longer than [`MAX_ARRAY_LEN`]. Evaluation never panics and always stops: every node
//! evaluated (so every iteration of `map`, `filter`, `reduce`, …), every array element
//! built, every array element or 64 string bytes converted for a comparison or
//! arithmetic, and every 16 bytes of string built costs one step; a rule that needs more
//! than [`DEFAULT_BUDGET`] steps fails with [`EvalError::BudgetExceeded`] (see
//! [`Rule::evaluate_with_budget`]). Arrays built during evaluation may nest at most 100
//! deep ([`EvalError::TooDeep`]).
//!
//! # Tracing
//! [`Rule::evaluate_traced`] also returns a [`TraceStep`] for every comparison, `in`,
//! `!`, `!!`, `and`, `or`, `some`/`all`/`none` and Junction operation evaluated, in the
//! order they started: its path in the rule (`or[0].and[1].==`), a short description
//! (`country == "DE"`), whether it held, the operand values it compared and its nesting.
//! Operations skipped by short circuits are absent. Tracing is slower; use
//! [`Rule::evaluate`] or [`Rule::matches`] for routing itself.
//!
//! # Performance
//! A rule of ten comparisons of `var`s with constants evaluates in about 250–280 ns (release
//! build, against a 12-answer object): values are borrowed from the data and the rule
//! rather than cloned, `var` paths are split when compiling, and conditions are evaluated
//! through a truth-only path.
//!
//! # Where it differs from json-logic-js
//! - Unknown operators are rejected when compiling, even in branches that would never run
//!   (json-logic-js only throws when it reaches them); so are the argument counts above.
//! - `var` only finds the data's own keys: JavaScript would also find inherited members
//!   such as `"toString"` or `"constructor"` (functions, which have no JSON form).
//! - `missing_some` and `missing` do not re-run their (already evaluated) arguments as
//!   logic, which json-logic-js does (and then usually throws "Unrecognized operation")
//!   when a key or the key list comes from the data as an object with exactly one key.
//! - Cutting a string inside a surrogate pair with `substr` or `var` gives U+FFFD where
//!   JavaScript would keep half of the pair.
//! - A result that JavaScript would give as `undefined` comes back as `null`.

mod compile;
pub(crate) mod custom;
mod eval;
mod value;

#[cfg(test)]
mod tests;

use compile::{Node, NodeInfo, Op, VarPath};
use eval::Evaluator;
use serde_json::Value;
use std::fmt;
use value::Val;

/// Most arrays and objects a rule may nest.
pub const MAX_DEPTH: usize = 64;
/// Most JSON values (operations, arguments, literals) a rule may have.
pub const MAX_NODES: usize = 10_000;
/// Longest array a rule may contain.
pub const MAX_ARRAY_LEN: usize = 10_000;
/// Work allowed for one evaluation by [`Rule::evaluate`], in steps.
pub const DEFAULT_BUDGET: u64 = 1_000_000;

/// Steps of work left for a whole task made of many evaluations (a submission's visibility
/// conditions, every route, its field checks). Each evaluation takes what it used; once
/// the budget is spent, further evaluations fail with [`EvalError::BudgetExceeded`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    left: u64,
    limit: u64,
}

impl Budget {
    pub fn new(steps: u64) -> Self {
        Budget {
            left: steps,
            limit: steps,
        }
    }

    pub fn left(&self) -> u64 {
        self.left
    }

    /// Takes `steps` for work done outside the rule engine (a field's check); fails when
    /// fewer are left.
    pub fn take(&mut self, steps: u64) -> Result<(), EvalError> {
        if steps > self.left {
            self.left = 0;
            return Err(EvalError::BudgetExceeded { limit: self.limit });
        }
        self.left -= steps;
        Ok(())
    }
}

/// A compiled JSON Logic rule. Cheap to evaluate many times, `Send + Sync`.
#[derive(Clone, Debug)]
pub struct Rule {
    root: Node,
    info: Vec<NodeInfo>,
}

/// One comparison or boolean operation met by [`Rule::evaluate_traced`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TraceStep {
    /// Where the operation is in the rule, like `and[1].==`.
    pub path: String,
    /// A short human description, like `country == "DE"`.
    pub description: String,
    /// Whether its result was truthy.
    pub held: bool,
    /// The operand values it compared (for comparisons, `in` and Junction's operations;
    /// empty for `and`, `or`, `!`, `!!`, `all`, `some`, `none`).
    pub operands: Vec<Value>,
    /// How many traced operations enclose it (for indenting).
    pub depth: usize,
}

/// Why a rule could not be compiled (or, from [`apply`], evaluated).
#[derive(Clone, Debug, PartialEq)]
pub enum RuleError {
    UnknownOperator {
        op: String,
        path: String,
    },
    WrongArity {
        op: String,
        path: String,
        expected: String,
        found: usize,
    },
    TooDeep {
        path: String,
        limit: usize,
    },
    TooManyNodes {
        limit: usize,
    },
    ArrayTooLarge {
        path: String,
        len: usize,
        limit: usize,
    },
    Eval(EvalError),
}

/// Why evaluating a compiled rule failed.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalError {
    /// The evaluation needed more steps than allowed.
    BudgetExceeded { limit: u64 },
    /// The evaluation built arrays nested deeper than allowed.
    TooDeep { limit: u32 },
    /// An operation got arguments it cannot work with (json-logic-js throws there).
    Invalid { path: String, message: String },
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleError::UnknownOperator { op, path } => {
                write!(f, "unknown operator \"{op}\" at {path}")
            }
            RuleError::WrongArity {
                op,
                path,
                expected,
                found,
            } => write!(
                f,
                "operator \"{op}\" at {path} takes {expected} argument{}, got {found}",
                if expected == "1" || expected.ends_with(" 1") {
                    ""
                } else {
                    "s"
                }
            ),
            RuleError::TooDeep { path, limit } => {
                write!(
                    f,
                    "rule is nested more than {limit} levels deep (at {path})"
                )
            }
            RuleError::TooManyNodes { limit } => write!(f, "rule has more than {limit} values"),
            RuleError::ArrayTooLarge { path, len, limit } => {
                write!(
                    f,
                    "array at {path} has {len} elements, more than the limit of {limit}"
                )
            }
            RuleError::Eval(e) => e.fmt(f),
        }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::BudgetExceeded { limit } => {
                write!(
                    f,
                    "rule evaluation was stopped after {limit} steps (too much work)"
                )
            }
            EvalError::TooDeep { limit } => {
                write!(
                    f,
                    "rule evaluation built arrays nested more than {limit} levels deep"
                )
            }
            EvalError::Invalid { path, message } => write!(f, "{message} (at {path})"),
        }
    }
}

impl std::error::Error for RuleError {}
impl std::error::Error for EvalError {}

impl From<EvalError> for RuleError {
    fn from(e: EvalError) -> Self {
        RuleError::Eval(e)
    }
}

impl Rule {
    /// Validates a JSON Logic rule and compiles it. Any JSON value is a rule: values
    /// without operations evaluate to themselves.
    pub fn compile(rule: &Value) -> Result<Rule, RuleError> {
        let c = compile::compile(rule)?;
        Ok(Rule {
            root: c.root,
            info: c.info,
        })
    }

    /// Evaluates the rule against `data` within [`DEFAULT_BUDGET`] steps.
    pub fn evaluate(&self, data: &Value) -> Result<Value, EvalError> {
        self.evaluate_with_budget(data, DEFAULT_BUDGET)
    }

    /// Evaluates the rule against `data`, failing after `max_steps` steps of work.
    pub fn evaluate_with_budget(&self, data: &Value, max_steps: u64) -> Result<Value, EvalError> {
        let mut ev = Evaluator::new(&self.info, max_steps, false);
        ev.eval(&self.root, &Val::from_value(data))
            .map(|v| v.to_value())
            .map_err(|f| ev.error(f))
    }

    /// Evaluates the rule and tells whether the result is truthy (see [`truthy`]),
    /// without building the JSON result.
    pub fn matches(&self, data: &Value) -> Result<bool, EvalError> {
        self.matches_within(data, &mut Budget::new(DEFAULT_BUDGET))
    }

    /// Like [`Rule::matches`], taking the steps from `budget` (and at most what is left).
    pub fn matches_within(&self, data: &Value, budget: &mut Budget) -> Result<bool, EvalError> {
        let mut ev = Evaluator::new(&self.info, budget.left, false);
        let result = ev
            .test(&self.root, &Val::from_value(data))
            .map_err(|f| ev.error(f));
        budget.left = budget.left.saturating_sub(ev.steps_taken());
        match result {
            Err(EvalError::BudgetExceeded { .. }) => {
                budget.left = 0;
                Err(EvalError::BudgetExceeded {
                    limit: budget.limit,
                })
            }
            other => other,
        }
    }

    /// Evaluates like [`Rule::evaluate`] and also reports every comparison and boolean
    /// operation evaluated, in the order they started (operations skipped by short
    /// circuits are absent). Even when evaluation fails, the steps up to the failure are
    /// returned.
    pub fn evaluate_traced(&self, data: &Value) -> (Result<Value, EvalError>, Vec<TraceStep>) {
        let mut ev = Evaluator::new(&self.info, DEFAULT_BUDGET, true);
        let result = ev
            .eval(&self.root, &Val::from_value(data))
            .map(|v| v.to_value())
            .map_err(|f| ev.error(f));
        (result, ev.trace.take().unwrap_or_default())
    }

    /// The constant `var` paths the rule reads from the data (not those inside the
    /// per-element logic of `map`, `filter`, `reduce`, `all`, `some` and `none`), in the
    /// order they first appear, without duplicates. `""` stands for the whole data.
    pub fn variables(&self) -> Vec<String> {
        fn add(out: &mut Vec<String>, segs: &[compile::Seg]) {
            let path = segs.iter().map(|s| &*s.name).collect::<Vec<_>>().join(".");
            if !out.contains(&path) {
                out.push(path);
            }
        }
        fn walk(node: &Node, out: &mut Vec<String>) {
            match node {
                Node::Array(items) => items.iter().for_each(|n| walk(n, out)),
                Node::Path(segs) => add(out, segs),
                Node::Var(v) => {
                    match &v.path {
                        VarPath::Whole => add(out, &[]),
                        VarPath::Static(segs) => add(out, segs),
                        VarPath::Dynamic(n) => walk(n, out),
                    }
                    if let Some(d) = &v.default {
                        walk(d, out);
                    }
                }
                Node::Op(op) => {
                    let scoped = matches!(
                        op.op,
                        Op::Map | Op::Filter | Op::Reduce | Op::All | Op::Some | Op::None
                    );
                    for (i, arg) in op.args.iter().enumerate() {
                        if !(scoped && i == 1) {
                            walk(arg, out);
                        }
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }
}

/// Compiles and evaluates `rule` against `data` in one go.
pub fn apply(rule: &Value, data: &Value) -> Result<Value, RuleError> {
    Ok(Rule::compile(rule)?.evaluate(data)?)
}

/// JSON Logic truthiness: `false`, `null`, `0`, `""` and `[]` are false, everything else
/// (including `"0"` and `{}`) is true.
pub fn truthy(value: &Value) -> bool {
    value::value_truthy(value)
}
