//! A minimal RFC 4180 writer: the tables are small and flat, so a CSV crate
//! would add a dependency for a dozen lines.

/// Quotes a field when it holds a comma, a quote or a line break.
pub fn field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// A header line and rows, each line ended by `\n`.
pub fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = line(header.iter().map(|h| h.to_string()));
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

fn line(cells: impl IntoIterator<Item = String>) -> String {
    let mut s = cells
        .into_iter()
        .map(|c| field(&c))
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    s
}

/// Parses what [`table`] writes (for tests and for reading reports back).
pub fn parse(text: &str) -> Vec<Vec<String>> {
    records(text).into_iter().map(|(_, row)| row).collect()
}

/// Like [`parse`], with the 1-based line each record starts on, so an error
/// in a file a person edited can name the line to look at.
pub fn records(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                cell.push(c)
            }
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push((start, std::mem::take(&mut row)));
                line += 1;
                start = line;
            }
            (false, '\r') => {}
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push((start, row));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_awkward_fields() {
        let text = table(
            &["a", "b"],
            [vec!["x,y".to_string(), "say \"hi\"\nthere".to_string()]],
        );
        assert_eq!(
            parse(&text),
            vec![
                vec!["a".to_string(), "b".to_string()],
                vec!["x,y".to_string(), "say \"hi\"\nthere".to_string()]
            ]
        );
        let lines: Vec<usize> = records(&format!("{text}a,b\n"))
            .iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(
            lines,
            vec![1, 2, 4],
            "a quoted line break moves the next record down"
        );
    }
}
