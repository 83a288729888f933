//! TypeScript and JavaScript servers.

use std::collections::BTreeMap;

use mcp_survey_model::{Sdk, Transport};

use super::{Auth, Lang, ServerSpec};
use crate::synthetic::catalog::*;

pub(super) fn node_auth(
    spec: &ServerSpec,
) -> (Vec<String>, String, Vec<(&'static str, &'static str)>) {
    let mut imports = Vec::new();
    let mut deps = Vec::new();
    let host = spec.service.host;
    let slug = spec.service.slug;
    let code = match &spec.auth {
        Auth::None => "async function authHeaders() {\n  return {};\n}\n".to_string(),
        Auth::EnvKey { var, required: true, pat, extra } => {
            let mut s = format!(
                "const API_TOKEN = process.env.{var};\nif (!API_TOKEN) {{\n  console.error(\"Error: {var} environment variable is required\");\n  process.exit(1);\n}}\n"
            );
            match extra {
                Some(e) if e.contains("EMAIL") || e.contains("USERNAME") => s.push_str(&format!(
                    "const ACCOUNT = process.env.{e};\n\nasync function authHeaders() {{\n  const basic = Buffer.from(`${{ACCOUNT}}:${{API_TOKEN}}`).toString(\"base64\");\n  return {{ Authorization: `Basic ${{basic}}` }};\n}}\n"
                )),
                Some(e) => s.push_str(&format!(
                    "const BASE_URL = process.env.{e} ?? \"https://{host}\";\n\nasync function authHeaders() {{\n  return {{ Authorization: `Bearer ${{API_TOKEN}}` }};\n}}\n"
                )),
                None if *pat => s.push_str("\nasync function authHeaders() {\n  return { Authorization: `token ${API_TOKEN}` };\n}\n"),
                None => s.push_str("\nasync function authHeaders() {\n  return { \"X-API-Key\": API_TOKEN, Authorization: `Bearer ${API_TOKEN}` };\n}\n"),
            }
            s
        }
        Auth::EnvKey { var, .. } => format!(
            "// Optional: without {var} requests are anonymous and rate-limited.\nconst TOKEN = process.env.{var};\n\nasync function authHeaders() {{\n  return TOKEN ? {{ Authorization: `Bearer ${{TOKEN}}` }} : {{}};\n}}\n"
        ),
        Auth::Basic { user, pass } => format!(
            "const USERNAME = process.env.{user};\nconst PASSWORD = process.env.{pass};\nif (!USERNAME || !PASSWORD) {{\n  console.error(\"{user} and {pass} must be set\");\n  process.exit(1);\n}}\n\nasync function authHeaders() {{\n  const basic = Buffer.from(`${{USERNAME}}:${{PASSWORD}}`).toString(\"base64\");\n  return {{ Authorization: `Basic ${{basic}}` }};\n}}\n"
        ),
        Auth::Conn { var, example } => {
            let (imp, dep, connect) = if example.starts_with("postgres") {
                ("import pg from \"pg\";", ("pg", "^8.13.1"), "const db = new pg.Pool({ connectionString });")
            } else if example.starts_with("mysql") {
                ("import mysql from \"mysql2/promise\";", ("mysql2", "^3.11.0"), "const db = mysql.createPool(connectionString);")
            } else if example.starts_with("mongodb") {
                ("import { MongoClient } from \"mongodb\";", ("mongodb", "^6.10.0"), "const db = new MongoClient(connectionString);")
            } else if example.starts_with("redis") {
                ("import { createClient } from \"redis\";", ("redis", "^4.7.0"), "const db = createClient({ url: connectionString });")
            } else {
                ("import amqp from \"amqplib\";", ("amqplib", "^0.10.4"), "const db = await amqp.connect(connectionString);")
            };
            imports.push(imp.to_string());
            deps.push(dep);
            format!(
                "const connectionString = process.env.{var};\nif (!connectionString) {{\n  console.error(\"Please set {var}, e.g. {example}\");\n  process.exit(1);\n}}\n{connect}\n\nasync function authHeaders() {{\n  return {{}};\n}}\n"
            )
        }
        Auth::AwsProfile => {
            imports.push("import { S3Client, ListObjectsV2Command } from \"@aws-sdk/client-s3\";".into());
            imports.push("import { fromIni } from \"@aws-sdk/credential-providers\";".into());
            deps.push(("@aws-sdk/client-s3", "^3.700.0"));
            deps.push(("@aws-sdk/credential-providers", "^3.700.0"));
            "const client = new S3Client({\n  region: process.env.AWS_REGION ?? \"us-east-1\",\n  credentials: fromIni({ profile: process.env.AWS_PROFILE ?? \"default\" }),\n});\n\nasync function authHeaders() {\n  return {};\n}\n".to_string()
        }
        Auth::AwsKeys => {
            imports.push("import { S3Client, ListObjectsV2Command } from \"@aws-sdk/client-s3\";".into());
            deps.push(("@aws-sdk/client-s3", "^3.700.0"));
            "const accessKeyId = process.env.AWS_ACCESS_KEY_ID;\nconst secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;\nif (!accessKeyId || !secretAccessKey) {\n  console.error(\"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required\");\n  process.exit(1);\n}\nconst client = new S3Client({\n  region: process.env.AWS_REGION ?? \"us-east-1\",\n  credentials: { accessKeyId, secretAccessKey },\n});\n\nasync function authHeaders() {\n  return {};\n}\n".to_string()
        }
        Auth::Delegated { prefix, flow: OAuthFlow::AuthorizationCode } if prefix == "GOOGLE" => {
            imports.push("import { OAuth2Client } from \"google-auth-library\";".into());
            imports.push("import open from \"open\";".into());
            imports.push("import http from \"node:http\";".into());
            deps.push(("google-auth-library", "^9.15.0"));
            deps.push(("open", "^10.1.0"));
            "const oauth2 = new OAuth2Client(\n  process.env.GOOGLE_CLIENT_ID,\n  process.env.GOOGLE_CLIENT_SECRET,\n  \"http://localhost:3000/oauth2callback\",\n);\n\nasync function authorize() {\n  const url = oauth2.generateAuthUrl({ access_type: \"offline\", scope: SCOPES });\n  await open(url);\n  const code = await new Promise((resolve) => {\n    const srv = http.createServer((req, res) => {\n      const c = new URL(req.url, \"http://localhost:3000\").searchParams.get(\"code\");\n      res.end(\"Authentication complete, you can close this tab.\");\n      srv.close();\n      resolve(c);\n    }).listen(3000);\n  });\n  const { tokens } = await oauth2.getToken(code);\n  oauth2.setCredentials(tokens);\n}\n\nconst SCOPES = [\"https://www.googleapis.com/auth/drive.readonly\"];\n\nasync function authHeaders() {\n  if (!oauth2.credentials?.access_token) await authorize();\n  const { token } = await oauth2.getAccessToken();\n  return { Authorization: `Bearer ${token}` };\n}\n".to_string()
        }
        Auth::Delegated { prefix, flow: OAuthFlow::AuthorizationCode } => {
            imports.push("import open from \"open\";".into());
            imports.push("import http from \"node:http\";".into());
            deps.push(("open", "^10.1.0"));
            format!(
                "const CLIENT_ID = process.env.{prefix}_CLIENT_ID;\nconst CLIENT_SECRET = process.env.{prefix}_CLIENT_SECRET;\nconst REDIRECT_URI = \"http://localhost:8765/callback\";\nlet accessToken;\n\n// Authorization code flow: open the consent page, catch the redirect, trade the code.\nasync function login() {{\n  const authUrl = `https://{host}/oauth2/authorize?response_type=code&client_id=${{CLIENT_ID}}&redirect_uri=${{encodeURIComponent(REDIRECT_URI)}}`;\n  await open(authUrl);\n  const code = await new Promise((resolve) => {{\n    const srv = http.createServer((req, res) => {{\n      resolve(new URL(req.url, REDIRECT_URI).searchParams.get(\"code\"));\n      res.end(\"Signed in.\");\n      srv.close();\n    }}).listen(8765);\n  }});\n  const res = await fetch(\"https://{host}/oauth2/token\", {{\n    method: \"POST\",\n    body: new URLSearchParams({{ grant_type: \"authorization_code\", code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uri: REDIRECT_URI }}),\n  }});\n  accessToken = (await res.json()).access_token;\n}}\n\nasync function authHeaders() {{\n  if (!accessToken) await login();\n  return {{ Authorization: `Bearer ${{accessToken}}` }};\n}}\n"
            )
        }
        Auth::Delegated { prefix, flow: OAuthFlow::DeviceCode } => {
            imports.push("import { PublicClientApplication } from \"@azure/msal-node\";".into());
            deps.push(("@azure/msal-node", "^2.16.0"));
            format!(
                "const pca = new PublicClientApplication({{\n  auth: {{\n    clientId: process.env.{prefix}_CLIENT_ID ?? \"14d82eec-204b-4c2f-b7e8-296a70dab67e\",\n    authority: \"https://login.microsoftonline.com/common\",\n  }},\n}});\nlet token;\n\nasync function authHeaders() {{\n  if (!token) {{\n    // Device code flow: the user signs in on another device.\n    const result = await pca.acquireTokenByDeviceCode({{\n      scopes: [\"Mail.Read\", \"Files.Read\"],\n      deviceCodeCallback: (response) => console.error(response.message),\n    }});\n    token = result.accessToken;\n  }}\n  return {{ Authorization: `Bearer ${{token}}` }};\n}}\n"
            )
        }
        Auth::Delegated { prefix, .. } => format!(
            "const CLIENT_ID = process.env.{prefix}_CLIENT_ID;\nconst CLIENT_SECRET = process.env.{prefix}_CLIENT_SECRET;\nconst REFRESH_TOKEN = process.env.{prefix}_REFRESH_TOKEN;\nif (!CLIENT_ID || !CLIENT_SECRET || !REFRESH_TOKEN) {{\n  console.error(\"{prefix}_CLIENT_ID, {prefix}_CLIENT_SECRET and {prefix}_REFRESH_TOKEN are required\");\n  process.exit(1);\n}}\n\n// Trade the long-lived refresh token for a short-lived access token.\nasync function authHeaders() {{\n  const res = await fetch(\"https://accounts.{host}/api/token\", {{\n    method: \"POST\",\n    headers: {{ Authorization: \"Basic \" + Buffer.from(`${{CLIENT_ID}}:${{CLIENT_SECRET}}`).toString(\"base64\") }},\n    body: new URLSearchParams({{ grant_type: \"refresh_token\", refresh_token: REFRESH_TOKEN }}),\n  }});\n  const {{ access_token }} = await res.json();\n  return {{ Authorization: `Bearer ${{access_token}}` }};\n}}\n"
        ),
        Auth::ResourceServer => {
            imports.push("import { createRemoteJWKSet, jwtVerify } from \"jose\";".into());
            deps.push(("jose", "^5.9.6"));
            "const ISSUER = process.env.AUTH_ISSUER_URL ?? \"https://auth.example.com\";\nconst RESOURCE_URL = process.env.RESOURCE_URL ?? \"http://localhost:8080\";\nconst JWKS = createRemoteJWKSet(new URL(`${ISSUER}/.well-known/jwks.json`));\n\n// MCP authorization: this server is an OAuth protected resource.\nasync function requireBearer(req, res, next) {\n  const header = req.headers.authorization ?? \"\";\n  if (!header.startsWith(\"Bearer \")) {\n    res.set(\"WWW-Authenticate\", `Bearer resource_metadata=\"${RESOURCE_URL}/.well-known/oauth-protected-resource\"`);\n    return res.status(401).json({ error: \"unauthorized\" });\n  }\n  try {\n    await jwtVerify(header.slice(7), JWKS, { issuer: ISSUER, audience: RESOURCE_URL });\n    next();\n  } catch {\n    res.status(401).json({ error: \"invalid_token\" });\n  }\n}\n\nasync function authHeaders() {\n  return {};\n}\n".to_string()
        }
        Auth::InboundBearer { var } => format!(
            "const AUTH_TOKEN = process.env.{var};\nif (!AUTH_TOKEN) {{\n  console.error(\"{var} must be set to protect the HTTP endpoint\");\n  process.exit(1);\n}}\n\nfunction requireBearer(req, res, next) {{\n  if (req.headers.authorization !== `Bearer ${{AUTH_TOKEN}}`) {{\n    return res.status(401).json({{ error: \"unauthorized\" }});\n  }}\n  next();\n}}\n\nasync function authHeaders() {{\n  return {{}};\n}}\n"
        ),
        Auth::CliArg => "const keyIndex = process.argv.indexOf(\"--api-key\");\nconst API_KEY = keyIndex > -1 ? process.argv[keyIndex + 1] : undefined;\nif (!API_KEY) {\n  console.error(\"Usage: server --api-key <key>\");\n  process.exit(1);\n}\n\nasync function authHeaders() {\n  return { Authorization: `Bearer ${API_KEY}` };\n}\n".to_string(),
        Auth::ConfigFile => {
            imports.push("import { readFileSync } from \"node:fs\";".into());
            imports.push("import { homedir } from \"node:os\";".into());
            imports.push("import { join } from \"node:path\";".into());
            format!(
                "const configPath = join(homedir(), \".config\", \"{slug}\", \"config.json\");\nlet API_KEY;\ntry {{\n  API_KEY = JSON.parse(readFileSync(configPath, \"utf8\")).apiKey;\n}} catch {{\n  API_KEY = undefined;\n}}\nif (!API_KEY) {{\n  console.error(`Put {{\"apiKey\": \"...\"}} in ${{configPath}}`);\n  process.exit(1);\n}}\n\nasync function authHeaders() {{\n  return {{ Authorization: `Bearer ${{API_KEY}}` }};\n}}\n"
            )
        }
    };
    (imports, code, deps)
}

pub(super) fn node_tool_body(spec: &ServerSpec) -> String {
    let host = spec.service.host;
    match &spec.auth {
        Auth::Conn { example, .. } if example.starts_with("postgres") || example.starts_with("mysql") => {
            "const result = await db.query(input);\n    return { content: [{ type: \"text\", text: JSON.stringify(result.rows ?? result[0], null, 2) }] };".into()
        }
        Auth::Conn { .. } => "const result = await db.connect?.();\n    return { content: [{ type: \"text\", text: JSON.stringify({ ok: true, input, result: String(result) }) }] };".into(),
        Auth::AwsProfile | Auth::AwsKeys => "const out = await client.send(new ListObjectsV2Command({ Bucket: input }));\n    return { content: [{ type: \"text\", text: JSON.stringify(out.Contents ?? [], null, 2) }] };".into(),
        Auth::ResourceServer | Auth::InboundBearer { .. } => "const hits = store.filter((item) => item.text.includes(input));\n    return { content: [{ type: \"text\", text: JSON.stringify(hits) }] };".into(),
        _ if host.is_empty() => "const result = run(input);\n    return { content: [{ type: \"text\", text: String(result) }] };".into(),
        _ => {
            let base = match &spec.auth {
                Auth::EnvKey { extra: Some(e), .. } if !(e.contains("EMAIL") || e.contains("USERNAME")) => "${BASE_URL}".to_string(),
                _ => format!("https://{host}"),
            };
            format!(
                "const res = await fetch(`{base}/v1/{}?q=${{encodeURIComponent(input)}}`, {{ headers: await authHeaders() }});\n    if (!res.ok) throw new Error(`{} API error: ${{res.status}}`);\n    const data = await res.json();\n    return {{ content: [{{ type: \"text\", text: JSON.stringify(data, null, 2) }}] }};",
                spec.service.tool, spec.service.display
            )
        }
    }
}

pub(super) fn node_files(
    spec: &ServerSpec,
    description: &str,
    files: &mut BTreeMap<String, String>,
) {
    let ts = spec.lang == Lang::TypeScript;
    let (auth_imports, auth_code, mut deps) = node_auth(spec);
    let tool = spec.service.tool;
    let tdesc = spec.service.tool_desc;
    let body = node_tool_body(spec);
    let mut src = String::from("#!/usr/bin/env node\n");
    let needs_store = matches!(spec.auth, Auth::ResourceServer | Auth::InboundBearer { .. });
    let local = spec.service.host.is_empty() && matches!(spec.auth, Auth::None);
    if spec.sdk == Sdk::FastmcpTs {
        src.push_str("import { FastMCP } from \"fastmcp\";\nimport { z } from \"zod\";\n");
        deps.push(("fastmcp", "^3.8.0"));
    } else {
        src.push_str("import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\n");
        if spec.stdio() {
            src.push_str("import { StdioServerTransport } from \"@modelcontextprotocol/sdk/server/stdio.js\";\n");
        }
        if spec.transports.contains(&Transport::Http) {
            src.push_str("import { StreamableHTTPServerTransport } from \"@modelcontextprotocol/sdk/server/streamableHttp.js\";\n");
        }
        if spec.transports.contains(&Transport::Sse) {
            src.push_str(
                "import { SSEServerTransport } from \"@modelcontextprotocol/sdk/server/sse.js\";\n",
            );
        }
        if spec.http() {
            src.push_str("import express from \"express\";\n");
            deps.push(("express", "^5.1.0"));
        }
        src.push_str("import { z } from \"zod\";\n");
        deps.push(("@modelcontextprotocol/sdk", "^1.17.0"));
    }
    deps.push(("zod", "^3.24.1"));
    for i in &auth_imports {
        src.push_str(i);
        src.push('\n');
    }
    src.push('\n');
    src.push_str(&auth_code);
    src.push('\n');
    if needs_store {
        src.push_str("const store = [];\n\n");
    }
    if local {
        src.push_str("function run(input) {\n  return `processed: ${input}`;\n}\n\n");
    }
    let input_ty = if ts { ": { input: string }" } else { "" };
    if spec.sdk == Sdk::FastmcpTs {
        src.push_str(&format!(
            "const server = new FastMCP({{ name: \"{}\", version: \"1.0.0\" }});\n\nserver.addTool({{\n  name: \"{tool}\",\n  description: \"{tdesc}\",\n  parameters: z.object({{ input: z.string() }}),\n  execute: async ({{ input }}{input_ty}) => {{\n    {}\n  }},\n}});\n\n",
            spec.name,
            body.replace("return { content: [{ type: \"text\", text: ", "return (").replace(" }] };", ");")
        ));
        if spec.stdio() {
            src.push_str("server.start({ transportType: \"stdio\" });\n");
        } else {
            src.push_str("server.start({ transportType: \"httpStream\", httpStream: { port: Number(process.env.PORT ?? 8080) } });\n");
        }
    } else {
        src.push_str(&format!(
            "const server = new McpServer({{ name: \"{}\", version: \"1.0.0\" }});\n\nserver.tool(\n  \"{tool}\",\n  \"{tdesc}\",\n  {{ input: z.string().describe(\"What to look up\") }},\n  async ({{ input }}{input_ty}) => {{\n    {body}\n  }},\n);\n\n",
            spec.name
        ));
        let guard = if needs_store { "requireBearer, " } else { "" };
        if spec.http() {
            src.push_str("const app = express();\napp.use(express.json());\n");
            if spec.auth == Auth::ResourceServer {
                src.push_str("app.get(\"/.well-known/oauth-protected-resource\", (_req, res) => {\n  res.json({ resource: RESOURCE_URL, authorization_servers: [ISSUER], bearer_methods_supported: [\"header\"] });\n});\n");
            }
        }
        if spec.transports.contains(&Transport::Http) {
            src.push_str(&format!(
                "app.post(\"/mcp\", {guard}async (req, res) => {{\n  const transport = new StreamableHTTPServerTransport({{ sessionIdGenerator: undefined }});\n  res.on(\"close\", () => transport.close());\n  await server.connect(transport);\n  await transport.handleRequest(req, res, req.body);\n}});\n"
            ));
        }
        if spec.transports.contains(&Transport::Sse) {
            src.push_str(&format!(
                "const transports = {{}};\napp.get(\"/sse\", {guard}async (_req, res) => {{\n  const transport = new SSEServerTransport(\"/messages\", res);\n  transports[transport.sessionId] = transport;\n  await server.connect(transport);\n}});\napp.post(\"/messages\", {guard}async (req, res) => {{\n  const transport = transports[req.query.sessionId];\n  await transport.handlePostMessage(req, res, req.body);\n}});\n"
            ));
        }
        if spec.stdio() && spec.http() {
            src.push_str("\nif (process.argv.includes(\"--http\")) {\n  app.listen(Number(process.env.PORT ?? 8080));\n} else {\n  const transport = new StdioServerTransport();\n  await server.connect(transport);\n  console.error(\"Server running on stdio\");\n}\n");
        } else if spec.http() {
            src.push_str(&format!(
                "\nconst port = Number(process.env.PORT ?? 8080);\napp.listen(port, () => console.log(`{} listening on ${{port}}`));\n",
                spec.name
            ));
        } else {
            src.push_str(&format!(
                "async function main() {{\n  const transport = new StdioServerTransport();\n  await server.connect(transport);\n  console.error(\"{} running on stdio\");\n}}\n\nmain().catch((error) => {{\n  console.error(\"Fatal error:\", error);\n  process.exit(1);\n}});\n",
                spec.service.display
            ));
        }
    }
    let main = if ts { "src/index.ts" } else { "index.js" };
    files.insert(main.into(), src);
    deps.sort();
    deps.dedup();
    let dep_lines: Vec<String> = deps
        .iter()
        .map(|(k, v)| format!("    \"{k}\": \"{v}\""))
        .collect();
    let (bin, scripts, dev) = if ts {
        (
            "dist/index.js",
            "    \"build\": \"tsc && chmod 755 dist/index.js\",\n    \"start\": \"node dist/index.js\"",
            ",\n  \"devDependencies\": {\n    \"@types/node\": \"^22.10.0\",\n    \"typescript\": \"^5.7.2\"\n  }",
        )
    } else {
        ("index.js", "    \"start\": \"node index.js\"", "")
    };
    let keywords = if spec.hidden {
        "\"claude\", \"ai\""
    } else {
        "\"mcp\", \"model-context-protocol\", \"claude\""
    };
    files.insert(
        "package.json".into(),
        format!(
            "{{\n  \"name\": \"{}\",\n  \"version\": \"0.{}.0\",\n  \"description\": \"{}\",\n  \"type\": \"module\",\n  \"bin\": {{\n    \"{}\": \"{bin}\"\n  }},\n  \"keywords\": [{keywords}],\n  \"scripts\": {{\n{scripts}\n  }},\n  \"dependencies\": {{\n{}\n  }}{dev},\n  \"license\": \"MIT\"\n}}\n",
            spec.name,
            spec.name.len() % 9 + 1,
            description.replace('"', "'"),
            spec.name,
            dep_lines.join(",\n")
        ),
    );
    if ts {
        files.insert(
            "tsconfig.json".into(),
            "{\n  \"compilerOptions\": {\n    \"target\": \"ES2022\",\n    \"module\": \"Node16\",\n    \"moduleResolution\": \"Node16\",\n    \"outDir\": \"./dist\",\n    \"rootDir\": \"./src\",\n    \"strict\": false,\n    \"esModuleInterop\": true\n  },\n  \"include\": [\"src/**/*\"]\n}\n".into(),
        );
    }
}
