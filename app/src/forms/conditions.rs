//! The visual condition builder's model: nested All / Any / None groups of conditions with
//! operators chosen by field type. It compiles to JSON Logic ([`Group::to_logic`]), and
//! reads back exactly what it wrote ([`Group::from_logic`]), so a rule can move between the
//! visual and the advanced (JSON) editor. Rules it did not write stay in the advanced editor.
//! Plain Rust: the builder runs it in the browser, the tests run it natively.

use serde_json::{Map, Value, json};

use super::{Field, FormDefinition};

/// Most levels of nested groups the builder shows.
pub const MAX_DEPTH: usize = 6;

/// A field as a condition can refer to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub identifier: String,
    pub label: String,
    pub kind: String,
    /// `(value, label)` of a select, radio group or multi-select.
    pub options: Vec<(String, String)>,
}

impl Subject {
    pub fn from_field(field: &Field) -> Option<Subject> {
        let family = Family::of(&field.kind)?;
        let options = match family {
            Family::Choice | Family::Multi => field.choices(),
            _ => Vec::new(),
        };
        Some(Subject {
            identifier: field.identifier.clone(),
            label: if field.label.trim().is_empty() {
                field.identifier.clone()
            } else {
                field.label.clone()
            },
            kind: field.kind.clone(),
            options,
        })
    }

    /// The live fields a route's rule can test.
    pub fn all_of(def: &FormDefinition) -> Vec<Subject> {
        def.live_fields().filter_map(Subject::from_field).collect()
    }

    /// The live fields before `index`: what a field's display condition can test.
    pub fn before(def: &FormDefinition, index: usize) -> Vec<Subject> {
        def.fields
            .iter()
            .take(index)
            .filter(|f| !f.deleted && f.field_type().is_some())
            .filter_map(Subject::from_field)
            .collect()
    }

    pub fn family(&self) -> Family {
        Family::of(&self.kind).unwrap_or(Family::Text)
    }
}

pub use crate::fields::Family;

impl Family {
    /// The family of the type registered as `kind`; `None` for types no condition can test
    /// (file uploads) and for unknown kinds.
    pub fn of(kind: &str) -> Option<Family> {
        crate::fields::lookup(kind).and_then(|t| t.family())
    }

    pub fn operators(self) -> &'static [Op] {
        use Op::*;
        match self {
            Family::Text => &[
                Equals,
                NotEquals,
                Contains,
                NotContains,
                StartsWith,
                EndsWith,
                IsEmpty,
                IsNotEmpty,
            ],
            Family::Number => &[
                Equals, NotEquals, Less, LessEq, Greater, GreaterEq, Between, NotBetween,
            ],
            Family::Choice => &[Equals, NotEquals, AnyOf, NoneOf],
            Family::Multi => &[ContainsAll, ContainsAny, ContainsNone, Exactly],
            Family::Checkbox => &[Checked, NotChecked],
            Family::Date => &[Before, After, DateBetween],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equals,
    NotEquals,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
    IsEmpty,
    IsNotEmpty,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    Between,
    NotBetween,
    AnyOf,
    NoneOf,
    ContainsAll,
    ContainsAny,
    ContainsNone,
    Exactly,
    Checked,
    NotChecked,
    Before,
    After,
    DateBetween,
}

/// What an operator compares the answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operand {
    Nothing,
    One,
    Two,
    Many,
}

impl Op {
    pub fn key(self) -> &'static str {
        use Op::*;
        match self {
            Equals => "equals",
            NotEquals => "not_equals",
            Contains => "contains",
            NotContains => "not_contains",
            StartsWith => "starts_with",
            EndsWith => "ends_with",
            IsEmpty => "is_empty",
            IsNotEmpty => "is_not_empty",
            Less => "less",
            LessEq => "less_eq",
            Greater => "greater",
            GreaterEq => "greater_eq",
            Between => "between",
            NotBetween => "not_between",
            AnyOf => "any_of",
            NoneOf => "none_of",
            ContainsAll => "contains_all",
            ContainsAny => "contains_any",
            ContainsNone => "contains_none",
            Exactly => "exactly",
            Checked => "checked",
            NotChecked => "not_checked",
            Before => "before",
            After => "after",
            DateBetween => "date_between",
        }
    }

    pub fn from_key(key: &str) -> Option<Op> {
        ALL_OPS.iter().copied().find(|op| op.key() == key)
    }

    /// The words shown in the builder; some depend on the field type.
    pub fn label(self, family: Family) -> &'static str {
        use Op::*;
        match (self, family) {
            (Equals, Family::Number) => "=",
            (NotEquals, Family::Number) => "≠",
            (Equals, Family::Choice) => "is",
            (NotEquals, Family::Choice) => "is not",
            (Equals, _) => "equals",
            (NotEquals, _) => "does not equal",
            (Contains, _) => "contains",
            (NotContains, _) => "does not contain",
            (StartsWith, _) => "starts with",
            (EndsWith, _) => "ends with",
            (IsEmpty, _) => "is empty",
            (IsNotEmpty, _) => "is not empty",
            (Less, _) => "<",
            (LessEq, _) => "≤",
            (Greater, _) => ">",
            (GreaterEq, _) => "≥",
            (Between, _) | (DateBetween, _) => "is between",
            (NotBetween, _) => "is not between",
            (AnyOf, _) => "is any of",
            (NoneOf, _) => "is none of",
            (ContainsAll, _) => "contains all of",
            (ContainsAny, _) => "contains any of",
            (ContainsNone, _) => "contains none of",
            (Exactly, _) => "is exactly",
            (Checked, _) => "is checked",
            (NotChecked, _) => "is not checked",
            (Before, _) => "is before",
            (After, _) => "is after",
        }
    }

    pub fn operand(self) -> Operand {
        use Op::*;
        match self {
            IsEmpty | IsNotEmpty | Checked | NotChecked => Operand::Nothing,
            Between | NotBetween | DateBetween => Operand::Two,
            AnyOf | NoneOf | ContainsAll | ContainsAny | ContainsNone | Exactly => Operand::Many,
            _ => Operand::One,
        }
    }
}

const ALL_OPS: &[Op] = {
    use Op::*;
    &[
        Equals,
        NotEquals,
        Contains,
        NotContains,
        StartsWith,
        EndsWith,
        IsEmpty,
        IsNotEmpty,
        Less,
        LessEq,
        Greater,
        GreaterEq,
        Between,
        NotBetween,
        AnyOf,
        NoneOf,
        ContainsAll,
        ContainsAny,
        ContainsNone,
        Exactly,
        Checked,
        NotChecked,
        Before,
        After,
        DateBetween,
    ]
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Combinator {
    #[default]
    All,
    Any,
    None,
}

impl Combinator {
    pub const EVERY: [Combinator; 3] = [Combinator::All, Combinator::Any, Combinator::None];

    pub fn key(self) -> &'static str {
        match self {
            Combinator::All => "all",
            Combinator::Any => "any",
            Combinator::None => "none",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Combinator::All => "All of these hold",
            Combinator::Any => "Any of these holds",
            Combinator::None => "None of these holds",
        }
    }

    pub fn from_key(key: &str) -> Combinator {
        Combinator::EVERY
            .into_iter()
            .find(|c| c.key() == key)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Group {
    pub combinator: Combinator,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Condition(Condition),
    Group(Group),
}

/// One test of one answer. `values` holds what the operator compares with, as typed
/// (one, two or many strings); numbers are converted when the rule is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: String,
    pub op: Op,
    pub values: Vec<String>,
}

impl Condition {
    /// A fresh condition on `subject` with its type's first operator.
    pub fn on(subject: &Subject) -> Condition {
        let op = subject.family().operators()[0];
        let mut c = Condition {
            field: subject.identifier.clone(),
            op,
            values: Vec::new(),
        };
        c.fit(subject);
        c
    }

    /// After the field or operator changed: keeps an operator the field's type offers and
    /// as many values as the operator takes.
    pub fn fit(&mut self, subject: &Subject) {
        let family = subject.family();
        if !family.operators().contains(&self.op) {
            self.op = family.operators()[0];
            self.values.clear();
        }
        match self.op.operand() {
            Operand::Nothing => self.values.clear(),
            Operand::One => self.values.resize(1, String::new()),
            Operand::Two => self.values.resize(2, String::new()),
            Operand::Many => self
                .values
                .retain(|v| subject.options.iter().any(|(o, _)| o == v)),
        }
        if self.op.operand() == Operand::One
            && family == Family::Choice
            && self.values[0].is_empty()
            && let Some((first, _)) = subject.options.first()
        {
            self.values[0] = first.clone();
        }
    }

    fn to_logic(&self, family: Family) -> Value {
        use Op::*;
        let var = json!({ "var": self.field });
        let scalar = |i: usize| -> Value {
            let text = self.values.get(i).cloned().unwrap_or_default();
            if family == Family::Number
                && let Some(n) = number(&text)
            {
                return n;
            }
            Value::String(text)
        };
        let list = || Value::Array(self.values.iter().cloned().map(Value::String).collect());
        let member = || json!({ "in": [{ "var": "" }, list()] });
        match self.op {
            Equals => json!({ "==": [var, scalar(0)] }),
            NotEquals => json!({ "!=": [var, scalar(0)] }),
            Contains => json!({ "in": [scalar(0), var] }),
            NotContains => json!({ "!": [{ "in": [scalar(0), var] }] }),
            StartsWith => json!({ "starts_with": [var, scalar(0)] }),
            EndsWith => json!({ "ends_with": [var, scalar(0)] }),
            IsEmpty | NotChecked => json!({ "!": [var] }),
            IsNotEmpty => json!({ "!!": [var] }),
            Less => json!({ "<": [var, scalar(0)] }),
            LessEq => json!({ "<=": [var, scalar(0)] }),
            Greater => json!({ ">": [var, scalar(0)] }),
            GreaterEq => json!({ ">=": [var, scalar(0)] }),
            Between => json!({ "<=": [scalar(0), var, scalar(1)] }),
            NotBetween => json!({ "!": [{ "<=": [scalar(0), var, scalar(1)] }] }),
            AnyOf => json!({ "in": [var, list()] }),
            NoneOf => json!({ "!": [{ "in": [var, list()] }] }),
            ContainsAny => json!({ "some": [var, member()] }),
            ContainsNone => json!({ "none": [var, member()] }),
            // Answers hold each option at most once, so "all of n" is "n of them".
            ContainsAll => json!({ "==": [count_members(&var, list()), self.values.len()] }),
            Exactly => json!({ "and": [
                { "==": [count_members(&var, list()), self.values.len()] },
                { "==": [{ "var": format!("{}.length", self.field) }, self.values.len()] },
            ] }),
            Checked => json!({ "==": [var, true] }),
            Before => json!({ "date_before": [var, scalar(0)] }),
            After => json!({ "date_after": [var, scalar(0)] }),
            DateBetween => json!({ "date_between": [var, scalar(0), scalar(1)] }),
        }
    }
}

fn count_members(var: &Value, list: Value) -> Value {
    json!({ "reduce": [
        { "filter": [var, { "in": [{ "var": "" }, list] }] },
        { "+": [{ "var": "accumulator" }, 1] },
        0,
    ] })
}

fn number(text: &str) -> Option<Value> {
    let n: f64 = text.trim().parse().ok()?;
    if !n.is_finite() {
        return None;
    }
    if n.fract() == 0.0 && n.abs() < 9e15 {
        Some(Value::from(n as i64))
    } else {
        serde_json::Number::from_f64(n).map(Value::Number)
    }
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Group {
    pub fn is_empty(&self) -> bool {
        self.children.iter().all(|c| match c {
            Node::Group(g) => g.is_empty(),
            Node::Condition(_) => false,
        })
    }

    /// The JSON Logic for this group; `None` when it tests nothing (an empty rule).
    /// Empty nested groups are left out. Conditions on fields `subjects` does not know are
    /// written as they are (the rule check then names the missing field).
    pub fn to_logic(&self, subjects: &[Subject]) -> Option<Value> {
        let parts: Vec<Value> = self
            .children
            .iter()
            .filter_map(|child| match child {
                Node::Group(g) => g.to_logic(subjects),
                Node::Condition(c) => {
                    let family = subjects
                        .iter()
                        .find(|s| s.identifier == c.field)
                        .map(Subject::family)
                        .unwrap_or(Family::Text);
                    Some(c.to_logic(family))
                }
            })
            .collect();
        if parts.is_empty() {
            return None;
        }
        Some(match self.combinator {
            Combinator::All => json!({ "and": parts }),
            Combinator::Any => json!({ "or": parts }),
            Combinator::None => json!({ "!": [{ "or": parts }] }),
        })
    }

    /// Reads a rule this builder wrote back into groups. `None` when the rule has another
    /// shape or tests a field `subjects` does not hold; the advanced editor shows it then.
    /// An empty rule (`{}` or null) is an empty All group.
    pub fn from_logic(rule: &Value, subjects: &[Subject]) -> Option<Group> {
        if rule.is_null() || rule.as_object().is_some_and(Map::is_empty) {
            return Some(Group::default());
        }
        let group = parse_group(rule, subjects, 0)?;
        // Only what writes back identically is read: no silent rewriting of a rule.
        (group.to_logic(subjects).as_ref() == Some(rule)).then_some(group)
    }
}

fn single<'v>(rule: &'v Value, op: &str) -> Option<&'v Vec<Value>> {
    let obj = rule.as_object()?;
    if obj.len() != 1 {
        return None;
    }
    obj.get(op)?.as_array()
}

fn parse_group(rule: &Value, subjects: &[Subject], depth: usize) -> Option<Group> {
    if depth >= MAX_DEPTH {
        return None;
    }
    let (combinator, parts) = if let Some(parts) = single(rule, "and") {
        (Combinator::All, parts)
    } else if let Some(parts) = single(rule, "or") {
        (Combinator::Any, parts)
    } else {
        let inner = single(rule, "!")?;
        let [inner] = inner.as_slice() else {
            return None;
        };
        (Combinator::None, single(inner, "or")?)
    };
    let children = parts
        .iter()
        .map(|part| {
            parse_condition(part, subjects)
                .map(Node::Condition)
                .or_else(|| parse_group(part, subjects, depth + 1).map(Node::Group))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Group {
        combinator,
        children,
    })
}

/// Tries every operator of the field the rule names; the one that writes `rule` back wins.
fn parse_condition(rule: &Value, subjects: &[Subject]) -> Option<Condition> {
    let field = first_var(rule)?;
    let subject = subjects.iter().find(|s| s.identifier == field)?;
    let family = subject.family();
    let (scalars, list) = operands(rule);
    family.operators().iter().find_map(|&op| {
        let values = match op.operand() {
            Operand::Nothing => Vec::new(),
            Operand::One => scalars.iter().take(1).cloned().collect(),
            Operand::Two => scalars.iter().take(2).cloned().collect(),
            Operand::Many => list.clone().unwrap_or_default(),
        };
        let candidate = Condition {
            field: field.clone(),
            op,
            values,
        };
        (candidate.to_logic(family) == *rule).then_some(candidate)
    })
}

/// The first `{"var": "name"}` in a rule (depth first) that names a field.
fn first_var(rule: &Value) -> Option<String> {
    match rule {
        Value::Object(obj) => {
            if let Some(Value::String(name)) = obj.get("var")
                && !name.is_empty()
                && obj.len() == 1
            {
                return Some(name.split('.').next().unwrap_or(name).to_owned());
            }
            obj.values().find_map(first_var)
        }
        Value::Array(items) => items.iter().find_map(first_var),
        _ => None,
    }
}

/// The literal values in a condition, in the order the builder writes them: the strings
/// and numbers outside `var`, and the members of the first literal list of strings.
fn operands(rule: &Value) -> (Vec<String>, Option<Vec<String>>) {
    fn walk(v: &Value, scalars: &mut Vec<String>, list: &mut Option<Vec<String>>) {
        match v {
            Value::Object(obj) if obj.contains_key("var") => {}
            Value::Object(obj) => obj.values().for_each(|v| walk(v, scalars, list)),
            // An operator's arguments are an array too; a literal list is one of strings
            // inside an argument position, such as `{"in": [{"var": …}, ["a", "b"]]}`.
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Array(inner) if inner.iter().all(Value::is_string) => {
                            list.get_or_insert_with(|| {
                                inner.iter().filter_map(value_text).collect()
                            });
                        }
                        other => walk(other, scalars, list),
                    }
                }
            }
            other => scalars.extend(value_text(other)),
        }
    }
    let (mut scalars, mut list) = (Vec::new(), None);
    walk(rule, &mut scalars, &mut list);
    (scalars, list)
}

/// Edits on the tree by path: `path` lists child indexes from the root to a group.
pub fn group_at_mut<'g>(root: &'g mut Group, path: &[usize]) -> Option<&'g mut Group> {
    path.iter()
        .try_fold(root, |g, &i| match g.children.get_mut(i) {
            Some(Node::Group(inner)) => Some(inner),
            _ => None,
        })
}

pub fn group_at<'g>(root: &'g Group, path: &[usize]) -> Option<&'g Group> {
    path.iter().try_fold(root, |g, &i| match g.children.get(i) {
        Some(Node::Group(inner)) => Some(inner),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rule;

    fn subjects() -> Vec<Subject> {
        let opts = |xs: &[&str]| {
            xs.iter()
                .map(|x| (x.to_string(), x.to_uppercase()))
                .collect()
        };
        let s = |id: &str, kind: &str, options| Subject {
            identifier: id.into(),
            label: id.into(),
            kind: kind.into(),
            options,
        };
        vec![
            s("email", "email", vec![]),
            s("size", "number", vec![]),
            s("country", "select", opts(&["de", "us", "fr"])),
            s("topics", "multiselect", opts(&["a", "b", "c"])),
            s("agree", "checkbox", vec![]),
            s("day", "date", vec![]),
        ]
    }

    fn cond(field: &str, op: Op, values: &[&str]) -> Node {
        Node::Condition(Condition {
            field: field.into(),
            op,
            values: values.iter().map(|v| v.to_string()).collect(),
        })
    }

    fn eval(group: &Group, data: Value) -> bool {
        let logic = group.to_logic(&subjects()).unwrap_or(json!({}));
        let rule = Rule::compile(&logic).unwrap();
        rule.matches(&data).unwrap()
    }

    fn one(node: Node) -> Group {
        Group {
            combinator: Combinator::All,
            children: vec![node],
        }
    }

    #[test]
    fn every_operator_round_trips_and_compiles() {
        let subjects = subjects();
        for s in &subjects {
            for &op in s.family().operators() {
                let values: &[&str] = match (op.operand(), s.family()) {
                    (Operand::Nothing, _) => &[],
                    (Operand::One, Family::Number) => &["5"],
                    (Operand::One, Family::Date) => &["2026-01-01"],
                    (Operand::One, Family::Choice) => &["de"],
                    (Operand::One, _) => &["x@y"],
                    (Operand::Two, Family::Date) => &["2026-01-01", "2026-02-01"],
                    (Operand::Two, _) => &["1", "2.5"],
                    (Operand::Many, Family::Choice) => &["de", "fr"],
                    (Operand::Many, _) => &["a", "c"],
                };
                let group = one(cond(&s.identifier, op, values));
                let logic = group.to_logic(&subjects).unwrap();
                Rule::compile(&logic).unwrap_or_else(|e| panic!("{op:?}: {e}"));
                assert_eq!(
                    Group::from_logic(&logic, &subjects),
                    Some(group),
                    "{op:?} on {}",
                    s.kind
                );
            }
        }
    }

    #[test]
    fn nested_groups_round_trip() {
        let group = Group {
            combinator: Combinator::Any,
            children: vec![
                cond("size", Op::GreaterEq, &["500"]),
                Node::Group(Group {
                    combinator: Combinator::None,
                    children: vec![
                        cond("country", Op::AnyOf, &["de", "fr"]),
                        Node::Group(Group {
                            combinator: Combinator::All,
                            children: vec![cond("email", Op::EndsWith, &["@acme.com"])],
                        }),
                    ],
                }),
            ],
        };
        let logic = group.to_logic(&subjects()).unwrap();
        assert_eq!(Group::from_logic(&logic, &subjects()), Some(group));
    }

    #[test]
    fn operators_mean_what_they_say() {
        let c = |f, op, v: &[&str]| one(cond(f, op, v));
        assert!(eval(
            &c("email", Op::Contains, &["acme"]),
            json!({"email": "x@acme.com"})
        ));
        assert!(!eval(
            &c("email", Op::NotContains, &["acme"]),
            json!({"email": "x@acme.com"})
        ));
        assert!(eval(&c("email", Op::IsEmpty, &[]), json!({})));
        assert!(eval(
            &c("email", Op::IsNotEmpty, &[]),
            json!({"email": "a@b.c"})
        ));
        assert!(eval(
            &c("size", Op::Between, &["10", "20"]),
            json!({"size": 20})
        ));
        assert!(eval(
            &c("size", Op::NotBetween, &["10", "20"]),
            json!({"size": 21})
        ));
        assert!(eval(&c("size", Op::Equals, &["7"]), json!({"size": 7})));
        assert!(eval(
            &c("country", Op::NoneOf, &["de"]),
            json!({"country": "us"})
        ));
        assert!(!eval(
            &c("country", Op::NoneOf, &["de"]),
            json!({"country": "de"})
        ));
        let topics = |v: Value| json!({ "topics": v });
        let all = c("topics", Op::ContainsAll, &["a", "c"]);
        assert!(eval(&all, topics(json!(["a", "b", "c"]))));
        assert!(!eval(&all, topics(json!(["a", "b"]))));
        assert!(!eval(&all, json!({})));
        let exactly = c("topics", Op::Exactly, &["a", "c"]);
        assert!(eval(&exactly, topics(json!(["a", "c"]))));
        assert!(!eval(&exactly, topics(json!(["a", "b", "c"]))));
        let any = c("topics", Op::ContainsAny, &["b", "c"]);
        assert!(eval(&any, topics(json!(["c"]))));
        assert!(!eval(&any, topics(json!(["a"]))));
        let none = c("topics", Op::ContainsNone, &["b"]);
        assert!(eval(&none, topics(json!(["a"]))));
        assert!(eval(&none, json!({})));
        assert!(!eval(&none, topics(json!(["b"]))));
        assert!(eval(&c("agree", Op::Checked, &[]), json!({"agree": true})));
        assert!(eval(&c("agree", Op::NotChecked, &[]), json!({})));
        let between = c("day", Op::DateBetween, &["2026-01-01", "2026-01-31"]);
        assert!(eval(&between, json!({"day": "2026-01-31"})));
        assert!(!eval(&between, json!({"day": "2026-02-01"})));
        assert!(eval(
            &c("day", Op::Before, &["2026-01-01"]),
            json!({"day": "2025-12-31"})
        ));
    }

    #[test]
    fn combinators_and_empty_groups() {
        let any = Group {
            combinator: Combinator::None,
            children: vec![
                cond("size", Op::Greater, &["10"]),
                Node::Group(Group::default()),
                cond("country", Op::Equals, &["de"]),
            ],
        };
        assert!(eval(&any, json!({"size": 5, "country": "us"})));
        assert!(!eval(&any, json!({"size": 50, "country": "us"})));
        assert_eq!(Group::default().to_logic(&subjects()), None);
        let only_empty = one(Node::Group(Group::default()));
        assert!(only_empty.is_empty());
        assert_eq!(only_empty.to_logic(&subjects()), None);
        assert_eq!(
            Group::from_logic(&json!({}), &subjects()),
            Some(Group::default())
        );
    }

    #[test]
    fn foreign_rules_stay_in_the_advanced_editor() {
        for rule in [
            json!({"==": [{"var": "email"}, "x"]}),
            json!({"and": [{"==": [{"var": "nobody"}, "x"]}]}),
            json!({"and": [{"in": ["x", {"var": "country"}]}]}),
            json!({"and": [{"==": [{"var": "email"}, "x"], "!": [true]}]}),
            json!({"and": [{"cat": ["a", {"var": "email"}]}]}),
        ] {
            assert_eq!(Group::from_logic(&rule, &subjects()), None, "{rule}");
        }
    }

    #[test]
    fn fitting_a_condition_to_a_new_field() {
        let subjects = subjects();
        let mut c = Condition::on(&subjects[0]);
        assert_eq!((c.op, c.values.len()), (Op::Equals, 1));
        c.field = "country".into();
        c.fit(&subjects[2]);
        assert_eq!(
            (c.op, c.values.clone()),
            (Op::Equals, vec!["de".to_owned()])
        );
        c.field = "topics".into();
        c.fit(&subjects[3]);
        assert_eq!((c.op, c.values.len()), (Op::ContainsAll, 0));
        c.op = Op::ContainsAny;
        c.values = vec!["a".into(), "zzz".into()];
        c.fit(&subjects[3]);
        assert_eq!(c.values, vec!["a".to_owned()]);
    }

    /// Random trees of every operator, nested up to four levels, read back as written,
    /// also after a trip through JSON text (what the browser sends the server).
    #[test]
    fn random_trees_round_trip() {
        let subjects = subjects();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        fn tree(subjects: &[Subject], depth: usize, next: &mut dyn FnMut(usize) -> usize) -> Group {
            let children = (0..1 + next(3))
                .map(|_| {
                    if depth < 3 && next(3) == 0 {
                        return Node::Group(tree(subjects, depth + 1, next));
                    }
                    let s = &subjects[next(subjects.len())];
                    let ops = s.family().operators();
                    let op = ops[next(ops.len())];
                    let values = match op.operand() {
                        Operand::Nothing => vec![],
                        Operand::One if s.family() == Family::Number => {
                            vec![format!("{}", next(1000))]
                        }
                        Operand::One if s.family() == Family::Choice => {
                            vec![s.options[next(3)].0.clone()]
                        }
                        Operand::One => vec![format!("v{}", next(50))],
                        Operand::Two => vec![format!("{}", next(10)), format!("{}", 10 + next(10))],
                        Operand::Many => s
                            .options
                            .iter()
                            .filter(|_| next(2) == 0)
                            .map(|o| o.0.clone())
                            .collect(),
                    };
                    Node::Condition(Condition {
                        field: s.identifier.clone(),
                        op,
                        values,
                    })
                })
                .collect();
            let combinator = Combinator::EVERY[next(3)];
            Group {
                combinator,
                children,
            }
        }
        for _ in 0..500 {
            let group = tree(&subjects, 0, &mut next);
            let logic = group.to_logic(&subjects).unwrap();
            let text = serde_json::to_string(&logic).unwrap();
            let back: Value = serde_json::from_str(&text).unwrap();
            Rule::compile(&back).unwrap();
            assert_eq!(
                Group::from_logic(&back, &subjects).as_ref(),
                Some(&group),
                "{text}"
            );
        }
    }
}
