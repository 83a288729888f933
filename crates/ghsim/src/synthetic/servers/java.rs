//! Java servers.

use std::collections::BTreeMap;

use mcp_survey_model::{Sdk, Transport};

use super::{camel, java_pkg, Auth, ServerSpec};

pub(super) fn java_files(
    spec: &ServerSpec,
    description: &str,
    files: &mut BTreeMap<String, String>,
) {
    let pkg = java_pkg(&spec.owner);
    let class = spec.class_name();
    let host = if spec.service.host.is_empty() {
        "localhost"
    } else {
        spec.service.host
    };
    let tool = spec.service.tool;
    let tdesc = spec.service.tool_desc;
    let (fields, ctor, header) = match &spec.auth {
        Auth::EnvKey { var, required: true, .. } => (
            "    private final String apiKey;\n".to_string(),
            format!("        this.apiKey = System.getenv(\"{var}\");\n        if (apiKey == null || apiKey.isBlank()) {{\n            throw new IllegalStateException(\"{var} environment variable is required\");\n        }}\n"),
            ".header(\"Authorization\", \"Bearer \" + apiKey)".to_string(),
        ),
        Auth::EnvKey { var, .. } => (
            "    private final String token;\n".to_string(),
            format!("        // Optional: anonymous access works with lower limits.\n        this.token = System.getenv(\"{var}\");\n"),
            "".to_string(),
        ),
        Auth::Basic { user, pass } => (
            "    private final String credentials;\n".to_string(),
            format!("        String user = System.getenv(\"{user}\");\n        String password = System.getenv(\"{pass}\");\n        if (user == null || password == null) {{\n            throw new IllegalStateException(\"{user} and {pass} are required\");\n        }}\n        this.credentials = java.util.Base64.getEncoder().encodeToString((user + \":\" + password).getBytes());\n"),
            ".header(\"Authorization\", \"Basic \" + credentials)".to_string(),
        ),
        Auth::Conn { var, .. } => (
            "    private final java.sql.Connection connection;\n".to_string(),
            format!("        String url = System.getenv(\"{var}\");\n        if (url == null) {{\n            throw new IllegalStateException(\"{var} is required\");\n        }}\n        try {{\n            this.connection = java.sql.DriverManager.getConnection(url);\n        }} catch (java.sql.SQLException e) {{\n            throw new IllegalStateException(e);\n        }}\n"),
            "".to_string(),
        ),
        _ => (String::new(), String::new(), String::new()),
    };
    let method = format!(
        "    public String {}(String query) throws Exception {{\n        HttpRequest request = HttpRequest.newBuilder(URI.create(\"https://{host}/v1/{tool}?q=\" + query)){header}.build();\n        return http.send(request, HttpResponse.BodyHandlers.ofString()).body();\n    }}\n",
        camel_lower(tool)
    );
    let main_path = format!("src/main/java/com/{pkg}/mcp/{class}Server.java");
    let (src, pom_dep, props) = if spec.sdk == Sdk::SpringAi {
        let src = format!(
            "package com.{pkg}.mcp;\n\nimport java.net.URI;\nimport java.net.http.HttpClient;\nimport java.net.http.HttpRequest;\nimport java.net.http.HttpResponse;\n\nimport org.springframework.ai.tool.ToolCallbackProvider;\nimport org.springframework.ai.tool.annotation.Tool;\nimport org.springframework.ai.tool.method.MethodToolCallbackProvider;\nimport org.springframework.boot.SpringApplication;\nimport org.springframework.boot.autoconfigure.SpringBootApplication;\nimport org.springframework.context.annotation.Bean;\nimport org.springframework.stereotype.Service;\n\n@SpringBootApplication\npublic class {class}Server {{\n\n    public static void main(String[] args) {{\n        SpringApplication.run({class}Server.class, args);\n    }}\n\n    @Bean\n    public ToolCallbackProvider tools({class}Service service) {{\n        return MethodToolCallbackProvider.builder().toolObjects(service).build();\n    }}\n\n    @Service\n    public static class {class}Service {{\n        private final HttpClient http = HttpClient.newHttpClient();\n    {fields}\n        public {class}Service() {{\n    {ctor}        }}\n\n        @Tool(description = \"{tdesc}\")\n    {method}    }}\n}}\n"
        );
        let starter = if spec.transports.contains(&Transport::Sse) {
            "spring-ai-starter-mcp-server-webmvc"
        } else {
            "spring-ai-starter-mcp-server"
        };
        let dep = format!("        <dependency>\n            <groupId>org.springframework.ai</groupId>\n            <artifactId>{starter}</artifactId>\n        </dependency>\n");
        let props = if spec.transports.contains(&Transport::Sse) {
            format!("spring.ai.mcp.server.name={}\nspring.ai.mcp.server.version=1.0.0\nserver.port=8080\n", spec.name)
        } else {
            format!("spring.ai.mcp.server.name={}\nspring.ai.mcp.server.version=1.0.0\nspring.ai.mcp.server.stdio=true\nspring.main.web-application-type=none\nspring.main.banner-mode=off\nlogging.pattern.console=\n", spec.name)
        };
        (src, dep, Some(props))
    } else {
        let src = format!(
            "package com.{pkg}.mcp;\n\nimport java.net.URI;\nimport java.net.http.HttpClient;\nimport java.net.http.HttpRequest;\nimport java.net.http.HttpResponse;\nimport java.util.List;\n\nimport com.fasterxml.jackson.databind.ObjectMapper;\nimport io.modelcontextprotocol.server.McpServer;\nimport io.modelcontextprotocol.server.McpServerFeatures;\nimport io.modelcontextprotocol.server.transport.StdioServerTransportProvider;\nimport io.modelcontextprotocol.spec.McpSchema;\n\npublic class {class}Server {{\n    private final HttpClient http = HttpClient.newHttpClient();\n{fields}\n    public {class}Server() {{\n{ctor}    }}\n\n{method}\n    public static void main(String[] args) {{\n        {class}Server self = new {class}Server();\n        var transport = new StdioServerTransportProvider(new ObjectMapper());\n        var tool = new McpSchema.Tool(\"{tool}\", \"{tdesc}\", \"{{\\\"type\\\":\\\"object\\\",\\\"properties\\\":{{\\\"query\\\":{{\\\"type\\\":\\\"string\\\"}}}}}}\");\n        McpServer.sync(transport)\n            .serverInfo(\"{}\", \"1.0.0\")\n            .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())\n            .tools(new McpServerFeatures.SyncToolSpecification(tool, (exchange, arguments) -> {{\n                try {{\n                    String text = self.{}((String) arguments.get(\"query\"));\n                    return new McpSchema.CallToolResult(List.of(new McpSchema.TextContent(text)), false);\n                }} catch (Exception e) {{\n                    return new McpSchema.CallToolResult(List.of(new McpSchema.TextContent(e.getMessage())), true);\n                }}\n            }}))\n            .build();\n    }}\n}}\n",
            spec.name,
            camel_lower(tool)
        );
        let dep = "        <dependency>\n            <groupId>io.modelcontextprotocol.sdk</groupId>\n            <artifactId>mcp</artifactId>\n            <version>0.11.0</version>\n        </dependency>\n".to_string();
        (src, dep, None)
    };
    files.insert(main_path, src);
    if let Some(p) = props {
        files.insert("src/main/resources/application.properties".into(), p);
    }
    let bom = if spec.sdk == Sdk::SpringAi {
        "    <dependencyManagement>\n        <dependencies>\n            <dependency>\n                <groupId>org.springframework.ai</groupId>\n                <artifactId>spring-ai-bom</artifactId>\n                <version>1.0.1</version>\n                <type>pom</type>\n                <scope>import</scope>\n            </dependency>\n        </dependencies>\n    </dependencyManagement>\n"
    } else {
        ""
    };
    files.insert(
        "pom.xml".into(),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n    <modelVersion>4.0.0</modelVersion>\n    <groupId>com.{pkg}</groupId>\n    <artifactId>{}</artifactId>\n    <version>0.1.0</version>\n    <description>{}</description>\n    <properties>\n        <java.version>21</java.version>\n    </properties>\n{bom}    <dependencies>\n{pom_dep}    </dependencies>\n</project>\n",
            spec.name,
            description.replace('&', "and").replace(['<', '>'], "")
        ),
    );
}

pub(super) fn camel_lower(s: &str) -> String {
    let c = camel(s);
    let mut chars = c.chars();
    match chars.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + chars.as_str(),
        None => c,
    }
}
