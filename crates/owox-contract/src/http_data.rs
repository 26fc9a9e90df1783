//! HTTP Data parameters: the rule schemas of `filter`, `sort`, `aggregation` and `dateTrunc`
//! (spec `http-data.md` §5), the column selector, and the base64url JSON encoding of the encoded
//! parameters (§4.3, §12).
//!
//! The server decodes with [`decode_param`] and validates with the `parse_*_config` functions,
//! which reproduce the reference's (zod's) messages and their order exactly; clients build typed
//! rules and encode them with [`encode_param`] / [`DataMartQuery::to_query_pairs`].
//! Nothing here does I/O or knows about SQL.

mod codec;
mod json;
mod schema;
mod types;

pub use codec::{decode_base64url_lenient, decode_param, encode_param, DecodeError};
pub use json::{parse_js_json, JsValue};
pub use schema::{
    is_iana_time_zone_shape, parse_aggregation_config, parse_date_trunc_config,
    parse_filter_config, parse_sort_config, IANA_TIME_ZONE_SHAPE, IN_LIST_MAX_VALUES,
    RELATIVE_DATE_MAX_N,
};
pub use types::{
    AggregateFunction, AggregationRule, ColumnsSelector, DataMartQuery, DateTruncRule,
    DateTruncUnit, FilterOperator, FilterRule, FilterValue, Placement, RelativeDatePreset, Scalar,
    SortDirection, SortRule,
};

/// The longest accepted raw value of an encoded parameter, in characters (§4.3).
pub const MAX_ENCODED_PARAM_LENGTH: usize = 8192;
