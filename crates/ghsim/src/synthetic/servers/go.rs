//! Go servers.

use std::collections::BTreeMap;

use mcp_survey_model::{Sdk, Transport};

use super::{Auth, ServerSpec};

pub(super) fn go_files(spec: &ServerSpec, files: &mut BTreeMap<String, String>) {
    let host = spec.service.host;
    let tool = spec.service.tool;
    let tdesc = spec.service.tool_desc;
    let mut imports = vec![
        "\"context\"",
        "\"fmt\"",
        "\"log\"",
        "\"net/http\"",
        "\"os\"",
    ];
    let mut extra_require = Vec::new();
    let (setup, call) = match &spec.auth {
        Auth::None => (String::new(), format!("resp, err := http.Get(\"https://{}/api?q=\" + query)", if host.is_empty() { "localhost" } else { host })),
        Auth::EnvKey { var, required: true, .. } => (
            format!("\tapiKey := os.Getenv(\"{var}\")\n\tif apiKey == \"\" {{\n\t\tlog.Fatal(\"{var} environment variable is required\")\n\t}}\n"),
            format!("req, _ := http.NewRequestWithContext(ctx, \"GET\", \"https://{host}/v1/{tool}?q=\"+query, nil)\n\t\treq.Header.Set(\"Authorization\", \"Bearer \"+apiKey)\n\t\tresp, err := http.DefaultClient.Do(req)"),
        ),
        Auth::EnvKey { var, .. } => (
            format!("\t// Optional: only raises the rate limit.\n\ttoken := os.Getenv(\"{var}\")\n"),
            format!("req, _ := http.NewRequestWithContext(ctx, \"GET\", \"https://{host}/v1/{tool}?q=\"+query, nil)\n\t\tif token != \"\" {{\n\t\t\treq.Header.Set(\"Authorization\", \"Bearer \"+token)\n\t\t}}\n\t\tresp, err := http.DefaultClient.Do(req)"),
        ),
        Auth::Basic { user, pass } => (
            format!("\tuser, password := os.Getenv(\"{user}\"), os.Getenv(\"{pass}\")\n\tif user == \"\" || password == \"\" {{\n\t\tlog.Fatal(\"{user} and {pass} must be set\")\n\t}}\n"),
            format!("req, _ := http.NewRequestWithContext(ctx, \"GET\", \"https://{host}/api/search?q=\"+query, nil)\n\t\treq.SetBasicAuth(user, password)\n\t\tresp, err := http.DefaultClient.Do(req)"),
        ),
        Auth::Conn { var, .. } => {
            imports.push("\"database/sql\"");
            imports.push("_ \"github.com/lib/pq\"");
            extra_require.push("\tgithub.com/lib/pq v1.10.9");
            (
                format!("\tdsn := os.Getenv(\"{var}\")\n\tif dsn == \"\" {{\n\t\tlog.Fatal(\"{var} is required\")\n\t}}\n\tdb, err := sql.Open(\"postgres\", dsn)\n\tif err != nil {{\n\t\tlog.Fatal(err)\n\t}}\n"),
                "rows, err := db.QueryContext(ctx, query)\n\t\tif err == nil {\n\t\t\trows.Close()\n\t\t}\n\t\tresp := (*http.Response)(nil)".into(),
            )
        }
        Auth::CliArg => {
            imports.push("\"flag\"");
            (
                "\tapiKey := flag.String(\"api-key\", \"\", \"API key\")\n\tflag.Parse()\n\tif *apiKey == \"\" {\n\t\tlog.Fatal(\"--api-key is required\")\n\t}\n".into(),
                format!("req, _ := http.NewRequestWithContext(ctx, \"GET\", \"https://{host}/v1/{tool}?q=\"+query, nil)\n\t\treq.Header.Set(\"Authorization\", \"Bearer \"+*apiKey)\n\t\tresp, err := http.DefaultClient.Do(req)"),
            )
        }
        Auth::InboundBearer { var } => (
            format!("\tauthToken := os.Getenv(\"{var}\")\n\tif authToken == \"\" {{\n\t\tlog.Fatal(\"{var} must be set\")\n\t}}\n"),
            "resp := (*http.Response)(nil)\n\t\tvar err error".into(),
        ),
        _ => (String::new(), "resp, err := http.Get(\"https://example.com\")".into()),
    };
    let handler_body = format!(
        "\t\t{call}\n\t\tif err != nil {{\n\t\t\treturn nil, fmt.Errorf(\"{tool}: %w\", err)\n\t\t}}\n\t\t_ = resp\n\t\treturn mcp.NewToolResultText(fmt.Sprintf(\"results for %s\", query)), nil\n"
    );
    let mut src = String::from("package main\n\nimport (\n");
    let (module_req, sdk_imports) = if spec.sdk == Sdk::McpGo {
        (
            "\tgithub.com/mark3labs/mcp-go v0.32.0",
            vec![
                "\"github.com/mark3labs/mcp-go/mcp\"",
                "\"github.com/mark3labs/mcp-go/server\"",
            ],
        )
    } else {
        (
            "\tgithub.com/modelcontextprotocol/go-sdk v0.2.0",
            vec!["\"github.com/modelcontextprotocol/go-sdk/mcp\""],
        )
    };
    for i in &imports {
        src.push_str(&format!("\t{i}\n"));
    }
    src.push('\n');
    for i in &sdk_imports {
        src.push_str(&format!("\t{i}\n"));
    }
    src.push_str(")\n\n");
    let wrap = if let Auth::InboundBearer { .. } = spec.auth {
        "func requireToken(token string, next http.Handler) http.Handler {\n\treturn http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {\n\t\tif r.Header.Get(\"Authorization\") != \"Bearer \"+token {\n\t\t\thttp.Error(w, \"unauthorized\", http.StatusUnauthorized)\n\t\t\treturn\n\t\t}\n\t\tnext.ServeHTTP(w, r)\n\t})\n}\n\n"
    } else {
        ""
    };
    src.push_str(wrap);
    if spec.sdk == Sdk::McpGo {
        src.push_str(&format!(
            "func main() {{\n{setup}\n\ts := server.NewMCPServer(\"{}\", \"1.0.0\", server.WithToolCapabilities(true))\n\n\ttool := mcp.NewTool(\"{tool}\",\n\t\tmcp.WithDescription(\"{tdesc}\"),\n\t\tmcp.WithString(\"query\", mcp.Required(), mcp.Description(\"What to look up\")),\n\t)\n\ts.AddTool(tool, func(ctx context.Context, request mcp.CallToolRequest) (*mcp.CallToolResult, error) {{\n\t\tquery, err := request.RequireString(\"query\")\n\t\tif err != nil {{\n\t\t\treturn mcp.NewToolResultError(err.Error()), nil\n\t\t}}\n{handler_body}\t}})\n\n",
            spec.name
        ));
        if let Auth::InboundBearer { .. } = spec.auth {
            src.push_str("\thttpServer := server.NewStreamableHTTPServer(s)\n\tlog.Fatal(http.ListenAndServe(\":8080\", requireToken(authToken, httpServer)))\n}\n");
        } else if spec.transports.contains(&Transport::Http) && spec.stdio() {
            src.push_str("\tif len(os.Args) > 1 && os.Args[1] == \"http\" {\n\t\tif err := server.NewStreamableHTTPServer(s).Start(\":8080\"); err != nil {\n\t\t\tlog.Fatal(err)\n\t\t}\n\t\treturn\n\t}\n\tif err := server.ServeStdio(s); err != nil {\n\t\tlog.Fatalf(\"server error: %v\", err)\n\t}\n}\n");
        } else if spec.transports.contains(&Transport::Http) {
            src.push_str("\thttpServer := server.NewStreamableHTTPServer(s)\n\tif err := httpServer.Start(\":8080\"); err != nil {\n\t\tlog.Fatal(err)\n\t}\n}\n");
        } else if spec.transports.contains(&Transport::Sse) {
            src.push_str("\tsse := server.NewSSEServer(s, server.WithBaseURL(\"http://localhost:8080\"))\n\tif err := sse.Start(\":8080\"); err != nil {\n\t\tlog.Fatal(err)\n\t}\n}\n");
        } else {
            src.push_str("\tif err := server.ServeStdio(s); err != nil {\n\t\tlog.Fatalf(\"server error: %v\", err)\n\t}\n}\n");
        }
    } else {
        let body = handler_body
            .replace("mcp.NewToolResultText(fmt.Sprintf(\"results for %s\", query)), nil", "&mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: \"results for \" + query}}}, nil, nil")
            .replace("return nil, fmt.Errorf", "return nil, nil, fmt.Errorf");
        src.push_str(&format!(
            "type Args struct {{\n\tQuery string `json:\"query\" jsonschema:\"what to look up\"`\n}}\n\nfunc main() {{\n{setup}\n\ts := mcp.NewServer(&mcp.Implementation{{Name: \"{}\", Version: \"v1.0.0\"}}, nil)\n\tmcp.AddTool(s, &mcp.Tool{{Name: \"{tool}\", Description: \"{tdesc}\"}}, func(ctx context.Context, req *mcp.CallToolRequest, args Args) (*mcp.CallToolResult, any, error) {{\n\t\tquery := args.Query\n{body}\t}})\n\n",
            spec.name
        ));
        if let Auth::InboundBearer { .. } = spec.auth {
            src.push_str("\thandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)\n\tlog.Fatal(http.ListenAndServe(\":8080\", requireToken(authToken, handler)))\n}\n");
        } else if spec.transports.contains(&Transport::Http) && !spec.stdio() {
            src.push_str("\thandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)\n\tlog.Fatal(http.ListenAndServe(\":8080\", handler))\n}\n");
        } else if spec.transports.contains(&Transport::Http) {
            src.push_str("\tif len(os.Args) > 1 && os.Args[1] == \"http\" {\n\t\thandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)\n\t\tlog.Fatal(http.ListenAndServe(\":8080\", handler))\n\t}\n\tif err := s.Run(context.Background(), &mcp.StdioTransport{}); err != nil {\n\t\tlog.Fatal(err)\n\t}\n}\n");
        } else {
            src.push_str("\tif err := s.Run(context.Background(), &mcp.StdioTransport{}); err != nil {\n\t\tlog.Fatal(err)\n\t}\n}\n");
        }
    }
    files.insert("main.go".into(), src);
    let mut req = vec![module_req.to_string()];
    req.extend(extra_require.iter().map(|s| s.to_string()));
    files.insert(
        "go.mod".into(),
        format!(
            "module github.com/{}/{}\n\ngo 1.23\n\nrequire (\n{}\n)\n",
            spec.owner,
            spec.name,
            req.join("\n")
        ),
    );
}
