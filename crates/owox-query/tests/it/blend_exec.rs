//! Joined (blended) fields executed on the local PostgreSQL: a three-level chain
//! orders → customers → countries, in a uniquely named schema dropped afterwards. Skipped with
//! a note when the server is absent.
use super::common::*;
use super::pg_exec::{connect_with, run};
use owox_contract::http_data::AggregateFunction;
use owox_query::*;
use tokio_postgres::Client;

const FIXTURE: &str = "
CREATE TABLE orders (id integer, customer_id integer, amount numeric);
INSERT INTO orders VALUES (1, 1, 10), (2, 1, 20), (3, 2, 5), (4, 3, 7), (5, NULL, 1);
CREATE TABLE customers (id integer, name text, country text, credit integer);
INSERT INTO customers VALUES (1, 'Ann', 'UA', 100), (2, 'Bob', 'PL', 50), (2, 'Bob', 'PL', 25);
CREATE TABLE countries (code text, title text, population integer);
INSERT INTO countries VALUES ('UA', 'Ukraine', 40), ('PL', 'Poland', 38), ('DE', 'Germany', 83);";

async fn connect() -> Option<(Client, String)> {
    connect_with("owox_blend_it", FIXTURE).await
}

fn native() -> Vec<Field> {
    vec![
        Field::new("id", "INTEGER"),
        Field::new("customer_id", "INTEGER"),
        Field::new("amount", "NUMERIC"),
    ]
}

fn joined(name: &str, source: usize, field: &str, ty: &str) -> BlendedField {
    BlendedField {
        name: name.into(),
        source,
        field: field.into(),
        type_name: ty.into(),
        dedup: default_dedup_function(ty),
        allowed_aggregations: None,
    }
}

fn blend<'a>(customers: &'a [String], countries: &'a [String]) -> Blend<'a> {
    Blend {
        sources: vec![
            BlendSource {
                alias_path: "customers".into(),
                parent: None,
                relation: Source::Table(customers),
                join: vec![("customer_id".into(), "id".into())],
            },
            BlendSource {
                alias_path: "customers.countries".into(),
                parent: Some(0),
                relation: Source::Table(countries),
                join: vec![("country".into(), "code".into())],
            },
        ],
        fields: vec![
            joined("customers__name", 0, "name", "STRING"),
            joined("customers__credit", 0, "credit", "INTEGER"),
            joined("customers_countries__title", 1, "title", "STRING"),
            joined(
                "customers_countries__population",
                1,
                "population",
                "INTEGER",
            ),
        ],
    }
}

fn compiled(list: &[(&str, &str)]) -> Result<CompiledQuery, QueryError> {
    let (customers, countries) = (vec!["customers".to_string()], vec!["countries".to_string()]);
    let b = blend(&customers, &countries);
    let orders = vec!["orders".to_string()];
    let query = parse_query(&pairs(list))?;
    let resolved = resolve_blended_columns(&native(), &b.reporting_fields(), &query)?;
    let v = validate_blended(&native(), Some(&b), &query, &resolved)?;
    Ok(compile_blended(
        &v,
        &Postgres,
        Source::Table(&orders),
        &b,
        &ctx(),
    )?)
}

async fn rows(client: &Client, list: &[(&str, &str)]) -> Vec<Vec<String>> {
    let c = compiled(list).unwrap();
    run(client, &c.statement).await
}

fn row(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

#[tokio::test]
async fn three_level_chain_on_postgres() {
    let Some((client, schema)) = connect().await else {
        eprintln!("note: no PostgreSQL at 127.0.0.1:5432; blend execution tests skipped");
        return;
    };
    let sort_by_id = enc(r#"[{"column":"id","direction":"asc"}]"#);

    // `**`: native columns then every joined field; one row per order (the duplicated
    // customer collapses: credit SUMmed, name STRING_AGGed), unmatched keys give NULLs.
    let all = rows(&client, &[("columns", "**"), ("sort", &sort_by_id)]).await;
    assert_eq!(
        all,
        vec![
            row(&["1", "1", "10", "Ann", "100", "Ukraine", "40"]),
            row(&["2", "1", "20", "Ann", "100", "Ukraine", "40"]),
            row(&["3", "2", "5", "Bob, Bob", "75", "Poland", "38"]),
            row(&["4", "3", "7", "∅", "∅", "∅", "∅"]),
            row(&["5", "∅", "1", "∅", "∅", "∅", "∅"]),
        ]
    );

    // Only the second level asked for: still joined through the first.
    let titles = rows(
        &client,
        &[
            ("column", "id"),
            ("column", "customers_countries__title"),
            ("sort", &sort_by_id),
        ],
    )
    .await;
    assert_eq!(titles[2], row(&["3", "Poland"]));
    assert_eq!(titles.len(), 5);

    // Pre-join: the related rows are filtered before they are collapsed, every order stays.
    let pre = enc(
        r#"[{"column":"customers__credit","operator":"gt","value":30,"placement":"pre-join"}]"#,
    );
    let pre_rows = rows(
        &client,
        &[
            ("column", "id"),
            ("column", "customers__credit"),
            ("filter", &pre),
            ("sort", &sort_by_id),
        ],
    )
    .await;
    assert_eq!(
        pre_rows,
        vec![
            row(&["1", "100"]),
            row(&["2", "100"]),
            row(&["3", "50"]),
            row(&["4", "∅"]),
            row(&["5", "∅"]),
        ]
    );
    // Post-join: the joined rows are filtered.
    let post = enc(r#"[{"column":"customers__credit","operator":"gt","value":80}]"#);
    let post_rows = rows(
        &client,
        &[
            ("column", "id"),
            ("column", "customers__credit"),
            ("filter", &post),
            ("sort", &sort_by_id),
        ],
    )
    .await;
    assert_eq!(post_rows, vec![row(&["1", "100"]), row(&["2", "100"])]);

    // Grouping by a second-level field.
    let by_title = enc(r#"[{"column":"customers_countries__title","direction":"asc"}]"#);
    let grouped = rows(
        &client,
        &[
            ("column", "customers_countries__title"),
            ("column", "amount"),
            (
                "aggregation",
                &enc(r#"[{"column":"amount","function":"SUM"}]"#),
            ),
            ("sort", &by_title),
        ],
    )
    .await;
    assert_eq!(
        grouped,
        vec![
            row(&["Poland", "5", "1"]),
            row(&["Ukraine", "30", "2"]),
            row(&["∅", "8", "2"]),
        ]
    );

    // A joined SUM counts each customer once per group (the metric sleeve), not once per order.
    let credit_sum = enc(r#"[{"column":"customers__credit","function":"SUM"}]"#);
    let sleeved = rows(
        &client,
        &[
            ("column", "customers_countries__title"),
            ("column", "customers__credit"),
            ("aggregation", &credit_sum),
            ("sort", &by_title),
        ],
    )
    .await;
    assert_eq!(
        sleeved,
        vec![
            row(&["Poland", "75", "1"]),
            row(&["Ukraine", "100", "2"]),
            row(&["∅", "∅", "2"]),
        ]
    );
    let total = rows(
        &client,
        &[
            ("column", "customers__credit"),
            ("aggregation", &credit_sum),
        ],
    )
    .await;
    assert_eq!(total, vec![row(&["175", "5"])]);

    // The totals query reads the same joined source.
    let c = compiled(&[("column", "customers__credit"), ("filter", &post)]).unwrap();
    let totals = run(&client, &c.totals.unwrap().statement).await;
    assert_eq!(totals.len(), 1);
    let (sum, min, max) = (&totals[0][0], &totals[0][2], &totals[0][3]);
    assert_eq!(
        (sum.as_str(), min.as_str(), max.as_str()),
        ("200", "100", "100")
    );

    // A report's Unique Count over a composite key groups by the selected columns.
    let mut query = parse_query(&pairs(&[
        ("column", "customer_id"),
        (
            "sort",
            &enc(r#"[{"column":"customer_id","direction":"asc"}]"#),
        ),
    ]))
    .unwrap();
    query.unique_count = Some(vec!["id".into(), "customer_id".into()]);
    let resolved = resolve_columns(&native(), &query).unwrap();
    let v = validate(&native(), &query, &resolved).unwrap();
    let orders = vec!["orders".to_string()];
    let c = compile(&v, &Postgres, Source::Table(&orders), &ctx()).unwrap();
    assert_eq!(c.columns, ["customer_id", "Unique Count"]);
    assert_eq!(
        run(&client, &c.statement).await,
        vec![
            row(&["1", "2"]),
            row(&["2", "1"]),
            row(&["3", "1"]),
            row(&["∅", "1"])
        ]
    );
    query.unique_count = Some(Vec::new());
    assert_eq!(
        validate(&native(), &query, &resolved),
        Err(QueryError::UniqueCountWithoutPrimaryKey)
    );

    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
}

#[test]
fn blend_validation_errors() {
    // A pre-join rule on something that is not a visible joined field.
    let pre = enc(r#"[{"column":"amount","operator":"gt","value":1,"placement":"pre-join"}]"#);
    match compiled(&[("filter", &pre)]) {
        Err(QueryError::DisconnectedColumns { columns }) => assert_eq!(columns, ["amount"]),
        other => panic!("{other:?}"),
    }
    // HAVING on a joined SUM is refused (the reference computes joined metrics separately).
    let having = |f: &str| {
        compiled(&[
            ("column", "customers__name"),
            ("column", "customers__credit"),
            (
                "aggregation",
                &enc(&format!(
                    r#"[{{"column":"customers__credit","function":"{f}"}}]"#
                )),
            ),
            (
                "filter",
                &enc(&format!(
                    r#"[{{"column":"customers__credit","operator":"gt","value":1,"function":"{f}"}}]"#
                )),
            ),
        ])
    };
    match having("SUM") {
        Err(QueryError::OutputControls { errors }) => assert!(
            matches!(
                &errors[..],
                [ValidationError::HavingOnBlendedSleeveMetricNotSupported { column, .. }]
                    if column == "customers__credit"
            ),
            "{errors:?}"
        ),
        other => panic!("{other:?}"),
    }
    // Joined fields are unknown to a plain request, and `**` lists them in order.
    let plain = parse_query(&pairs(&[("column", "customers__name")])).unwrap();
    assert!(matches!(
        resolve_columns(&native(), &plain),
        Err(QueryError::UnknownColumns { .. })
    ));
    let c = compiled(&[("columns", "**")]).unwrap();
    assert_eq!(
        c.columns,
        [
            "id",
            "customer_id",
            "amount",
            "customers__name",
            "customers__credit",
            "customers_countries__title",
            "customers_countries__population"
        ]
    );
    // The dedup function decides the joined field's type: a COUNT override makes a number.
    let mut f = joined("x__name", 0, "name", "STRING");
    f.dedup = AggregateFunction::Count;
    assert_eq!(f.reporting_field().category(), FieldCategory::Number);
}
