//! The syntax tree produced by the parser ([`Expr`], [`OrderItem`], [`SelectItem`],
//! [`ExpandItem`]) and the typed tree produced by validation ([`Filter`], [`BoolExpr`],
//! [`Operand`], [`Member`], [`OrderKey`]) that the store translates to SQL.

use chrono::{DateTime, Utc};
use openti_model::schema::EdmType;

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

impl CmpOp {
    /// From the keyword.
    pub fn from_keyword(s: &str) -> Option<Self> {
        Some(match s {
            "eq" => CmpOp::Eq,
            "ne" => CmpOp::Ne,
            "gt" => CmpOp::Gt,
            "ge" => CmpOp::Ge,
            "lt" => CmpOp::Lt,
            "le" => CmpOp::Le,
            _ => return None,
        })
    }

    /// True for `eq` and `ne`.
    pub fn is_equality(self) -> bool {
        matches!(self, CmpOp::Eq | CmpOp::Ne)
    }
}

/// A literal value (after validation, typed to its operand's type).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// A string.
    String(String),
    /// A `DateTimeOffset`.
    DateTime(DateTime<Utc>),
    /// An enum member: short enum type name and member.
    Enum {
        /// Short enum type name (`hostPortStatus`); empty in the parser output for a
        /// qualified literal whose type is not yet checked.
        ty: String,
        /// Member name.
        member: String,
    },
}

// Doubles in literals are finite (the lexer refuses anything else), so equality is total.
impl Eq for Literal {}

/// Functions usable in `$filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Func {
    /// `contains(text, part)`
    Contains,
    /// `startswith(text, prefix)`
    StartsWith,
    /// `endswith(text, suffix)`
    EndsWith,
    /// `tolower(text)`
    ToLower,
    /// `toupper(text)`
    ToUpper,
}

impl Func {
    /// From the function name (case-sensitive, as OData requires).
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "contains" => Func::Contains,
            "startswith" => Func::StartsWith,
            "endswith" => Func::EndsWith,
            "tolower" => Func::ToLower,
            "toupper" => Func::ToUpper,
            _ => return None,
        })
    }

    /// The function name.
    pub fn name(self) -> &'static str {
        match self {
            Func::Contains => "contains",
            Func::StartsWith => "startswith",
            Func::EndsWith => "endswith",
            Func::ToLower => "tolower",
            Func::ToUpper => "toupper",
        }
    }
}

/// `any` or `all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LambdaKind {
    /// `any`
    Any,
    /// `all`
    All,
}

/// One segment of a member path with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Name as written.
    pub name: String,
    /// Byte offset.
    pub pos: usize,
}

/// Untyped `$filter` syntax tree (parser output).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal at a position.
    Literal(Literal, usize),
    /// A member path (`a/b/c`); the first segment may be a lambda variable.
    Path(Vec<Segment>),
    /// `not e`
    Not(Box<Expr>, usize),
    /// `a and b`
    And(Box<Expr>, Box<Expr>),
    /// `a or b`
    Or(Box<Expr>, Box<Expr>),
    /// `a op b`
    Compare(CmpOp, Box<Expr>, Box<Expr>, usize),
    /// `a in (l1, l2, …)`
    In(Box<Expr>, Vec<Expr>, usize),
    /// `f(args…)`
    Call(Func, Vec<Expr>, usize),
    /// `path/any(v: body)`, `path/all(v: body)`, `path/any()`.
    Lambda {
        /// The collection path.
        path: Vec<Segment>,
        /// any / all.
        kind: LambdaKind,
        /// Variable and body (absent for `any()`).
        body: Option<(Segment, Box<Expr>)>,
        /// Position of the `any` / `all` keyword.
        pos: usize,
    },
}

impl Expr {
    /// Byte offset where the expression starts (best effort).
    pub fn pos(&self) -> usize {
        match self {
            Expr::Literal(_, p) | Expr::Not(_, p) | Expr::Call(_, _, p) => *p,
            Expr::Path(s) => s.first().map_or(0, |s| s.pos),
            Expr::And(a, _) | Expr::Or(a, _) => a.pos(),
            Expr::Compare(_, a, _, _) | Expr::In(a, _, _) => a.pos(),
            Expr::Lambda { path, .. } => path.first().map_or(0, |s| s.pos),
        }
    }
}

/// Untyped `$orderby` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    /// The member path.
    pub path: Vec<Segment>,
    /// `desc`.
    pub desc: bool,
}

/// A `$select` item (a property or navigation name, possibly a `/`-path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectItem {
    /// Path segments.
    pub path: Vec<Segment>,
}

/// An `$expand` item with its nested options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandItem {
    /// Navigation path segments.
    pub path: Vec<Segment>,
    /// Nested `$select`.
    pub select: Option<Vec<SelectItem>>,
}

/// A validated member reference: a property path from the entity (or from a lambda
/// variable) with its resolved type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Member {
    /// `None` for the addressed entity, `Some(name)` for a lambda variable.
    pub var: Option<String>,
    /// `/`-joined path below the root, type-cast segments removed (`cvss3Summary/score`,
    /// `childHost/id`, `registrar`); empty when the member is the variable itself.
    pub path: String,
    /// Type of the final segment (element type for collections).
    pub ty: EdmType,
    /// Whether the member is collection-valued.
    pub collection: bool,
}

/// A validated scalar operand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// A property (or lambda variable) value.
    Member(Member),
    /// A literal typed to the other side of its comparison.
    Literal(Literal),
    /// `tolower(x)` / `toupper(x)`.
    Case(Func, Box<Operand>),
}

impl Operand {
    /// The member at the bottom of this operand, if any.
    pub fn member(&self) -> Option<&Member> {
        match self {
            Operand::Member(m) => Some(m),
            Operand::Case(_, inner) => inner.member(),
            Operand::Literal(_) => None,
        }
    }
}

/// Validated boolean expression (the typed `$filter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoolExpr {
    /// `not e`
    Not(Box<BoolExpr>),
    /// `a and b`
    And(Box<BoolExpr>, Box<BoolExpr>),
    /// `a or b`
    Or(Box<BoolExpr>, Box<BoolExpr>),
    /// `left op right`; at most one side is `null`, and then `op` is `eq` or `ne`.
    Compare {
        /// Operator.
        op: CmpOp,
        /// Left operand.
        left: Operand,
        /// Right operand.
        right: Operand,
    },
    /// `value in (list)` (list non-empty, no nulls).
    In {
        /// The tested operand.
        value: Operand,
        /// Typed literals.
        list: Vec<Literal>,
    },
    /// `contains` / `startswith` / `endswith`.
    Text {
        /// Which function.
        func: Func,
        /// The searched text.
        text: Operand,
        /// The part looked for.
        part: Operand,
    },
    /// A boolean operand used as a condition (`isFeatured`, `b/isRecent`).
    Truthy(Operand),
    /// `collection/any(v: body)` / `all`.
    Lambda {
        /// any / all.
        kind: LambdaKind,
        /// The collection.
        collection: Member,
        /// Variable name (absent for `any()`).
        var: Option<String>,
        /// Body (absent for `any()`).
        body: Option<Box<BoolExpr>>,
    },
}

/// A validated `$filter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter(pub BoolExpr);

/// A validated `$orderby` key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderKey {
    /// The (single-valued, primitive or enum) member.
    pub member: Member,
    /// Descending.
    pub desc: bool,
}

/// A validated `$expand` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expand {
    /// Navigation property name.
    pub nav: String,
    /// Nested `$select` property names of the target, if any.
    pub select: Option<Vec<String>>,
}
