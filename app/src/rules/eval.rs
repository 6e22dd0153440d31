//! Evaluating a compiled rule, operation by operation as json-logic-js does it.

use super::compile::{Node, NodeInfo, Op, OpNode, Seg, VarNode, VarPath};
use super::custom;
use super::value::{
    MAX_VALUE_DEPTH, Val, array_index, less_than, loose_eq, number_string, parse_float_val,
    str_to_number, strict_eq, utf16_at, utf16_len, utf16_slice,
};
use super::{EvalError, TraceStep};
use serde_json::Value;

/// Why evaluation stopped; turned into an [`EvalError`] once, at the end.
pub(crate) enum Fault {
    Budget,
    TooDeep,
    /// An operation (by node id) that cannot work with what it got.
    Invalid(u32, Problem),
}

/// Kept small so that `Result<Val, Fault>` stays small: results are returned at every node.
#[derive(Clone, Copy)]
pub(crate) enum Problem {
    NoLogic,
    MissingSomeKeys,
    Internal,
}

impl Problem {
    fn message(self) -> &'static str {
        match self {
            Problem::NoLogic => "missing logic argument",
            Problem::MissingSomeKeys => "missing_some needs a list of keys as its second argument",
            Problem::Internal => "internal error: var compiled as an operation",
        }
    }
}

type R<T> = Result<T, Fault>;

pub(crate) struct Evaluator<'i> {
    steps: u64,
    limit: u64,
    info: &'i [NodeInfo],
    pub trace: Option<Vec<TraceStep>>,
    depth: usize,
    /// Operands noted by the comparison being traced.
    operands: Vec<Value>,
}

impl<'i> Evaluator<'i> {
    pub fn new(info: &'i [NodeInfo], limit: u64, tracing: bool) -> Self {
        Evaluator {
            steps: 0,
            limit,
            info,
            trace: tracing.then(Vec::new),
            depth: 0,
            operands: Vec::new(),
        }
    }

    /// Steps taken so far.
    pub fn steps_taken(&self) -> u64 {
        self.steps
    }

    pub fn error(&self, fault: Fault) -> EvalError {
        match fault {
            Fault::Budget => EvalError::BudgetExceeded { limit: self.limit },
            Fault::TooDeep => EvalError::TooDeep {
                limit: MAX_VALUE_DEPTH,
            },
            Fault::Invalid(id, message) => EvalError::Invalid {
                path: self
                    .info
                    .get(id as usize)
                    .map_or_else(String::new, |i| i.path.to_string()),
                message: message.message().to_owned(),
            },
        }
    }

    #[inline]
    fn charge(&mut self, n: usize) -> R<()> {
        self.steps += n as u64;
        if self.steps > self.limit {
            Err(Fault::Budget)
        } else {
            Ok(())
        }
    }

    fn array<'a>(&mut self, items: Vec<Val<'a>>) -> R<Val<'a>> {
        self.charge(items.len())?;
        Val::new_array(items).ok_or(Fault::TooDeep)
    }

    /// Charges for converting a value to a string or number, which takes time in
    /// proportion to its size: a long string, or an array (joined with commas).
    #[inline]
    fn charge_conversion(&mut self, v: &Val) -> R<()> {
        let weight = match v {
            Val::Str(s) => s.len() / 64,
            Val::RStr(s) => s.len() / 64,
            Val::Data(Value::Array(a)) => a.len(),
            Val::Arr(a) => a.items.len(),
            _ => 0,
        };
        if weight > 0 {
            self.charge(weight)
        } else {
            Ok(())
        }
    }

    fn note(&mut self, vals: &[&Val]) {
        if self.trace.is_some() {
            self.operands = vals.iter().map(|v| v.to_value()).collect();
        }
    }

    /// Constants and `var`s with a constant path and no default, evaluated in place: most
    /// arguments of routing rules are these, and skipping the call and the `Result` makes
    /// comparisons several times faster. The step is counted without checking the budget;
    /// the next `eval` checks it.
    #[inline(always)]
    fn leaf<'a>(&mut self, node: &'a Node, data: &Val<'a>) -> Option<Val<'a>> {
        let v = match node {
            Node::Null => Val::Null,
            Node::Bool(b) => Val::Bool(*b),
            Node::Num(x) => Val::Num(*x),
            Node::Str(s) => Val::Str(s),
            Node::Lit(v) => Val::from_value(v),
            Node::Path(segs) => walk(data, segs, Val::Null),
            _ => return None,
        };
        self.steps += 1;
        Some(v)
    }

    pub fn eval<'a>(&mut self, node: &'a Node, data: &Val<'a>) -> R<Val<'a>> {
        self.charge(1)?;
        match node {
            Node::Null => Ok(Val::Null),
            Node::Bool(b) => Ok(Val::Bool(*b)),
            Node::Num(x) => Ok(Val::Num(*x)),
            Node::Str(s) => Ok(Val::Str(s)),
            Node::Lit(v) => Ok(Val::from_value(v)),
            Node::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    out.push(self.eval(item, data)?);
                }
                self.array(out)
            }
            Node::Path(segs) => Ok(walk(data, segs, Val::Null)),
            Node::Var(v) => self.var(v, data),
            Node::Op(n) if self.trace.is_some() => {
                if n.op.traced() {
                    self.op_traced(n, data)
                } else {
                    self.op(n, data)
                }
            }
            Node::Op(n) if n.boolean => Ok(Val::Bool(self.test_op(n, data)?)),
            Node::Op(n) => self.op(n, data),
        }
    }

    /// The truthiness of a node's value. Cheaper than `eval` for conditions: truth values
    /// come back in a register, and `and`/`or`/`!`/`if` only need their operands' truth.
    pub fn test<'a>(&mut self, node: &'a Node, data: &Val<'a>) -> R<bool> {
        match node {
            Node::Op(n) if self.trace.is_none() => {
                self.charge(1)?;
                self.test_op(n, data)
            }
            _ => match self.leaf(node, data) {
                Some(v) => Ok(v.truthy()),
                None => Ok(self.eval(node, data)?.truthy()),
            },
        }
    }

    fn test_op<'a>(&mut self, n: &'a OpNode, data: &Val<'a>) -> R<bool> {
        let args: &'a [Node] = &n.args;
        match n.op {
            // The truth of `and` is that all operands are true (it returns the first false
            // one, or the last one); of `or`, that one is.
            Op::And => {
                for a in args {
                    if !self.test(a, data)? {
                        return Ok(false);
                    }
                }
                Ok(!args.is_empty())
            }
            Op::Or => {
                for a in args {
                    if self.test(a, data)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Op::Not | Op::NotNot => match args.first() {
                Some(a) => Ok(self.test(a, data)? == (n.op == Op::NotNot)),
                None => Ok(n.op == Op::Not),
            },
            Op::If => {
                let mut i = 0;
                while i + 1 < args.len() {
                    if self.test(&args[i], data)? {
                        return self.test(&args[i + 1], data);
                    }
                    i += 2;
                }
                match args.get(i) {
                    Some(last) => self.test(last, data),
                    None => Ok(false),
                }
            }
            Op::Eq
            | Op::Ne
            | Op::StrictEq
            | Op::StrictNe
            | Op::Gt
            | Op::Ge
            | Op::Lt
            | Op::Le
            | Op::In
            | Op::StartsWith
            | Op::EndsWith
            | Op::IEquals
            | Op::DateBefore
            | Op::DateAfter
            | Op::DateBetween => self.compare(n, data),
            _ => Ok(self.op(n, data)?.truthy()),
        }
    }

    #[inline(always)]
    fn arg<'a>(&mut self, args: &'a [Node], i: usize, data: &Val<'a>) -> R<Val<'a>> {
        match args.get(i) {
            Some(a) => match self.leaf(a, data) {
                Some(v) => Ok(v),
                None => self.eval(a, data),
            },
            None => Ok(Val::Undef),
        }
    }

    /// Comparisons, `in` and Junction's operations: the operations that give a boolean
    /// from their operands.
    #[inline]
    fn compare<'a>(&mut self, n: &'a OpNode, data: &Val<'a>) -> R<bool> {
        let args: &'a [Node] = &n.args;
        let a = self.arg(args, 0, data)?;
        let b = self.arg(args, 1, data)?;
        self.charge_conversion(&a)?;
        self.charge_conversion(&b)?;
        Ok(match n.op {
            Op::Eq | Op::Ne | Op::StrictEq | Op::StrictNe => {
                self.note(&[&a, &b]);
                match n.op {
                    Op::Eq => loose_eq(&a, &b),
                    Op::Ne => !loose_eq(&a, &b),
                    Op::StrictEq => strict_eq(&a, &b),
                    _ => !strict_eq(&a, &b),
                }
            }
            Op::Gt => {
                self.note(&[&a, &b]);
                less_than(&b, &a) == Some(true)
            }
            Op::Ge => {
                self.note(&[&a, &b]);
                less_than(&a, &b) == Some(false)
            }
            Op::Lt | Op::Le => {
                let c = self.arg(args, 2, data)?;
                self.charge_conversion(&c)?;
                let cmp = |x: &Val, y: &Val| {
                    if n.op == Op::Lt {
                        less_than(x, y) == Some(true)
                    } else {
                        less_than(y, x) == Some(false)
                    }
                };
                match c {
                    Val::Undef => {
                        self.note(&[&a, &b]);
                        cmp(&a, &b)
                    }
                    _ => {
                        self.note(&[&a, &b, &c]);
                        cmp(&a, &b) && cmp(&b, &c)
                    }
                }
            }
            Op::In => {
                self.note(&[&a, &b]);
                if !b.js_truthy() {
                    false
                } else if let Some(s) = b.str() {
                    self.charge(s.len() / 16)?;
                    s.contains(&*a.to_str())
                } else if let Some(e) = b.elems() {
                    let len = e.len();
                    self.charge(len / 4)?;
                    (0..len).any(|i| strict_eq(&a, &e.get(i)))
                } else {
                    false
                }
            }
            Op::DateBetween => {
                let c = self.arg(args, 2, data)?;
                self.note(&[&a, &b, &c]);
                custom::date_between(&a, &b, &c)
            }
            _ => {
                self.note(&[&a, &b]);
                match n.op {
                    Op::StartsWith => custom::starts_with(&a, &b),
                    Op::EndsWith => custom::ends_with(&a, &b),
                    Op::IEquals => custom::iequals(&a, &b),
                    Op::DateBefore => custom::date_before(&a, &b),
                    Op::DateAfter => custom::date_after(&a, &b),
                    _ => false,
                }
            }
        })
    }

    fn var<'a>(&mut self, v: &'a VarNode, data: &Val<'a>) -> R<Val<'a>> {
        match &v.path {
            VarPath::Whole => {
                if let Some(d) = &v.default {
                    self.eval(d, data)?;
                }
                Ok(data.clone())
            }
            VarPath::Static(segs) => {
                let not_found = match &v.default {
                    Some(d) => self.eval(d, data)?,
                    None => Val::Null,
                };
                Ok(walk(data, segs, not_found))
            }
            VarPath::Dynamic(node) => {
                let a = self.eval(node, data)?;
                let b = match &v.default {
                    Some(d) => self.eval(d, data)?,
                    None => Val::Undef,
                };
                Ok(lookup(data, &a, b))
            }
        }
    }

    fn op_traced<'a>(&mut self, n: &'a OpNode, data: &Val<'a>) -> R<Val<'a>> {
        let info = self.info.get(n.id as usize);
        let step = TraceStep {
            path: info.map_or_else(String::new, |i| i.path.to_string()),
            description: info
                .and_then(|i| i.description.as_deref())
                .unwrap_or("")
                .to_owned(),
            held: false,
            operands: Vec::new(),
            depth: self.depth,
        };
        let index = self.trace.as_ref().map_or(0, Vec::len);
        if let Some(t) = &mut self.trace {
            t.push(step);
        }
        self.operands.clear();
        self.depth += 1;
        let result = self.op(n, data);
        self.depth -= 1;
        if let Ok(v) = &result {
            let operands = std::mem::take(&mut self.operands);
            if let Some(step) = self.trace.as_mut().and_then(|t| t.get_mut(index)) {
                step.held = v.truthy();
                step.operands = operands;
            }
        }
        result
    }

    fn op<'a>(&mut self, n: &'a OpNode, data: &Val<'a>) -> R<Val<'a>> {
        let args: &'a [Node] = &n.args;
        macro_rules! arg {
            ($i:expr) => {
                self.arg(args, $i, data)?
            };
        }
        Ok(match n.op {
            Op::If => {
                let mut i = 0;
                while i + 1 < args.len() {
                    if self.test(&args[i], data)? {
                        return self.eval(&args[i + 1], data);
                    }
                    i += 2;
                }
                match args.get(i) {
                    Some(last) => return self.eval(last, data),
                    None => Val::Null,
                }
            }
            Op::And | Op::Or => {
                let want = n.op == Op::Or;
                let mut current = Val::Undef;
                for a in args {
                    current = self.eval(a, data)?;
                    if current.truthy() == want {
                        break;
                    }
                }
                current
            }
            Op::Not | Op::NotNot => {
                let a = arg!(0);
                Val::Bool(a.truthy() == (n.op == Op::NotNot))
            }
            Op::Eq
            | Op::Ne
            | Op::StrictEq
            | Op::StrictNe
            | Op::Gt
            | Op::Ge
            | Op::Lt
            | Op::Le
            | Op::In
            | Op::StartsWith
            | Op::EndsWith
            | Op::IEquals
            | Op::DateBefore
            | Op::DateAfter
            | Op::DateBetween => Val::Bool(self.compare(n, data)?),
            Op::Cat => {
                let mut s = String::new();
                for a in args {
                    let v = self.eval(a, data)?;
                    if !v.is_nullish() {
                        v.write_string(&mut s);
                    }
                    self.charge(s.len() / 16)?;
                }
                Val::string(s)
            }
            Op::Substr => {
                let (source, start, end) = (arg!(0), arg!(1), arg!(2));
                let s = source.to_str();
                self.charge(s.len() / 16)?;
                let out = if less_than(&end, &Val::Num(0.0)) == Some(true) {
                    // PHP-like negative length: drop that many characters from the end.
                    let temp = substr(&s, &start, None);
                    let temp_len = utf16_len(&temp) as f64;
                    let len = match &end {
                        Val::Num(e) => temp_len + e,
                        // `temp.length + end` concatenates when `end` is not a number.
                        other => {
                            let mut joined = number_string(temp_len);
                            other.write_string(&mut joined);
                            str_to_number(&joined)
                        }
                    };
                    substr(&temp, &Val::Num(0.0), Some(&Val::Num(len)))
                } else {
                    substr(
                        &s,
                        &start,
                        if matches!(end, Val::Undef) {
                            None
                        } else {
                            Some(&end)
                        },
                    )
                };
                Val::string(out)
            }
            Op::Add => {
                let mut acc = 0.0;
                for a in args {
                    let v = self.eval(a, data)?;
                    self.charge_conversion(&v)?;
                    acc = (acc + 0.0) + parse_float_val(&v);
                }
                Val::Num(acc)
            }
            Op::Mul => {
                // Array.prototype.reduce without an initial value: one argument comes back
                // as it is, unconverted.
                let mut acc = arg!(0);
                for a in args.get(1..).unwrap_or(&[]) {
                    let v = self.eval(a, data)?;
                    self.charge_conversion(&v)?;
                    acc = Val::Num(parse_float_val(&acc) * parse_float_val(&v));
                }
                acc
            }
            Op::Sub => {
                let (a, b) = (arg!(0), arg!(1));
                self.charge_conversion(&a)?;
                self.charge_conversion(&b)?;
                match b {
                    Val::Undef => Val::Num(-a.to_number()),
                    b => Val::Num(a.to_number() - b.to_number()),
                }
            }
            Op::Div => {
                let (a, b) = (arg!(0), arg!(1));
                self.charge_conversion(&a)?;
                self.charge_conversion(&b)?;
                Val::Num(a.to_number() / b.to_number())
            }
            Op::Mod => {
                let (a, b) = (arg!(0), arg!(1));
                self.charge_conversion(&a)?;
                self.charge_conversion(&b)?;
                Val::Num(a.to_number() % b.to_number())
            }
            Op::Min | Op::Max => {
                let max = n.op == Op::Max;
                let mut best = if max {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                };
                let mut nan = false;
                for a in args {
                    let v = self.eval(a, data)?;
                    self.charge_conversion(&v)?;
                    let x = v.to_number();
                    if x.is_nan() {
                        nan = true;
                    } else if (max
                        && (x > best || (x == 0.0 && best == 0.0 && best.is_sign_negative())))
                        || (!max && (x < best || (x == 0.0 && best == 0.0 && x.is_sign_negative())))
                    {
                        best = x;
                    }
                }
                Val::Num(if nan { f64::NAN } else { best })
            }
            Op::Merge => {
                let mut out = Vec::new();
                for a in args {
                    let v = self.eval(a, data)?;
                    match v.elems() {
                        Some(e) => {
                            self.charge(e.len())?;
                            out.extend((0..e.len()).map(|i| e.get(i)));
                        }
                        None => out.push(v),
                    }
                }
                self.array(out)?
            }
            Op::Map | Op::Filter | Op::All | Op::None | Op::Some => {
                let items = arg!(0);
                let Some(logic) = args.get(1) else {
                    return Err(Fault::Invalid(n.id, Problem::NoLogic));
                };
                let Some(e) = items.elems() else {
                    return match n.op {
                        Op::Map | Op::Filter => self.array(Vec::new()),
                        _ => Ok(Val::Bool(n.op == Op::None)),
                    };
                };
                let len = e.len();
                match n.op {
                    Op::Map => {
                        let mut out = Vec::with_capacity(len);
                        for i in 0..len {
                            out.push(self.eval(logic, &e.get(i))?);
                        }
                        self.array(out)?
                    }
                    Op::Filter => {
                        let mut out = Vec::new();
                        for i in 0..len {
                            let item = e.get(i);
                            if self.test(logic, &item)? {
                                out.push(item);
                            }
                        }
                        self.array(out)?
                    }
                    Op::All => {
                        let mut all = len > 0;
                        for i in 0..len {
                            if !self.test(logic, &e.get(i))? {
                                all = false;
                                break;
                            }
                        }
                        Val::Bool(all)
                    }
                    _ => {
                        // some: any truthy; none: no truthy.
                        let mut any = false;
                        for i in 0..len {
                            if self.test(logic, &e.get(i))? {
                                any = true;
                                break;
                            }
                        }
                        Val::Bool(any == (n.op == Op::Some))
                    }
                }
            }
            Op::Reduce => {
                let items = arg!(0);
                let initial = if args.len() > 2 { arg!(2) } else { Val::Null };
                let Some(logic) = args.get(1) else {
                    return Err(Fault::Invalid(n.id, Problem::NoLogic));
                };
                let Some(e) = items.elems() else {
                    return Ok(initial);
                };
                let mut acc = initial;
                for i in 0..e.len() {
                    let scope = Val::new_ctx(e.get(i), acc).ok_or(Fault::TooDeep)?;
                    acc = self.eval(logic, &scope)?;
                }
                acc
            }
            Op::Missing => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a, data)?);
                }
                let missing = self.missing(data, vals)?;
                self.array(missing)?
            }
            Op::MissingSome => {
                let (need, options) = (arg!(0), arg!(1));
                if options.is_nullish() {
                    return Err(Fault::Invalid(n.id, Problem::MissingSomeKeys));
                }
                // json-logic-js runs {"missing": options}, then compares options.length.
                let vals = match options.elems() {
                    Some(e) => e.to_vec(),
                    None => vec![options.clone()],
                };
                let missing = self.missing(data, vals)?;
                let options_len = match &options {
                    Val::Str(_) | Val::RStr(_) => utf16_len(options.str().unwrap_or("")) as f64,
                    Val::Data(Value::Object(m)) => m
                        .get("length")
                        .map_or(f64::NAN, |l| Val::from_value(l).to_number()),
                    _ => options.elems().map_or(f64::NAN, |e| e.len() as f64),
                };
                let present = Val::Num(options_len - missing.len() as f64);
                if less_than(&present, &need) == Some(false) {
                    self.array(Vec::new())?
                } else {
                    self.array(missing)?
                }
            }
            Op::Log => arg!(0),
            // Compiled into Node::Var; never an OpNode.
            Op::Var => return Err(Fault::Invalid(n.id, Problem::Internal)),
        })
    }

    /// json-logic-js `missing`: the keys (given as arguments, or as one array argument)
    /// whose value in the data is null, absent or "".
    fn missing<'a>(&mut self, data: &Val<'a>, vals: Vec<Val<'a>>) -> R<Vec<Val<'a>>> {
        let keys = match vals.first().and_then(Val::elems) {
            Some(e) => e.to_vec(),
            None => vals,
        };
        self.charge(keys.len())?;
        let mut out = Vec::new();
        for key in keys {
            // {"var": key}: an array key is read as [path, default].
            let value = match key.elems() {
                Some(e) => lookup(data, &e.get(0), e.get(1)),
                None => lookup(data, &key, Val::Undef),
            };
            if matches!(value, Val::Null) || value.str() == Some("") {
                out.push(key);
            }
        }
        Ok(out)
    }
}

/// `String(source).substr(start, length)`, counting UTF-16 code units.
fn substr(s: &str, start: &Val, length: Option<&Val>) -> String {
    let integer = |x: f64| if x.is_nan() { 0.0 } else { x.trunc() };
    let size = utf16_len(s) as f64;
    let start = integer(start.to_number());
    let from = if start < 0.0 {
        (size + start).max(0.0)
    } else {
        start.min(size)
    };
    let len = length
        .map_or(size, |l| integer(l.to_number()))
        .clamp(0.0, size);
    let to = (from + len).min(size);
    utf16_slice(s, from as usize, to as usize)
}

/// `data[name]` for one step of a `var` path. `Undef` when there is no such property.
fn get<'a>(cur: &Val<'a>, name: &str, index: Option<usize>) -> Val<'a> {
    match cur {
        Val::Data(v) => match *v {
            Value::Object(m) => m.get(name).map_or(Val::Undef, Val::from_value),
            Value::Array(a) => match index {
                Some(i) => a.get(i).map_or(Val::Undef, Val::from_value),
                None if name == "length" => Val::Num(a.len() as f64),
                None => Val::Undef,
            },
            _ => Val::Undef,
        },
        Val::Arr(a) => match index {
            Some(i) => a.items.get(i).cloned().unwrap_or(Val::Undef),
            None if name == "length" => Val::Num(a.items.len() as f64),
            None => Val::Undef,
        },
        Val::Ctx(c) => match name {
            "current" => c.current.clone(),
            "accumulator" => c.accumulator.clone(),
            _ => Val::Undef,
        },
        Val::Str(_) | Val::RStr(_) => match index {
            Some(i) => utf16_at(cur.str().unwrap_or(""), i).map_or(Val::Undef, Val::string),
            None if name == "length" => Val::Num(utf16_len(cur.str().unwrap_or("")) as f64),
            None => Val::Undef,
        },
        _ => Val::Undef,
    }
}

/// A constant `var` path. The common case, data objects and arrays all the way down, is
/// plain pointer chasing; strings, `length` and scopes go through [`walk_slow`].
#[inline(always)]
fn walk<'a>(data: &Val<'a>, segs: &[Seg], not_found: Val<'a>) -> Val<'a> {
    if let Val::Data(root) = data {
        let mut cur: &'a Value = root;
        let mut simple = true;
        for seg in segs {
            let next = match cur {
                Value::Object(m) => m.get(&*seg.name),
                Value::Array(a) if seg.index.is_some() => seg.index.and_then(|i| a.get(i)),
                Value::Null => None,
                _ => {
                    simple = false;
                    break;
                }
            };
            match next {
                Some(v) => cur = v,
                None if matches!(not_found, Val::Undef) => return Val::Null,
                None => return not_found,
            }
        }
        if simple {
            return Val::from_value(cur);
        }
    }
    walk_slow(data, segs, not_found)
}

#[inline(never)]
fn walk_slow<'a>(data: &Val<'a>, segs: &[Seg], not_found: Val<'a>) -> Val<'a> {
    let not_found = if matches!(not_found, Val::Undef) {
        Val::Null
    } else {
        not_found
    };
    let mut cur = data.clone();
    for seg in segs {
        if cur.is_nullish() {
            return not_found;
        }
        cur = get(&cur, &seg.name, seg.index);
        if matches!(cur, Val::Undef) {
            return not_found;
        }
    }
    cur
}

/// json-logic-js `var` with a computed path `a` and default `b`.
fn lookup<'a>(data: &Val<'a>, a: &Val<'a>, b: Val<'a>) -> Val<'a> {
    let not_found = if matches!(b, Val::Undef) {
        Val::Null
    } else {
        b
    };
    if a.is_nullish() || a.str() == Some("") {
        return data.clone();
    }
    let path = a.to_str();
    let mut cur = data.clone();
    for seg in path.split('.') {
        if cur.is_nullish() {
            return not_found;
        }
        cur = get(&cur, seg, array_index(seg));
        if matches!(cur, Val::Undef) {
            return not_found;
        }
    }
    cur
}
