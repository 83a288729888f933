//! Running queries/*.sql outside psql. The files follow one convention
//! (queries/README.md): parameters are psql variables used as `:'name'`,
//! each given a default in a `\if :{?name} ... \endif` block. Here the
//! backslash lines are dropped and every `:'name'` becomes a quoted literal,
//! which is what psql does with `-v name=value`.

use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum QueryFileError {
    #[error("the query uses the variable :'{0}' but no value was given for it; pass it (psql: -v {0}=VALUE)")]
    MissingVariable(String),
}

/// The SQL of a queries/ file with `vars` substituted, without its trailing
/// semicolon, ready to wrap in a subquery.
pub fn render(sql: &str, vars: &BTreeMap<&str, &str>) -> Result<String, QueryFileError> {
    let mut out = String::new();
    for line in sql.lines() {
        if line.trim_start().starts_with('\\') {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find(":'") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            match after.find('\'') {
                Some(j) => {
                    let name = &after[..j];
                    let value = vars
                        .get(name)
                        .ok_or_else(|| QueryFileError::MissingVariable(name.to_string()))?;
                    out.push('\'');
                    out.push_str(&value.replace('\'', "''"));
                    out.push('\'');
                    rest = &after[j + 1..];
                }
                None => {
                    out.push_str(&rest[i..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out.push('\n');
    }
    let trimmed = out.trim_end().trim_end_matches(';').to_string();
    Ok(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_like_psql() {
        let sql =
            "-- q\n\\if :{?run}\n\\else\n  \\set run ''\n\\endif\nSELECT :'run' AS r, 1::int;\n";
        let vars = BTreeMap::from([("run", "it's")]);
        assert_eq!(
            render(sql, &vars).ok().as_deref(),
            Some("-- q\nSELECT 'it''s' AS r, 1::int")
        );
        assert!(render(sql, &BTreeMap::new()).is_err());
    }
}
