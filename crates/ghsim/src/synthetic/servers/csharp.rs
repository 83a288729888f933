//! C# servers.

use std::collections::BTreeMap;

use mcp_survey_model::Transport;

use super::{camel, Auth, ServerSpec};

pub(super) fn csharp_files(
    spec: &ServerSpec,
    description: &str,
    files: &mut BTreeMap<String, String>,
) {
    let class = spec.class_name();
    let host = if spec.service.host.is_empty() {
        "localhost"
    } else {
        spec.service.host
    };
    let tool = camel(spec.service.tool);
    let tdesc = spec.service.tool_desc;
    let (setup, header) = match &spec.auth {
        Auth::EnvKey { var, required: true, .. } => (
            format!("var apiKey = Environment.GetEnvironmentVariable(\"{var}\")\n    ?? throw new InvalidOperationException(\"{var} environment variable is required\");\n"),
            "http.DefaultRequestHeaders.Authorization = new(\"Bearer\", apiKey);".to_string(),
        ),
        Auth::EnvKey { var, .. } => (
            format!("// Optional: raises the rate limit when set.\nvar token = Environment.GetEnvironmentVariable(\"{var}\");\n"),
            "if (!string.IsNullOrEmpty(token)) http.DefaultRequestHeaders.Authorization = new(\"Bearer\", token);".to_string(),
        ),
        Auth::Basic { user, pass } => (
            format!("var user = Environment.GetEnvironmentVariable(\"{user}\") ?? throw new InvalidOperationException(\"{user} is required\");\nvar password = Environment.GetEnvironmentVariable(\"{pass}\") ?? throw new InvalidOperationException(\"{pass} is required\");\n"),
            "http.DefaultRequestHeaders.Authorization = new(\"Basic\", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($\"{user}:{password}\")));".to_string(),
        ),
        Auth::Conn { var, .. } => (
            format!("var connectionString = Environment.GetEnvironmentVariable(\"{var}\")\n    ?? throw new InvalidOperationException(\"{var} is required\");\nawait using var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString);\n"),
            String::new(),
        ),
        _ => (String::new(), String::new()),
    };
    let http =
        spec.transports.contains(&Transport::Http) || spec.transports.contains(&Transport::Sse);
    let host_setup = if http {
        "var builder = WebApplication.CreateBuilder(args);\nbuilder.Services.AddHttpClient();\nbuilder.Services.AddMcpServer()\n    .WithHttpTransport()\n    .WithToolsFromAssembly();\nvar app = builder.Build();\napp.MapMcp();\nawait app.RunAsync();\n"
    } else {
        "var builder = Host.CreateApplicationBuilder(args);\nbuilder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);\nbuilder.Services.AddSingleton(http);\nbuilder.Services.AddMcpServer()\n    .WithStdioServerTransport()\n    .WithToolsFromAssembly();\nawait builder.Build().RunAsync();\n"
    };
    let src = format!(
        "using System.ComponentModel;\nusing Microsoft.Extensions.DependencyInjection;\nusing Microsoft.Extensions.Hosting;\nusing Microsoft.Extensions.Logging;\nusing ModelContextProtocol.Server;\n\n{setup}var http = new HttpClient {{ BaseAddress = new Uri(\"https://{host}/\") }};\n{header}\n\n{host_setup}\n[McpServerToolType]\npublic static class {class}Tools\n{{\n    [McpServerTool, Description(\"{tdesc}\")]\n    public static async Task<string> {tool}(HttpClient http, [Description(\"What to look up\")] string query)\n    {{\n        return await http.GetStringAsync($\"v1/{}?q={{Uri.EscapeDataString(query)}}\");\n    }}\n}}\n",
        spec.service.tool
    );
    files.insert("Program.cs".into(), src);
    let sdk_pkg = if http {
        "ModelContextProtocol.AspNetCore"
    } else {
        "ModelContextProtocol"
    };
    let npgsql = if matches!(spec.auth, Auth::Conn { .. }) {
        "    <PackageReference Include=\"Npgsql\" Version=\"9.0.2\" />\n"
    } else {
        ""
    };
    files.insert(
        format!("{}.csproj", camel(&spec.name)),
        format!(
            "<Project Sdk=\"Microsoft.NET.Sdk{}\">\n  <PropertyGroup>\n    <OutputType>Exe</OutputType>\n    <TargetFramework>net9.0</TargetFramework>\n    <Description>{}</Description>\n  </PropertyGroup>\n  <ItemGroup>\n    <PackageReference Include=\"{sdk_pkg}\" Version=\"0.3.0-preview.4\" />\n    <PackageReference Include=\"Microsoft.Extensions.Hosting\" Version=\"9.0.0\" />\n{npgsql}  </ItemGroup>\n</Project>\n",
            if http { ".Web" } else { "" },
            description.replace('&', "and").replace(['<', '>'], "")
        ),
    );
}
