//! The JavaScript value model used while evaluating, and the ECMAScript coercions that
//! json-logic-js relies on: `ToBoolean`, `ToNumber`, `ToString`, `parseFloat`,
//! `Number.prototype.toString`, abstract (`==`) and strict (`===`) equality, and the
//! relational comparison behind `<`.
//!
//! Values borrow from the rule and the data wherever they can (`Str`, `Data`); values made
//! during evaluation are reference counted, which also gives them a JavaScript-like
//! identity (two evaluations of an array literal are two different arrays).

use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::rc::Rc;

/// Deepest nesting of arrays built during evaluation (e.g. by `reduce` wrapping its
/// accumulator again and again). Keeps every recursive walk over values bounded.
pub(crate) const MAX_VALUE_DEPTH: u32 = 100;

// Layout matters for speed: every payload is at most 8 bytes and, with the full-width tag,
// sits at offset 8, so a `Val` (and `Result<Val, Fault>`) is 16 bytes copied as two
// aligned words. With `&str` payloads and the default layout (a `bool` at offset 1) LLVM
// copied values through odd offsets, and the store-forwarding stalls on every returned
// value made evaluation about three times slower.
#[derive(Clone, Debug)]
#[repr(u64)]
pub(crate) enum Val<'a> {
    /// JavaScript `undefined`: a missing argument.
    Undef,
    Null,
    Bool(bool),
    Num(f64),
    Str(&'a String),
    RStr(Rc<String>),
    /// An array or object of the data or of the rule, borrowed (never a scalar).
    Data(&'a Value),
    /// An array made during evaluation.
    Arr(Rc<ArrVal<'a>>),
    /// The `{"current": …, "accumulator": …}` scope object of `reduce`.
    Ctx(Rc<CtxVal<'a>>),
}

#[derive(Debug)]
pub(crate) struct ArrVal<'a> {
    pub depth: u32,
    pub items: Vec<Val<'a>>,
}

#[derive(Debug)]
pub(crate) struct CtxVal<'a> {
    pub depth: u32,
    pub current: Val<'a>,
    pub accumulator: Val<'a>,
}

/// The elements of an array value, whichever way it is stored.
pub(crate) enum Elems<'b, 'a> {
    Data(&'a [Value]),
    Own(&'b [Val<'a>]),
}

impl<'a> Elems<'_, 'a> {
    pub fn len(&self) -> usize {
        match self {
            Elems::Data(s) => s.len(),
            Elems::Own(s) => s.len(),
        }
    }

    pub fn get(&self, i: usize) -> Val<'a> {
        match self {
            Elems::Data(s) => s.get(i).map_or(Val::Undef, Val::from_value),
            Elems::Own(s) => s.get(i).cloned().unwrap_or(Val::Undef),
        }
    }

    pub fn to_vec(&self) -> Vec<Val<'a>> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }
}

impl<'a> Val<'a> {
    pub fn from_value(v: &'a Value) -> Self {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Val::Str(s),
            _ => Val::Data(v),
        }
    }

    pub fn string(s: String) -> Self {
        Val::RStr(Rc::new(s))
    }

    /// Wraps items made during evaluation into a new array, or `None` when that array
    /// would nest deeper than [`MAX_VALUE_DEPTH`].
    pub fn new_array(items: Vec<Val<'a>>) -> Option<Self> {
        let depth = 1 + items.iter().map(Val::depth).max().unwrap_or(0);
        (depth <= MAX_VALUE_DEPTH).then(|| Val::Arr(Rc::new(ArrVal { depth, items })))
    }

    pub fn new_ctx(current: Val<'a>, accumulator: Val<'a>) -> Option<Self> {
        let depth = 1 + current.depth().max(accumulator.depth());
        (depth <= MAX_VALUE_DEPTH).then(|| {
            Val::Ctx(Rc::new(CtxVal {
                depth,
                current,
                accumulator,
            }))
        })
    }

    pub fn depth(&self) -> u32 {
        match self {
            Val::Data(_) => 1,
            Val::Arr(a) => a.depth,
            Val::Ctx(c) => c.depth,
            _ => 0,
        }
    }

    pub fn str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            Val::RStr(s) => Some(s),
            _ => None,
        }
    }

    pub fn elems(&self) -> Option<Elems<'_, 'a>> {
        match self {
            Val::Data(Value::Array(a)) => Some(Elems::Data(a)),
            Val::Arr(a) => Some(Elems::Own(&a.items)),
            _ => None,
        }
    }

    pub fn is_nullish(&self) -> bool {
        matches!(self, Val::Undef | Val::Null)
    }

    /// Arrays and objects (JavaScript `typeof x === "object"`, null excluded).
    pub fn is_object(&self) -> bool {
        matches!(self, Val::Data(_) | Val::Arr(_) | Val::Ctx(_))
    }

    /// JSON Logic truthiness: JavaScript's, except that an empty array is false.
    pub fn truthy(&self) -> bool {
        match self {
            Val::Undef | Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(x) => *x != 0.0 && !x.is_nan(),
            Val::Str(s) => !s.is_empty(),
            Val::RStr(s) => !s.is_empty(),
            Val::Data(Value::Array(a)) => !a.is_empty(),
            Val::Arr(a) => !a.items.is_empty(),
            Val::Data(_) | Val::Ctx(_) => true,
        }
    }

    /// Plain JavaScript `ToBoolean` (every array and object is true).
    pub fn js_truthy(&self) -> bool {
        self.is_object() || self.truthy()
    }

    /// JavaScript `ToNumber`.
    pub fn to_number(&self) -> f64 {
        match self {
            Val::Undef => f64::NAN,
            Val::Null => 0.0,
            Val::Bool(b) => f64::from(u8::from(*b)),
            Val::Num(x) => *x,
            Val::Str(s) => str_to_number(s),
            Val::RStr(s) => str_to_number(s),
            Val::Data(Value::Array(a)) if a.is_empty() => 0.0,
            Val::Arr(a) if a.items.is_empty() => 0.0,
            Val::Data(Value::Array(_)) | Val::Arr(_) => str_to_number(&self.to_str()),
            Val::Data(_) | Val::Ctx(_) => f64::NAN,
        }
    }

    /// JavaScript `ToString` (`String(x)`), appended to `out`.
    pub fn write_string(&self, out: &mut String) {
        match self {
            Val::Undef => out.push_str("undefined"),
            Val::Null => out.push_str("null"),
            Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Val::Num(x) => fmt_number(*x, out),
            Val::Str(s) => out.push_str(s),
            Val::RStr(s) => out.push_str(s),
            Val::Data(Value::Array(a)) => {
                for (i, item) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_elem(item, out);
                }
            }
            Val::Arr(a) => {
                for (i, item) in a.items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if !item.is_nullish() {
                        item.write_string(out);
                    }
                }
            }
            Val::Data(_) | Val::Ctx(_) => out.push_str("[object Object]"),
        }
    }

    /// JavaScript `ToString`, borrowing when the value already is a string.
    pub fn to_str(&self) -> Cow<'_, str> {
        match self {
            Val::Str(s) => Cow::Borrowed(s),
            Val::RStr(s) => Cow::Borrowed(s),
            _ => {
                let mut out = String::new();
                self.write_string(&mut out);
                Cow::Owned(out)
            }
        }
    }

    /// The value as JSON, the way `JSON.stringify` would write it (NaN and ±Infinity
    /// become null, `undefined` becomes null).
    pub fn to_value(&self) -> Value {
        match self {
            Val::Undef | Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(x) => num_to_value(*x),
            Val::Str(s) => Value::String((*s).clone()),
            Val::RStr(s) => Value::String((**s).clone()),
            Val::Data(v) => (*v).clone(),
            Val::Arr(a) => Value::Array(a.items.iter().map(Val::to_value).collect()),
            Val::Ctx(c) => {
                let mut m = Map::new();
                m.insert("current".into(), c.current.to_value());
                m.insert("accumulator".into(), c.accumulator.to_value());
                Value::Object(m)
            }
        }
    }
}

/// An element of an array being joined by `Array.prototype.toString`.
fn write_elem(v: &Value, out: &mut String) {
    match v {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => fmt_number(n.as_f64().unwrap_or(f64::NAN), out),
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_elem(item, out);
            }
        }
        Value::Object(_) => out.push_str("[object Object]"),
    }
}

/// A JavaScript number as JSON: integers as integers (so `1.0` is written `1`), NaN and
/// ±Infinity as null, as `JSON.stringify` does.
pub(crate) fn num_to_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() <= 9_007_199_254_740_992.0 {
        if x >= 0.0 {
            Value::Number(Number::from(x as u64))
        } else {
            Value::Number(Number::from(x as i64))
        }
    } else {
        Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// JSON Logic truthiness of a JSON value.
pub(crate) fn value_truthy(v: &Value) -> bool {
    Val::from_value(v).truthy()
}

// ---------------------------------------------------------------------------------------
// Equality and comparison

/// JavaScript `a === b`. Arrays and objects are equal only when they are the same one.
#[inline]
pub(crate) fn strict_eq(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Undef, Val::Undef) | (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Data(x), Val::Data(y)) => std::ptr::eq(*x, *y),
        (Val::Arr(x), Val::Arr(y)) => Rc::ptr_eq(x, y),
        (Val::Ctx(x), Val::Ctx(y)) => Rc::ptr_eq(x, y),
        _ => match (a.str(), b.str()) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

/// JavaScript `a == b` (IsLooselyEqual).
#[inline]
pub(crate) fn loose_eq(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x.as_str() == y.as_str(),
        (Val::Bool(x), Val::Bool(y)) => x == y,
        _ => loose_eq_slow(a, b),
    }
}

fn loose_eq_slow(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Undef | Val::Null, Val::Undef | Val::Null) => true,
        (Val::Undef | Val::Null, _) | (_, Val::Undef | Val::Null) => false,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Bool(x), _) => loose_eq(&Val::Num(f64::from(u8::from(*x))), b),
        (_, Val::Bool(y)) => loose_eq(a, &Val::Num(f64::from(u8::from(*y)))),
        _ => {
            if let (Some(x), Some(y)) = (a.str(), b.str()) {
                return x == y;
            }
            match (a.is_object(), b.is_object()) {
                (true, true) => strict_eq(a, b),
                (false, false) => {
                    // One number, one string: compare as numbers.
                    a.to_number() == b.to_number()
                }
                (true, false) => prim_eq(&a.to_str(), b),
                (false, true) => prim_eq(&b.to_str(), a),
            }
        }
    }
}

/// `ToPrimitive(object) == primitive`, where `prim` is a number or a string.
fn prim_eq(s: &str, prim: &Val) -> bool {
    match prim {
        Val::Num(y) => str_to_number(s) == *y,
        _ => prim.str() == Some(s),
    }
}

enum Prim<'s> {
    Num(f64),
    Str(Cow<'s, str>),
}

fn to_prim<'s>(v: &'s Val) -> Prim<'s> {
    match v {
        Val::Num(x) => Prim::Num(*x),
        Val::Str(_) | Val::RStr(_) | Val::Data(_) | Val::Arr(_) | Val::Ctx(_) => {
            Prim::Str(v.to_str())
        }
        _ => Prim::Num(v.to_number()),
    }
}

/// JavaScript `a < b`: `Some(result)`, or `None` when either side is NaN (JavaScript's
/// `undefined` outcome, which makes `<`, `<=`, `>` and `>=` all false).
#[inline]
pub(crate) fn less_than(a: &Val, b: &Val) -> Option<bool> {
    if let (Val::Num(x), Val::Num(y)) = (a, b) {
        return (!x.is_nan() && !y.is_nan()).then_some(x < y);
    }
    less_than_slow(a, b)
}

fn less_than_slow(a: &Val, b: &Val) -> Option<bool> {
    let (pa, pb) = (to_prim(a), to_prim(b));
    let (x, y) = match (pa, pb) {
        (Prim::Str(x), Prim::Str(y)) => return Some(cmp_utf16(&x, &y) == Ordering::Less),
        (pa, pb) => (prim_num(pa), prim_num(pb)),
    };
    (!x.is_nan() && !y.is_nan()).then_some(x < y)
}

fn prim_num(p: Prim) -> f64 {
    match p {
        Prim::Num(x) => x,
        Prim::Str(s) => str_to_number(&s),
    }
}

/// Compares strings by UTF-16 code units, as JavaScript does.
pub(crate) fn cmp_utf16(a: &str, b: &str) -> Ordering {
    let mut ai = a.chars();
    let mut bi = b.chars();
    loop {
        match (ai.next(), bi.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x == y => {}
            (Some(x), Some(y)) => {
                // The first UTF-16 unit decides; only supplementary characters differ from
                // code point order (their high surrogate sorts below U+E000..U+FFFF).
                let unit = |c: char| {
                    let c = c as u32;
                    if c >= 0x10000 {
                        0xD800 + ((c - 0x10000) >> 10)
                    } else {
                        c
                    }
                };
                return (unit(x), x).cmp(&(unit(y), y));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Numbers and strings

/// JavaScript's StrWhiteSpaceChar (WhiteSpace and LineTerminator).
pub(crate) fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{a}' | '\u{b}' | '\u{c}' | '\u{d}' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Length of the longest prefix of `b` that is an unsigned StrDecimalLiteral without
/// `Infinity` (`12`, `1.5`, `.5`, `5.`, `1e-7`), or 0.
fn decimal_prefix(b: &[u8]) -> usize {
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let int_end = digits(0);
    let mut end = int_end;
    let mut any = int_end > 0;
    if end < b.len() && b[end] == b'.' {
        let frac_end = digits(end + 1);
        any |= frac_end > end + 1;
        end = frac_end;
    }
    if !any {
        return 0;
    }
    if end < b.len() && (b[end] == b'e' || b[end] == b'E') {
        let mut i = end + 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_end = digits(i);
        if exp_end > i {
            end = exp_end;
        }
    }
    end
}

/// Reads a JavaScript decimal literal (`+1.`, `-.5e3`, `007`), already checked against
/// the grammar, correctly rounded like JavaScript, without the standard library's float
/// parser (whose tables would add about 12 KB, gzipped, to the wasm build).
///
/// Up to 15 significant digits with a small exponent take one exact multiplication or
/// division, which IEEE arithmetic rounds correctly. Anything else is read approximately
/// by serde_json and then corrected by comparing the literal exactly (in big integers)
/// with the midpoints between neighbouring doubles.
fn parse_decimal(s: &str) -> f64 {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let sign = if negative { -1.0 } else { 1.0 };
    let (mantissa, exp_text) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let exp_abs = exp_text
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0i64, |acc, d| {
            (acc * 10 + i64::from(d - b'0')).min(1_000_000)
        });
    let exp = if exp_text.starts_with('-') {
        -exp_abs
    } else {
        exp_abs
    };
    let mut all: String = int.chars().chain(frac.chars()).collect();
    let lead = all.bytes().take_while(|&b| b == b'0').count();
    let point = int.len() as i64 - lead as i64 + exp;
    all.drain(..lead);
    all.truncate(all.trim_end_matches('0').len());
    if all.is_empty() {
        return sign * 0.0;
    }
    // The value is 0.<all> × 10^point.
    if point > 310 {
        return sign * f64::INFINITY;
    }
    if point < -330 {
        return sign * 0.0;
    }
    if all.len() > 800 {
        // Digits this far down only break ties; keep a non-zero one in their place.
        all.truncate(799);
        all.push('1');
    }
    let scale = point - all.len() as i64;
    if all.len() <= 15 && (-22..=22).contains(&scale) {
        let m = all
            .bytes()
            .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0')) as f64;
        let v = if scale >= 0 {
            m * POW10[scale as usize]
        } else {
            m / POW10[(-scale) as usize]
        };
        return sign * v;
    }
    // serde_json refuses what lies beyond f64::MAX; the correction decides whether it
    // rounds down to MAX or up to Infinity.
    let mut x = serde_json::from_str::<f64>(&format!("0.{all}e{point}")).unwrap_or(f64::MAX);
    for _ in 0..4 {
        if !x.is_finite() {
            break;
        }
        let bits = x.to_bits();
        let exp_bits = (bits >> 52) as i64;
        let (m, e) = if exp_bits == 0 {
            (bits, -1074)
        } else {
            (bits & ((1 << 52) - 1) | (1 << 52), exp_bits - 1075)
        };
        let odd = m & 1 == 1;
        // Above the midpoint to the next double (or on it, rounding to even)?
        let up = cmp_decimal(&all, scale, 2 * m + 1, e - 1);
        if up == Ordering::Greater || (up == Ordering::Equal && odd) {
            x = f64::from_bits(bits + 1);
            continue;
        }
        if bits > 0 {
            let (low_m, low_e) = if m == 1 << 52 && exp_bits > 1 {
                (4 * m - 1, e - 2)
            } else {
                (2 * m - 1, e - 1)
            };
            let down = cmp_decimal(&all, scale, low_m, low_e);
            if down == Ordering::Less || (down == Ordering::Equal && odd) {
                x = f64::from_bits(bits - 1);
                continue;
            }
        }
        break;
    }
    sign * x
}

/// Compares `digits × 10^scale` with `m × 2^e` exactly.
fn cmp_decimal(digits: &str, scale: i64, m: u64, e: i64) -> Ordering {
    let mut left = Big::default();
    for chunk in digits.as_bytes().chunks(9) {
        let value = chunk
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
        left.mul_add(10u32.pow(chunk.len() as u32), value);
    }
    let mut right = Big::default();
    right.mul_add(1 << 31, (m >> 31) as u32);
    right.mul_add(1 << 31, (m & ((1 << 31) - 1)) as u32);
    // digits·5^s·2^s against m·2^e: move the powers of five to one side and the powers of
    // two to the other.
    if scale >= 0 {
        left.mul_pow5(scale as u32);
    } else {
        right.mul_pow5((-scale) as u32);
    }
    let shift = scale - e;
    if shift >= 0 {
        left.shl(shift as usize);
    } else {
        right.shl((-shift) as usize);
    }
    left.cmp(&right)
}

/// Just enough of a big unsigned integer for [`cmp_decimal`] (little-endian 32-bit limbs).
#[derive(Default)]
struct Big(Vec<u32>);

impl Big {
    fn mul_add(&mut self, mul: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(mul) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    fn mul_pow5(&mut self, mut n: u32) {
        while n > 0 {
            let k = n.min(13);
            self.mul_add(5u32.pow(k), 0);
            n -= k;
        }
    }

    fn shl(&mut self, bits: usize) {
        let (limbs, rest) = (bits / 32, (bits % 32) as u32);
        if rest > 0 {
            let mut carry = 0u32;
            for limb in &mut self.0 {
                let v = (*limb << rest) | carry;
                carry = *limb >> (32 - rest);
                *limb = v;
            }
            if carry > 0 {
                self.0.push(carry);
            }
        }
        self.0.splice(0..0, std::iter::repeat_n(0, limbs));
    }

    fn cmp(&self, other: &Big) -> Ordering {
        let trim = |v: &[u32]| v.len() - v.iter().rev().take_while(|&&l| l == 0).count();
        let (a, b) = (&self.0[..trim(&self.0)], &other.0[..trim(&other.0)]);
        a.len()
            .cmp(&b.len())
            .then_with(|| a.iter().rev().cmp(b.iter().rev()))
    }
}

/// JavaScript `Number(string)`.
pub(crate) fn str_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    let b = t.as_bytes();
    if b.len() > 2 && b[0] == b'0' {
        let radix = match b[1] {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            return parse_radix(&t[2..], radix);
        }
    }
    let (neg, rest) = match b[0] {
        b'+' => (false, &t[1..]),
        b'-' => (true, &t[1..]),
        _ => (false, t),
    };
    if rest == "Infinity" {
        return if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    if !rest.is_empty() && decimal_prefix(rest.as_bytes()) == rest.len() {
        parse_decimal(t)
    } else {
        f64::NAN
    }
}

fn parse_radix(digits: &str, radix: u32) -> f64 {
    let mut exact: u128 = 0;
    let mut approx = 0.0f64;
    let mut overflow = false;
    for c in digits.chars() {
        let Some(d) = c.to_digit(radix) else {
            return f64::NAN;
        };
        approx = approx * f64::from(radix) + f64::from(d);
        if !overflow {
            match exact
                .checked_mul(u128::from(radix))
                .and_then(|x| x.checked_add(u128::from(d)))
            {
                Some(x) => exact = x,
                None => overflow = true,
            }
        }
    }
    if overflow { approx } else { exact as f64 }
}

/// JavaScript `parseFloat(string)`: the longest numeric prefix after leading spaces.
pub(crate) fn parse_float(s: &str) -> f64 {
    let t = s.trim_start_matches(is_js_space);
    let b = t.as_bytes();
    let sign = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let rest = &t[sign..];
    if rest.starts_with("Infinity") {
        return if b[0] == b'-' {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    match decimal_prefix(rest.as_bytes()) {
        0 => f64::NAN,
        n => parse_decimal(&t[..sign + n]),
    }
}

/// `parseFloat(x)` for any value (it converts with `ToString` first).
pub(crate) fn parse_float_val(v: &Val) -> f64 {
    match v {
        // ToString then parseFloat gives the number back, except that -0 prints as "0".
        Val::Num(x) => *x + 0.0,
        Val::Str(s) => parse_float(s),
        Val::RStr(s) => parse_float(s),
        Val::Undef | Val::Null | Val::Bool(_) => f64::NAN,
        _ => parse_float(&v.to_str()),
    }
}

/// JavaScript `Number.prototype.toString()`: the shortest digits that read back as the
/// same number, in exponent form below 1e-6 and from 1e21 on.
pub(crate) fn fmt_number(x: f64, out: &mut String) {
    use std::fmt::Write as _;
    if x.is_nan() {
        out.push_str("NaN");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if x == 0.0 {
        out.push('0');
        return;
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        let _ = write!(out, "{}", x as i64);
        return;
    }
    if x < 0.0 {
        out.push('-');
    }
    // serde_json's float printer (already part of any build that writes JSON) gives the
    // shortest round-trip digits; only the layout differs from JavaScript's.
    let text = Number::from_f64(x.abs())
        .map(|n| n.to_string())
        .unwrap_or_default();
    let (digits, n) = shortest_digits(&text);
    let k = digits.len() as i32;
    if k == 0 {
        out.push('0');
    } else if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = n - 1;
        let _ = write!(out, "e{}{}", if e < 0 { '-' } else { '+' }, e.abs());
    }
}

/// Splits a printed number (`123.45`, `1e21`, `1.5e-7`, `100.0`) into its significant
/// digits and the position of the decimal point relative to them: `0.0123` is
/// `("123", -1)`, `1e21` is `("1", 22)`.
fn shortest_digits(text: &str) -> (String, i32) {
    let (mantissa, exp) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = int.bytes().chain(frac.bytes()).filter(u8::is_ascii_digit);
    let mut digits: String = all.map(char::from).collect();
    let mut point = int.len() as i32 + exp;
    let lead = digits.bytes().take_while(|&b| b == b'0').count();
    digits.drain(..lead);
    point -= lead as i32;
    while digits.ends_with('0') {
        digits.pop();
    }
    (digits, point)
}

pub(crate) fn number_string(x: f64) -> String {
    let mut s = String::new();
    fmt_number(x, &mut s);
    s
}

/// Length in UTF-16 code units (JavaScript's `string.length`).
pub(crate) fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

/// `s[i]` for a string: the UTF-16 code unit at `i` as a one-unit string.
pub(crate) fn utf16_at(s: &str, i: usize) -> Option<String> {
    if s.is_ascii() {
        return s.get(i..i + 1).map(str::to_owned);
    }
    let unit = s.encode_utf16().nth(i)?;
    Some(String::from_utf16_lossy(&[unit]))
}

/// The UTF-16 code units `[start, end)` of `s` (a lone surrogate at either edge becomes
/// U+FFFD, where JavaScript would keep it).
pub(crate) fn utf16_slice(s: &str, start: usize, end: usize) -> String {
    if s.is_ascii() {
        return s.get(start..end).unwrap_or("").to_owned();
    }
    let units: Vec<u16> = s.encode_utf16().collect();
    units
        .get(start..end)
        .map(String::from_utf16_lossy)
        .unwrap_or_default()
}

/// JavaScript's CanonicalNumericIndexString test for array indexes: `"0"`, `"17"`, but
/// not `"01"`, `"-1"` or `"1.0"`.
pub(crate) fn array_index(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.is_empty()
        || b.len() > 10
        || !b.iter().all(u8::is_ascii_digit)
        || (b.len() > 1 && b[0] == b'0')
    {
        return None;
    }
    let n: u64 = s.parse().ok()?;
    (n < 4_294_967_295).then_some(n as usize)
}
