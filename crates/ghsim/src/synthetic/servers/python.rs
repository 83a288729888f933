//! Python servers.

use std::collections::BTreeMap;

use mcp_survey_model::{Sdk, Transport};

use super::{Auth, ServerSpec};
use crate::synthetic::catalog::*;

pub(super) fn python_auth(spec: &ServerSpec) -> (Vec<&'static str>, String, Vec<&'static str>) {
    let host = spec.service.host;
    let slug = spec.service.slug;
    let mut imports = vec!["import os", "import sys"];
    let mut deps = vec!["httpx>=0.28.1"];
    let code = match &spec.auth {
        Auth::None => "def auth_headers() -> dict:\n    return {}\n".to_string(),
        Auth::EnvKey { var, required: true, extra, .. } => {
            let mut s = format!(
                "API_TOKEN = os.environ.get(\"{var}\")\nif not API_TOKEN:\n    print(\"Error: {var} environment variable is required\", file=sys.stderr)\n    sys.exit(1)\n"
            );
            if let Some(e) = extra {
                s.push_str(&format!("{} = os.environ.get(\"{e}\", \"https://{host}\")\n", if e.contains("EMAIL") || e.contains("USERNAME") { "ACCOUNT" } else { "BASE_URL" }));
            }
            s.push_str("\n\ndef auth_headers() -> dict:\n    return {\"Authorization\": f\"Bearer {API_TOKEN}\"}\n");
            s
        }
        Auth::EnvKey { var, .. } => format!(
            "# Optional: anonymous requests work, {var} only raises the rate limit.\nTOKEN = os.getenv(\"{var}\")\n\n\ndef auth_headers() -> dict:\n    return {{\"Authorization\": f\"Bearer {{TOKEN}}\"}} if TOKEN else {{}}\n"
        ),
        Auth::Basic { user, pass } => format!(
            "USERNAME = os.environ[\"{user}\"]\nPASSWORD = os.environ[\"{pass}\"]\n\n\ndef auth() -> httpx.BasicAuth:\n    return httpx.BasicAuth(USERNAME, PASSWORD)\n\n\ndef auth_headers() -> dict:\n    return {{}}\n"
        ),
        Auth::Conn { var, example } => {
            if example.starts_with("postgres") {
                imports.push("import psycopg");
                deps.push("psycopg[binary]>=3.2");
                format!("DATABASE_URL = os.environ.get(\"{var}\")\nif not DATABASE_URL:\n    raise SystemExit(\"{var} is not set\")\n\n\ndef connect():\n    return psycopg.connect(DATABASE_URL)\n\n\ndef auth_headers() -> dict:\n    return {{}}\n")
            } else if example.starts_with("mongodb") {
                imports.push("from pymongo import MongoClient");
                deps.push("pymongo>=4.10");
                format!("client = MongoClient(os.environ[\"{var}\"])\n\n\ndef auth_headers() -> dict:\n    return {{}}\n")
            } else {
                imports.push("import sqlalchemy");
                deps.push("sqlalchemy>=2.0");
                format!("engine = sqlalchemy.create_engine(os.environ[\"{var}\"])\n\n\ndef auth_headers() -> dict:\n    return {{}}\n")
            }
        }
        Auth::AwsProfile => {
            imports.push("import boto3");
            deps.push("boto3>=1.35");
            "session = boto3.Session(profile_name=os.getenv(\"AWS_PROFILE\", \"default\"), region_name=os.getenv(\"AWS_REGION\", \"us-east-1\"))\ns3 = session.client(\"s3\")\n\n\ndef auth_headers() -> dict:\n    return {}\n".to_string()
        }
        Auth::AwsKeys => {
            imports.push("import boto3");
            deps.push("boto3>=1.35");
            "s3 = boto3.client(\n    \"s3\",\n    aws_access_key_id=os.environ[\"AWS_ACCESS_KEY_ID\"],\n    aws_secret_access_key=os.environ[\"AWS_SECRET_ACCESS_KEY\"],\n    region_name=os.getenv(\"AWS_REGION\", \"us-east-1\"),\n)\n\n\ndef auth_headers() -> dict:\n    return {}\n".to_string()
        }
        Auth::Delegated { prefix, flow: OAuthFlow::AuthorizationCode } => {
            imports.push("from google_auth_oauthlib.flow import InstalledAppFlow");
            deps.push("google-auth-oauthlib>=1.2");
            format!(
                "SCOPES = [\"https://www.googleapis.com/auth/drive.readonly\"]\n_creds = None\n\n\ndef credentials():\n    \"\"\"Run the OAuth authorization code flow in a browser on first use.\"\"\"\n    global _creds\n    if _creds is None:\n        flow = InstalledAppFlow.from_client_config(\n            {{\n                \"installed\": {{\n                    \"client_id\": os.environ[\"{prefix}_CLIENT_ID\"],\n                    \"client_secret\": os.environ[\"{prefix}_CLIENT_SECRET\"],\n                    \"auth_uri\": \"https://{host}/o/oauth2/auth\",\n                    \"token_uri\": \"https://{host}/token\",\n                }}\n            }},\n            SCOPES,\n        )\n        _creds = flow.run_local_server(port=0)\n    return _creds\n\n\ndef auth_headers() -> dict:\n    return {{\"Authorization\": f\"Bearer {{credentials().token}}\"}}\n"
            )
        }
        Auth::Delegated { prefix, flow: OAuthFlow::DeviceCode } => {
            imports.push("import msal");
            deps.push("msal>=1.31");
            format!(
                "app = msal.PublicClientApplication(\n    os.getenv(\"{prefix}_CLIENT_ID\", \"14d82eec-204b-4c2f-b7e8-296a70dab67e\"),\n    authority=\"https://login.microsoftonline.com/common\",\n)\n_token = None\n\n\ndef auth_headers() -> dict:\n    global _token\n    if _token is None:\n        flow = app.initiate_device_flow(scopes=[\"Mail.Read\"])\n        print(flow[\"message\"], file=sys.stderr)\n        _token = app.acquire_token_by_device_flow(flow)[\"access_token\"]\n    return {{\"Authorization\": f\"Bearer {{_token}}\"}}\n"
            )
        }
        Auth::Delegated { prefix, .. } => format!(
            "CLIENT_ID = os.environ[\"{prefix}_CLIENT_ID\"]\nCLIENT_SECRET = os.environ[\"{prefix}_CLIENT_SECRET\"]\nREFRESH_TOKEN = os.environ[\"{prefix}_REFRESH_TOKEN\"]\n\n\ndef auth_headers() -> dict:\n    # Exchange the refresh token for a fresh access token.\n    resp = httpx.post(\n        \"https://accounts.{host}/api/token\",\n        data={{\"grant_type\": \"refresh_token\", \"refresh_token\": REFRESH_TOKEN}},\n        auth=(CLIENT_ID, CLIENT_SECRET),\n    )\n    resp.raise_for_status()\n    return {{\"Authorization\": f\"Bearer {{resp.json()['access_token']}}\"}}\n"
        ),
        Auth::ResourceServer => {
            imports.push("from mcp.server.auth.settings import AuthSettings");
            imports.push("from mcp.server.auth.provider import AccessToken, TokenVerifier");
            "ISSUER = os.getenv(\"AUTH_ISSUER_URL\", \"https://auth.example.com\")\nRESOURCE_URL = os.getenv(\"RESOURCE_URL\", \"http://localhost:8000\")\n\n\nclass IntrospectionVerifier(TokenVerifier):\n    \"\"\"Validates bearer tokens with the authorization server (RFC 7662).\"\"\"\n\n    async def verify_token(self, token: str) -> AccessToken | None:\n        async with httpx.AsyncClient() as client:\n            resp = await client.post(f\"{ISSUER}/introspect\", data={\"token\": token})\n        data = resp.json()\n        if not data.get(\"active\"):\n            return None\n        return AccessToken(token=token, client_id=data[\"client_id\"], scopes=data.get(\"scope\", \"\").split())\n\n\ndef auth_headers() -> dict:\n    return {}\n".to_string()
        }
        Auth::InboundBearer { var } => format!(
            "AUTH_TOKEN = os.environ.get(\"{var}\")\nif not AUTH_TOKEN:\n    sys.exit(\"{var} must be set: the HTTP endpoint refuses to run unprotected\")\n\n\ndef auth_headers() -> dict:\n    return {{}}\n"
        ),
        Auth::CliArg => {
            imports.push("import argparse");
            "parser = argparse.ArgumentParser()\nparser.add_argument(\"--api-key\", required=True, help=\"Your API key\")\nARGS = parser.parse_args()\n\n\ndef auth_headers() -> dict:\n    return {\"Authorization\": f\"Bearer {ARGS.api_key}\"}\n".to_string()
        }
        Auth::ConfigFile => {
            imports.push("import json");
            imports.push("from pathlib import Path");
            format!(
                "CONFIG = Path.home() / \".config\" / \"{slug}\" / \"config.json\"\ntry:\n    API_KEY = json.loads(CONFIG.read_text())[\"api_key\"]\nexcept (OSError, KeyError):\n    sys.exit(f\"Put {{{{\\\"api_key\\\": \\\"...\\\"}}}} in {{CONFIG}}\")\n\n\ndef auth_headers() -> dict:\n    return {{\"Authorization\": f\"Bearer {{API_KEY}}\"}}\n"
            )
        }
    };
    (imports, code, deps)
}

pub(super) fn python_tool_body(spec: &ServerSpec) -> String {
    let host = spec.service.host;
    match &spec.auth {
        Auth::Conn { example, .. } if example.starts_with("postgres") => "with connect() as conn:\n        rows = conn.execute(query).fetchall()\n    return str(rows)".into(),
        Auth::Conn { example, .. } if example.starts_with("mongodb") => "docs = client.get_default_database()[\"items\"].find({\"$text\": {\"$search\": query}})\n    return str(list(docs))".into(),
        Auth::Conn { .. } => "with engine.connect() as conn:\n        rows = conn.execute(sqlalchemy.text(query)).fetchall()\n    return str(rows)".into(),
        Auth::AwsProfile | Auth::AwsKeys => "resp = s3.list_objects_v2(Bucket=query)\n    return str([o[\"Key\"] for o in resp.get(\"Contents\", [])])".into(),
        Auth::ResourceServer | Auth::InboundBearer { .. } => "return str([item for item in STORE if query in item])".into(),
        Auth::Basic { .. } => format!("async with httpx.AsyncClient(auth=auth()) as client:\n        resp = await client.get(\"https://{host}/api/search\", params={{\"q\": query}})\n    resp.raise_for_status()\n    return resp.text"),
        _ if host.is_empty() => "return f\"processed: {query}\"".into(),
        _ => format!("async with httpx.AsyncClient() as client:\n        resp = await client.get(\"https://{host}/v1/{}\", params={{\"q\": query}}, headers=auth_headers())\n    resp.raise_for_status()\n    return resp.text", spec.service.tool),
    }
}

pub(super) fn python_files(
    spec: &ServerSpec,
    description: &str,
    files: &mut BTreeMap<String, String>,
) {
    let (auth_imports, auth_code, mut deps) = python_auth(spec);
    let tool = spec.service.tool;
    let tdesc = spec.service.tool_desc;
    let body = python_tool_body(spec);
    let fast = spec.sdk == Sdk::Fastmcp;
    let low = spec.low_level
        && !fast
        && spec.stdio()
        && !spec.http()
        && spec.auth != Auth::ResourceServer;
    let mut src = format!("\"\"\"{description}.\"\"\"\n\n");
    for i in &auth_imports {
        src.push_str(i);
        src.push('\n');
    }
    src.push_str("\nimport httpx\n");
    if fast {
        src.push_str("from fastmcp import FastMCP\n");
        deps.insert(0, "fastmcp>=2.10.0");
    } else if low {
        src.push_str("import anyio\nimport mcp.types as types\nfrom mcp.server.lowlevel import Server\nfrom mcp.server.stdio import stdio_server\n");
        deps.insert(0, "mcp>=1.10.0");
    } else {
        src.push_str("from mcp.server.fastmcp import FastMCP\n");
        deps.insert(0, "mcp[cli]>=1.10.0");
    }
    src.push('\n');
    src.push_str(&auth_code);
    if matches!(spec.auth, Auth::ResourceServer | Auth::InboundBearer { .. }) {
        src.push_str("\nSTORE: list[str] = []\n");
    }
    src.push('\n');
    if low {
        src.push_str(&format!(
            "server = Server(\"{}\")\n\n\n@server.list_tools()\nasync def list_tools() -> list[types.Tool]:\n    return [\n        types.Tool(\n            name=\"{tool}\",\n            description=\"{tdesc}\",\n            inputSchema={{\"type\": \"object\", \"properties\": {{\"query\": {{\"type\": \"string\"}}}}, \"required\": [\"query\"]}},\n        )\n    ]\n\n\n@server.call_tool()\nasync def call_tool(name: str, arguments: dict) -> list[types.TextContent]:\n    return [types.TextContent(type=\"text\", text=await {tool}(arguments[\"query\"]))]\n\n\nasync def {tool}(query: str) -> str:\n    {body}\n\n\nasync def run() -> None:\n    async with stdio_server() as (read, write):\n        await server.run(read, write, server.create_initialization_options())\n\n\ndef main() -> None:\n    anyio.run(run)\n\n\nif __name__ == \"__main__\":\n    main()\n",
            spec.name
        ));
    } else {
        let ctor = match &spec.auth {
            Auth::ResourceServer => format!(
                "mcp = FastMCP(\n    \"{}\",\n    token_verifier=IntrospectionVerifier(),\n    auth=AuthSettings(issuer_url=ISSUER, resource_server_url=RESOURCE_URL, required_scopes=[\"read\"]),\n)\n",
                spec.name
            ),
            _ => format!("mcp = FastMCP(\"{}\")\n", spec.name),
        };
        src.push_str(&ctor);
        src.push_str(&format!(
            "\n\n@mcp.tool()\nasync def {tool}(query: str) -> str:\n    \"\"\"{tdesc}.\"\"\"\n    {body}\n\n\n"
        ));
        let run = if spec.stdio() && spec.http() {
            "    if \"--http\" in sys.argv:\n        mcp.run(transport=\"streamable-http\")\n    else:\n        mcp.run()\n".to_string()
        } else if spec.transports.contains(&Transport::Http) {
            if let Auth::InboundBearer { .. } = spec.auth {
                "    import uvicorn\n    from starlette.middleware.base import BaseHTTPMiddleware\n    from starlette.responses import JSONResponse\n\n    async def require_token(request, call_next):\n        if request.headers.get(\"authorization\") != f\"Bearer {AUTH_TOKEN}\":\n            return JSONResponse({\"error\": \"unauthorized\"}, status_code=401)\n        return await call_next(request)\n\n    app = mcp.streamable_http_app()\n    app.add_middleware(BaseHTTPMiddleware, dispatch=require_token)\n    uvicorn.run(app, host=\"0.0.0.0\", port=int(os.getenv(\"PORT\", \"8000\")))\n".to_string()
            } else {
                "    mcp.run(transport=\"streamable-http\")\n".to_string()
            }
        } else if spec.transports.contains(&Transport::Sse) {
            "    mcp.run(transport=\"sse\")\n".to_string()
        } else {
            "    mcp.run()\n".to_string()
        };
        src.push_str(&format!(
            "def main() -> None:\n{run}\n\nif __name__ == \"__main__\":\n    main()\n"
        ));
    }
    if spec.requirements_txt {
        files.insert("server.py".into(), src);
        let mut r = String::new();
        for d in &deps {
            r.push_str(d);
            r.push('\n');
        }
        files.insert("requirements.txt".into(), r);
    } else {
        let pkg = spec.py_pkg();
        files.insert(format!("src/{pkg}/server.py"), src);
        files.insert(
            format!("src/{pkg}/__init__.py"),
            "from .server import main\n\n__all__ = [\"main\"]\n".to_string(),
        );
        let dep_lines: Vec<String> = deps.iter().map(|d| format!("    \"{d}\",")).collect();
        files.insert(
            "pyproject.toml".into(),
            format!(
                "[project]\nname = \"{}\"\nversion = \"0.{}.0\"\ndescription = \"{}\"\nreadme = \"README.md\"\nrequires-python = \">=3.10\"\ndependencies = [\n{}\n]\n\n[project.scripts]\n{} = \"{pkg}.server:main\"\n\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n",
                spec.name,
                spec.name.len() % 7 + 1,
                description.replace('"', "'"),
                dep_lines.join("\n"),
                spec.name
            ),
        );
    }
}
