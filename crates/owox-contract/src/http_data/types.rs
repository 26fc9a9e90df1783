//! Typed HTTP Data rules, serialized exactly as the reference's JSON (key names and order).

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use super::codec::encode_param;
use super::json::JsValue;

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name { $(#[serde(rename = $wire)] $variant),+ }

        impl $name {
            /// Every value, in the reference's declaration order (the order of its messages).
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The spelling on the wire.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
            /// Parses the wire spelling (case-sensitive).
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($wire => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

wire_enum!(
    /// A filter operator (§5.1), including the 0.35.0 `is_blank` / `is_not_blank`.
    FilterOperator {
        Eq = "eq", Neq = "neq", Contains = "contains", NotContains = "not_contains",
        StartsWith = "starts_with", EndsWith = "ends_with", Gt = "gt", Lt = "lt", Gte = "gte",
        Lte = "lte", Regex = "regex", NotRegex = "not_regex", IsBlank = "is_blank",
        IsNotBlank = "is_not_blank", IsEmpty = "is_empty", IsNotEmpty = "is_not_empty",
        IsNull = "is_null", IsNotNull = "is_not_null", IsTrue = "is_true", IsFalse = "is_false",
        In = "in", NotIn = "not_in", Between = "between", RelativeDate = "relative_date",
    }
);

wire_enum!(
    /// An aggregate function (§5.5).
    AggregateFunction {
        StringAgg = "STRING_AGG", Max = "MAX", Min = "MIN", Sum = "SUM", Avg = "AVG",
        Count = "COUNT", CountDistinct = "COUNT_DISTINCT", AnyValue = "ANY_VALUE", P25 = "P25",
        P50 = "P50", P75 = "P75", P95 = "P95",
    }
);

wire_enum!(
    /// Where a filter applies on a blended mart (§5.1). Absent means post-join.
    Placement { PreJoin = "pre-join", PostJoin = "post-join" }
);

wire_enum!(
    /// Sort direction (case-sensitive on the wire).
    SortDirection { Asc = "asc", Desc = "desc" }
);

wire_enum!(
    /// A date truncation unit (§5.6).
    DateTruncUnit { Day = "DAY", Week = "WEEK", Month = "MONTH", Quarter = "QUARTER", Year = "YEAR" }
);

wire_enum!(
    /// The `columns` parameter: `*` (all native columns) or `**` (native + joined).
    ColumnsSelector { AllNative = "*", AllBlendable = "**" }
);

impl AggregateFunction {
    /// The token in an output label `"<column> | <TOKEN>"` (§5.5).
    pub fn label_token(self) -> &'static str {
        match self {
            AggregateFunction::CountDistinct => "COUNTUNIQUE",
            AggregateFunction::P50 => "MEDIAN",
            AggregateFunction::StringAgg => "STRINGAGG",
            AggregateFunction::AnyValue => "ANYVALUE",
            other => other.as_str(),
        }
    }
}

/// A scalar filter value: string, finite number or boolean.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Scalar {
    String(String),
    Number(f64),
    Bool(bool),
}

impl Scalar {
    /// JavaScript `String(value)`: how the reference turns a value into text for substring
    /// operators (`1` → `"1"`, `1.5` → `"1.5"`, `1e21` → `"1e+21"`, `true` → `"true"`).
    pub fn to_js_string(&self) -> String {
        match self {
            Scalar::String(s) => s.clone(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Number(n) => js_number_to_string(*n),
        }
    }

    /// The JavaScript `typeof` of the value.
    pub fn js_type(&self) -> &'static str {
        match self {
            Scalar::String(_) => "string",
            Scalar::Number(_) => "number",
            Scalar::Bool(_) => "boolean",
        }
    }
}

impl Serialize for Scalar {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Scalar::String(v) => s.serialize_str(v),
            Scalar::Bool(v) => s.serialize_bool(*v),
            // JSON.stringify writes integral doubles without a fraction.
            Scalar::Number(v) if v.fract() == 0.0 && v.abs() < 9.007_199_254_740_992e15 => {
                s.serialize_i64(*v as i64)
            }
            Scalar::Number(v) => s.serialize_f64(*v),
        }
    }
}

/// JavaScript's `Number.prototype.toString()` for a double.
pub(crate) fn js_number_to_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if n == 0.0 {
        return "0".into();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    // `{:e}` gives the shortest round-trip digits, e.g. "1.2345e-7".
    let sci = format!("{:e}", n.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i64;
    let e: i64 = exp.parse().unwrap_or(0);
    let point = e + 1; // position of the decimal point relative to the digits
    let body = if k <= point && point <= 21 {
        format!("{digits}{}", "0".repeat((point - k) as usize))
    } else if 0 < point && point <= 21 {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    } else if -6 < point && point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else {
        let exp_sign = if point > 0 { "+" } else { "-" };
        let rest = if k > 1 {
            format!(".{}", &digits[1..])
        } else {
            String::new()
        };
        format!("{}{rest}e{exp_sign}{}", &digits[..1], (point - 1).abs())
    };
    format!("{sign}{body}")
}

/// A relative date preset (§5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RelativeDatePreset {
    Today,
    Yesterday,
    ThisWeek,
    LastWeek,
    ThisMonth,
    LastMonth,
    ThisQuarter,
    LastQuarter,
    ThisYear,
    LastNDays(u32),
    LastNMonths(u32),
    NextNDays(u32),
}

impl RelativeDatePreset {
    /// Every `kind`, in the reference's order (the order of its discriminator message).
    pub const KINDS: &'static [&'static str] = &[
        "today",
        "yesterday",
        "this_week",
        "last_week",
        "this_month",
        "last_month",
        "this_quarter",
        "last_quarter",
        "this_year",
        "last_n_days",
        "last_n_months",
        "next_n_days",
    ];

    /// The `kind` spelling and the `n`, if any.
    pub fn kind(self) -> (&'static str, Option<u32>) {
        use RelativeDatePreset::*;
        match self {
            Today => ("today", None),
            Yesterday => ("yesterday", None),
            ThisWeek => ("this_week", None),
            LastWeek => ("last_week", None),
            ThisMonth => ("this_month", None),
            LastMonth => ("last_month", None),
            ThisQuarter => ("this_quarter", None),
            LastQuarter => ("last_quarter", None),
            ThisYear => ("this_year", None),
            LastNDays(n) => ("last_n_days", Some(n)),
            LastNMonths(n) => ("last_n_months", Some(n)),
            NextNDays(n) => ("next_n_days", Some(n)),
        }
    }
}

impl Serialize for RelativeDatePreset {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (kind, n) = self.kind();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", kind)?;
        if let Some(n) = n {
            m.serialize_entry("n", &n)?;
        }
        m.end()
    }
}

/// The `value` of a filter rule; its shape follows the operator (§5.1).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FilterValue {
    /// No value (`is_null`, `is_empty`, `is_true`, …).
    None,
    Scalar(Scalar),
    /// `in` / `not_in`: 1..=500 strings or 1..=500 numbers.
    List(Vec<Scalar>),
    /// `between`, inclusive.
    Range {
        from: Scalar,
        to: Scalar,
    },
    RelativeDate(RelativeDatePreset),
}

/// One filter rule. With `function` it is a HAVING rule on that aggregate.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FilterRule {
    pub column: String,
    pub operator: FilterOperator,
    pub value: FilterValue,
    pub placement: Option<Placement>,
    pub function: Option<AggregateFunction>,
}

impl Serialize for FilterRule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("column", &self.column)?;
        m.serialize_entry("operator", &self.operator)?;
        match &self.value {
            FilterValue::None => {}
            FilterValue::Scalar(v) => m.serialize_entry("value", v)?,
            FilterValue::List(v) => m.serialize_entry("value", v)?,
            FilterValue::Range { from, to } => {
                #[derive(Serialize)]
                struct Range<'a> {
                    from: &'a Scalar,
                    to: &'a Scalar,
                }
                m.serialize_entry("value", &Range { from, to })?
            }
            FilterValue::RelativeDate(p) => m.serialize_entry("value", p)?,
        }
        if let Some(p) = self.placement {
            m.serialize_entry("placement", &p)?;
        }
        if let Some(f) = self.function {
            m.serialize_entry("function", &f)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for FilterRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        super::schema::parse_filter_rule(&JsValue::from_serde(&v))
            .map_err(|issues| serde::de::Error::custom(issues.join("; ")))
    }
}

/// One sort key (§5.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SortRule {
    pub column: String,
    pub direction: SortDirection,
}

/// One aggregation (§5.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AggregationRule {
    pub column: String,
    pub function: AggregateFunction,
}

/// One date truncation (§5.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DateTruncRule {
    pub column: String,
    pub unit: DateTruncUnit,
    #[serde(rename = "timeZone", default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// The query of a Data Mart stream request, as a client builds it (§4.2, §12).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataMartQuery {
    pub columns: Option<ColumnsSelector>,
    pub column: Vec<String>,
    pub filter: Option<Vec<FilterRule>>,
    pub sort: Option<Vec<SortRule>>,
    pub aggregation: Option<Vec<AggregationRule>>,
    pub date_trunc: Option<Vec<DateTruncRule>>,
    pub limit: Option<u64>,
}

impl DataMartQuery {
    /// The query pairs in the reference client's order: `columns`, each `column`, `filter`,
    /// `sort`, `aggregation`, `dateTrunc` (unpadded base64url JSON), `limit`.
    pub fn to_query_pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(c) = self.columns {
            out.push(("columns".to_string(), c.as_str().to_string()));
        }
        for c in &self.column {
            out.push(("column".to_string(), c.clone()));
        }
        if let Some(f) = &self.filter {
            out.push(("filter".to_string(), encode_param(f)));
        }
        if let Some(s) = &self.sort {
            out.push(("sort".to_string(), encode_param(s)));
        }
        if let Some(a) = &self.aggregation {
            out.push(("aggregation".to_string(), encode_param(a)));
        }
        if let Some(d) = &self.date_trunc {
            out.push(("dateTrunc".to_string(), encode_param(d)));
        }
        if let Some(l) = self.limit {
            out.push(("limit".to_string(), l.to_string()));
        }
        out
    }
}
