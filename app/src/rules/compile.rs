//! Turning a JSON rule into the tree that [`super::Rule`] evaluates: operators resolved
//! to an enum, arities checked, `var` paths split once, constant arrays and objects kept
//! as borrowed literals, and the size limits enforced.

use super::value::{array_index, number_string};
use super::{MAX_ARRAY_LEN, MAX_DEPTH, MAX_NODES, RuleError};
use serde_json::Value;
use std::fmt::Write as _;

#[derive(Clone, Debug)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    /// An array without logic inside, or an object that is not an operation.
    Lit(Box<Value>),
    /// An array with logic inside: evaluated element by element into a new array.
    Array(Box<[Node]>),
    /// `{"var": "a.b"}`: a constant path without a default (the common case).
    Path(Box<[Seg]>),
    Var(Box<VarNode>),
    Op(Box<OpNode>),
}

impl Node {
    fn is_boolean(&self) -> bool {
        match self {
            Node::Bool(_) => true,
            Node::Op(n) => n.boolean,
            _ => false,
        }
    }

    fn is_const(&self) -> bool {
        matches!(
            self,
            Node::Null | Node::Bool(_) | Node::Num(_) | Node::Str(_) | Node::Lit(_)
        )
    }
}

#[derive(Clone, Debug)]
pub(crate) struct VarNode {
    pub path: VarPath,
    pub default: Option<Node>,
}

#[derive(Clone, Debug)]
pub(crate) enum VarPath {
    /// `{"var": ""}`, `{"var": null}`, `{"var": []}`: the whole data.
    Whole,
    /// A constant path, split at the dots.
    Static(Box<[Seg]>),
    /// A path computed by logic.
    Dynamic(Node),
}

#[derive(Clone, Debug)]
pub(crate) struct Seg {
    pub name: Box<str>,
    /// The segment as an array index, when it is one.
    pub index: Option<usize>,
}

impl Seg {
    pub fn new(name: &str) -> Self {
        Seg {
            name: name.into(),
            index: array_index(name),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct OpNode {
    pub op: Op,
    /// Index into the rule's node table (path and description).
    pub id: u32,
    /// Always evaluates to `true` or `false` (comparisons, and `and`/`or`/`if` made only
    /// of such): evaluated through the faster truth-only path.
    pub boolean: bool,
    pub args: Box<[Node]>,
}

#[derive(Clone, Debug)]
pub(crate) struct NodeInfo {
    pub path: Box<str>,
    pub description: Option<Box<str>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    If,
    Eq,
    StrictEq,
    Ne,
    StrictNe,
    Not,
    NotNot,
    And,
    Or,
    Gt,
    Ge,
    Lt,
    Le,
    Min,
    Max,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Map,
    Filter,
    Reduce,
    All,
    None,
    Some,
    Merge,
    In,
    Cat,
    Substr,
    Log,
    Var,
    Missing,
    MissingSome,
    StartsWith,
    EndsWith,
    IEquals,
    DateBefore,
    DateAfter,
    DateBetween,
}

const MANY: usize = usize::MAX;

impl Op {
    fn from_name(name: &str) -> Option<Op> {
        Some(match name {
            "if" | "?:" => Op::If,
            "==" => Op::Eq,
            "===" => Op::StrictEq,
            "!=" => Op::Ne,
            "!==" => Op::StrictNe,
            "!" => Op::Not,
            "!!" => Op::NotNot,
            "and" => Op::And,
            "or" => Op::Or,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "<" => Op::Lt,
            "<=" => Op::Le,
            "min" => Op::Min,
            "max" => Op::Max,
            "+" => Op::Add,
            "-" => Op::Sub,
            "*" => Op::Mul,
            "/" => Op::Div,
            "%" => Op::Mod,
            "map" => Op::Map,
            "filter" => Op::Filter,
            "reduce" => Op::Reduce,
            "all" => Op::All,
            "none" => Op::None,
            "some" => Op::Some,
            "merge" => Op::Merge,
            "in" => Op::In,
            "cat" => Op::Cat,
            "substr" => Op::Substr,
            "log" => Op::Log,
            "var" => Op::Var,
            "missing" => Op::Missing,
            "missing_some" => Op::MissingSome,
            "starts_with" => Op::StartsWith,
            "ends_with" => Op::EndsWith,
            "iequals" => Op::IEquals,
            "date_before" => Op::DateBefore,
            "date_after" => Op::DateAfter,
            "date_between" => Op::DateBetween,
            _ => return None,
        })
    }

    /// Allowed argument counts. Outside them json-logic-js throws or silently works on
    /// `undefined` (e.g. `{"==":[1]}`, `{"*":[]}`, `{"-":[5,1,1]}` ignoring the last 1).
    fn arity(self) -> (usize, usize) {
        match self {
            Op::If | Op::Merge | Op::Cat | Op::Missing | Op::Add => (0, MANY),
            Op::And | Op::Or | Op::Min | Op::Max | Op::Mul => (1, MANY),
            Op::Not | Op::NotNot | Op::Log => (1, 1),
            Op::Sub => (1, 2),
            Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Gt | Op::Ge => (2, 2),
            Op::Div | Op::Mod | Op::In | Op::MissingSome => (2, 2),
            Op::Lt | Op::Le => (2, 3),
            Op::Map | Op::Filter | Op::All | Op::None | Op::Some => (2, 2),
            Op::Reduce => (2, 3),
            Op::Substr => (1, 3),
            Op::Var => (0, 2),
            Op::StartsWith | Op::EndsWith | Op::IEquals | Op::DateBefore | Op::DateAfter => (2, 2),
            Op::DateBetween => (3, 3),
        }
    }

    /// Comparison and boolean operations, which the traced evaluation reports.
    pub fn traced(self) -> bool {
        matches!(
            self,
            Op::Eq
                | Op::StrictEq
                | Op::Ne
                | Op::StrictNe
                | Op::Not
                | Op::NotNot
                | Op::And
                | Op::Or
                | Op::Gt
                | Op::Ge
                | Op::Lt
                | Op::Le
                | Op::In
                | Op::All
                | Op::None
                | Op::Some
                | Op::StartsWith
                | Op::EndsWith
                | Op::IEquals
                | Op::DateBefore
                | Op::DateAfter
                | Op::DateBetween
        )
    }
}

pub(crate) struct Compiled {
    pub root: Node,
    pub info: Vec<NodeInfo>,
}

pub(crate) fn compile(rule: &Value) -> Result<Compiled, RuleError> {
    let mut c = Compiler {
        nodes: 0,
        info: Vec::new(),
        path: String::new(),
    };
    let root = c.node(rule, 0)?;
    Ok(Compiled { root, info: c.info })
}

struct Compiler {
    nodes: usize,
    info: Vec<NodeInfo>,
    /// JSON path of the value being compiled, like `and[1].==`.
    path: String,
}

impl Compiler {
    fn path(&self) -> String {
        if self.path.is_empty() {
            "(root)".to_owned()
        } else {
            self.path.clone()
        }
    }

    fn count(&mut self) -> Result<(), RuleError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(RuleError::TooManyNodes { limit: MAX_NODES });
        }
        Ok(())
    }

    /// Entering an array or object at container depth `depth`.
    fn container(&self, depth: usize, len: Option<usize>) -> Result<(), RuleError> {
        if depth > MAX_DEPTH {
            return Err(RuleError::TooDeep {
                path: self.path(),
                limit: MAX_DEPTH,
            });
        }
        match len {
            Some(len) if len > MAX_ARRAY_LEN => Err(RuleError::ArrayTooLarge {
                path: self.path(),
                len,
                limit: MAX_ARRAY_LEN,
            }),
            _ => Ok(()),
        }
    }

    /// `depth` is the number of arrays and objects around `v`.
    fn node(&mut self, v: &Value, depth: usize) -> Result<Node, RuleError> {
        self.count()?;
        Ok(match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Node::Str(s.clone()),
            Value::Array(items) => {
                self.container(depth + 1, Some(items.len()))?;
                let mut nodes = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let len = self.path.len();
                    let _ = write!(self.path, "[{i}]");
                    nodes.push(self.node(item, depth + 1)?);
                    self.path.truncate(len);
                }
                if nodes.iter().all(Node::is_const) {
                    Node::Lit(Box::new(v.clone()))
                } else {
                    Node::Array(nodes.into())
                }
            }
            Value::Object(m) => {
                self.container(depth + 1, None)?;
                match m.iter().next() {
                    Some((name, args)) if m.len() == 1 => self.op(name, args, v, depth + 1)?,
                    _ => {
                        // Not an operation: json-logic-js returns such objects untouched.
                        for (key, item) in m {
                            let len = self.path.len();
                            let _ = write!(self.path, ".{key}");
                            self.literal(item, depth + 1)?;
                            self.path.truncate(len);
                        }
                        Node::Lit(Box::new(v.clone()))
                    }
                }
            }
        })
    }

    /// Checks the limits inside an object literal, which is never evaluated.
    fn literal(&mut self, v: &Value, depth: usize) -> Result<(), RuleError> {
        self.count()?;
        match v {
            Value::Array(items) => {
                self.container(depth + 1, Some(items.len()))?;
                for (i, item) in items.iter().enumerate() {
                    let len = self.path.len();
                    let _ = write!(self.path, "[{i}]");
                    self.literal(item, depth + 1)?;
                    self.path.truncate(len);
                }
            }
            Value::Object(m) => {
                self.container(depth + 1, None)?;
                for (key, item) in m {
                    let len = self.path.len();
                    let _ = write!(self.path, ".{key}");
                    self.literal(item, depth + 1)?;
                    self.path.truncate(len);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn op(
        &mut self,
        name: &str,
        raw: &Value,
        whole: &Value,
        depth: usize,
    ) -> Result<Node, RuleError> {
        let base = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(name);
        let Some(op) = Op::from_name(name) else {
            return Err(RuleError::UnknownOperator {
                op: name.to_owned(),
                path: self.path.clone(),
            });
        };
        // `{"var": "x"}` is short for `{"var": ["x"]}`.
        let (args, in_array) = match raw {
            Value::Array(a) => (a.as_slice(), true),
            other => (std::slice::from_ref(other), false),
        };
        let (min, max) = op.arity();
        if args.len() < min || args.len() > max {
            let expected = match (min, max) {
                (a, b) if a == b => format!("{a}"),
                (a, MANY) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            return Err(RuleError::WrongArity {
                op: name.to_owned(),
                path: self.path.clone(),
                expected,
                found: args.len(),
            });
        }
        let arg_depth = if in_array {
            self.count()?;
            self.container(depth + 1, Some(args.len()))?;
            depth + 1
        } else {
            depth
        };
        let id = self.info.len() as u32;
        self.info.push(NodeInfo {
            path: self.path.as_str().into(),
            description: op.traced().then(|| describe(whole).into()),
        });
        let mut nodes = Vec::with_capacity(args.len());
        for (i, arg) in args.iter().enumerate() {
            let len = self.path.len();
            if in_array {
                let _ = write!(self.path, "[{i}]");
            }
            // The arguments array itself was counted above; a bare argument is counted here.
            nodes.push(self.node(arg, arg_depth)?);
            self.path.truncate(len);
        }
        self.path.truncate(base);
        if op == Op::Var {
            let mut it = nodes.into_iter();
            let first = it.next();
            let default = it.next();
            let path = match first {
                None | Some(Node::Null) => VarPath::Whole,
                Some(Node::Str(s)) if s.is_empty() => VarPath::Whole,
                Some(Node::Str(s)) => VarPath::Static(s.split('.').map(Seg::new).collect()),
                Some(Node::Num(x)) => {
                    VarPath::Static(number_string(x).split('.').map(Seg::new).collect())
                }
                Some(Node::Bool(b)) => {
                    VarPath::Static(Box::new([Seg::new(if b { "true" } else { "false" })]))
                }
                Some(other) => VarPath::Dynamic(other),
            };
            return Ok(match (path, default) {
                (VarPath::Static(segs), None) => Node::Path(segs),
                (path, default) => Node::Var(Box::new(VarNode { path, default })),
            });
        }
        let boolean = match op {
            Op::And | Op::Or => !nodes.is_empty() && nodes.iter().all(Node::is_boolean),
            // Only with an else branch: without one, `if` may give null.
            Op::If => {
                nodes.len() % 2 == 1
                    && nodes
                        .iter()
                        .enumerate()
                        .all(|(i, n)| (i % 2 == 0 && i + 1 < nodes.len()) || n.is_boolean())
            }
            Op::Not | Op::NotNot | Op::In | Op::All | Op::None | Op::Some => true,
            _ => op.traced(),
        };
        Ok(Node::Op(Box::new(OpNode {
            op,
            id,
            boolean,
            args: nodes.into(),
        })))
    }
}

// ---------------------------------------------------------------------------------------
// Short human descriptions for the trace, e.g. `country == "DE"`.

const DESCRIPTION_LIMIT: usize = 100;

pub(crate) fn describe(v: &Value) -> String {
    let mut out = String::new();
    write_desc(v, &mut out, 0);
    if out.len() > DESCRIPTION_LIMIT {
        let mut cut = DESCRIPTION_LIMIT;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// Infix operators and their precedence (higher binds tighter).
fn infix(op: &str) -> Option<(&'static str, u8)> {
    Some(match op {
        "or" => ("or", 1),
        "and" => ("and", 2),
        "==" => ("==", 3),
        "===" => ("===", 3),
        "!=" => ("!=", 3),
        "!==" => ("!==", 3),
        ">" => (">", 3),
        ">=" => (">=", 3),
        "<" => ("<", 3),
        "<=" => ("<=", 3),
        "in" => ("in", 3),
        "+" => ("+", 4),
        "-" => ("-", 4),
        "*" => ("*", 5),
        "/" => ("/", 5),
        "%" => ("%", 5),
        _ => return None,
    })
}

/// Writes `v`; `parent` is the precedence of the infix operator around it (0 for none),
/// to know when parentheses are needed. `and`/`or` inside anything get parentheses.
fn write_desc(v: &Value, out: &mut String, parent: u8) {
    if out.len() > DESCRIPTION_LIMIT {
        return;
    }
    let Value::Object(m) = v else {
        out.push_str(&compact_json(v));
        return;
    };
    let Some((op, raw)) = m.iter().next().filter(|_| m.len() == 1) else {
        out.push_str(&compact_json(v));
        return;
    };
    let args = match raw {
        Value::Array(a) => a.as_slice(),
        other => std::slice::from_ref(other),
    };
    match op.as_str() {
        "var" => match args.first() {
            None | Some(Value::Null) => out.push_str("data"),
            Some(Value::String(s)) if s.is_empty() => out.push_str("data"),
            Some(Value::String(s)) => out.push_str(s),
            Some(Value::Number(n)) => out.push_str(&n.to_string()),
            Some(other) => {
                out.push_str("var(");
                write_desc(other, out, 0);
                out.push(')');
            }
        },
        "!" if args.len() == 1 => {
            out.push_str("not ");
            write_desc(&args[0], out, 6);
        }
        "!!" if args.len() == 1 => {
            out.push_str("!!");
            write_desc(&args[0], out, 6);
        }
        name => match infix(name) {
            Some((sym, prec)) if args.len() >= 2 => {
                let parens = parent != 0 && (prec <= 2 || prec < parent);
                if parens {
                    out.push('(');
                }
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        let _ = write!(out, " {sym} ");
                    }
                    // Same-level chains (a and b and c) need no parentheses inside.
                    write_desc(a, out, prec + 1);
                }
                if parens {
                    out.push(')');
                }
            }
            _ => {
                out.push_str(name);
                out.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_desc(a, out, 0);
                }
                out.push(')');
            }
        },
    }
}

fn compact_json(v: &Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    if s.len() <= DESCRIPTION_LIMIT {
        return s;
    }
    let mut cut = 40;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &s[..cut])
}
