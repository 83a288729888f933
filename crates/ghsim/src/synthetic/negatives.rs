//! Repositories a keyword crawler finds that are not MCP servers: clients,
//! SDKs, lists, Minecraft "MCP" (Mod Coder Pack) mods, MCP23017 drivers,
//! other meanings of "MCP", and unrelated projects.

use std::collections::BTreeMap;

use mcp_survey_model::Kind;

use super::catalog::*;
use super::servers::camel;
use crate::prng::Rng;

pub struct Negative {
    pub kind: Kind,
    pub name: String,
    pub description: Option<String>,
    pub topics: Vec<String>,
    pub language: Option<&'static str>,
    pub files: BTreeMap<String, Vec<u8>>,
    pub evidence: String,
}

fn files(v: Vec<(String, String)>) -> BTreeMap<String, Vec<u8>> {
    v.into_iter().map(|(k, c)| (k, c.into_bytes())).collect()
}

pub fn client(rng: &mut Rng) -> Negative {
    let llm = *rng.pick(&["openai", "anthropic", "ollama", "gemini"]);
    let name = match rng.below(5) {
        0 => format!("mcp-client-{llm}"),
        1 => format!("{}-mcp-chat", rng.pick(ADJECTIVES)),
        2 => "mcp-host-cli".to_string(),
        3 => format!("{llm}-agent-with-mcp"),
        _ => format!("mcp-{}-client", rng.pick(NOUNS)),
    };
    let ts = rng.chance(0.55);
    let desc = format!("A command-line chat client that connects {llm} models to MCP servers");
    let readme = format!(
        "# {name}\n\n{desc}.\n\nIt launches the MCP servers listed in `servers.json`, lists their tools and lets the model call them.\n\n## Usage\n\n```bash\nexport {}_API_KEY=...\n{}\n```\n\nThis project is an MCP *client* (host); it does not expose any tools itself.\n",
        llm.to_ascii_uppercase(),
        if ts { "npm start" } else { "python client.py servers.json" }
    );
    let mut f = vec![("README.md".to_string(), readme)];
    if ts {
        f.push((
            "src/client.ts".into(),
            format!(
                "import {{ Client }} from \"@modelcontextprotocol/sdk/client/index.js\";\nimport {{ StdioClientTransport }} from \"@modelcontextprotocol/sdk/client/stdio.js\";\nimport {{ readFileSync }} from \"node:fs\";\n\nconst config = JSON.parse(readFileSync(\"servers.json\", \"utf8\"));\nconst apiKey = process.env.{}_API_KEY;\n\nasync function main() {{\n  const client = new Client({{ name: \"{name}\", version: \"0.1.0\" }});\n  for (const [id, server] of Object.entries(config.mcpServers)) {{\n    const transport = new StdioClientTransport({{ command: server.command, args: server.args, env: server.env }});\n    await client.connect(transport);\n    const {{ tools }} = await client.listTools();\n    console.log(`${{id}}: ${{tools.map((t) => t.name).join(\", \")}}`);\n  }}\n  // ... chat loop calling client.callTool() when the model asks for a tool\n}}\n\nmain();\n",
                llm.to_ascii_uppercase()
            ),
        ));
        f.push((
            "package.json".into(),
            format!("{{\n  \"name\": \"{name}\",\n  \"version\": \"0.1.0\",\n  \"type\": \"module\",\n  \"scripts\": {{ \"start\": \"tsx src/client.ts\" }},\n  \"dependencies\": {{\n    \"@modelcontextprotocol/sdk\": \"^1.17.0\",\n    \"{llm}\": \"^4.0.0\"\n  }}\n}}\n"),
        ));
    } else {
        f.push((
            "client.py".into(),
            format!(
                "import asyncio\nimport json\nimport os\nimport sys\n\nfrom mcp import ClientSession, StdioServerParameters\nfrom mcp.client.stdio import stdio_client\n\nAPI_KEY = os.environ.get(\"{}_API_KEY\")\n\n\nasync def main(config_path: str) -> None:\n    config = json.load(open(config_path))\n    for name, server in config[\"mcpServers\"].items():\n        params = StdioServerParameters(command=server[\"command\"], args=server.get(\"args\", []), env=server.get(\"env\"))\n        async with stdio_client(params) as (read, write):\n            async with ClientSession(read, write) as session:\n                await session.initialize()\n                tools = await session.list_tools()\n                print(name, [t.name for t in tools.tools])\n\n\nif __name__ == \"__main__\":\n    asyncio.run(main(sys.argv[1]))\n",
                llm.to_ascii_uppercase()
            ),
        ));
        f.push(("requirements.txt".into(), format!("mcp>=1.10.0\n{llm}\n")));
    }
    Negative {
        kind: Kind::Client,
        name,
        description: Some(desc),
        topics: if rng.chance(0.5) {
            vec!["mcp".into(), "mcp-client".into(), "llm".into()]
        } else {
            vec![]
        },
        language: Some(if ts { "TypeScript" } else { "Python" }),
        files: files(f),
        evidence: format!(
            "{} connects out to MCP servers with a client transport and ships no server",
            if ts { "src/client.ts" } else { "client.py" }
        ),
    }
}

pub fn sdk(rng: &mut Rng) -> Negative {
    let base = *rng.pick(&[
        "mcpkit",
        "easy-mcp",
        "mcp-framework",
        "mcp-toolbox",
        "tinymcp",
        "mcp-forge",
        "mcp-lite",
    ]);
    let name = format!(
        "{base}{}",
        if rng.chance(0.5) {
            String::new()
        } else {
            format!("-{}", rng.pick(&["py", "js", "go", "core"]))
        }
    );
    let lang = rng.below(3);
    let desc = format!(
        "{} — a lightweight framework for building Model Context Protocol (MCP) servers",
        name
    );
    let mut f = vec![(
        "README.md".to_string(),
        format!(
            "# {name}\n\n{desc}.\n\nDefine tools with a decorator and get a compliant MCP server with stdio and HTTP transports.\n\n## Install\n\n```bash\n{}\n```\n\nSee `examples/` for a minimal echo server.\n",
            match lang {
                0 => format!("pip install {name}"),
                1 => format!("npm install {name}"),
                _ => format!("go get github.com/example/{name}"),
            }
        ),
    )];
    let pkg = name.replace('-', "_");
    let language = match lang {
        0 => {
            f.push((format!("src/{pkg}/__init__.py"), "\"\"\"Build MCP servers with less boilerplate.\"\"\"\n\nfrom .app import App, tool\n\n__all__ = [\"App\", \"tool\"]\n".into()));
            f.push((format!("src/{pkg}/app.py"), "from mcp.server.fastmcp import FastMCP\n\n_registry = []\n\n\ndef tool(fn):\n    _registry.append(fn)\n    return fn\n\n\nclass App:\n    \"\"\"Wraps FastMCP and registers every @tool function.\"\"\"\n\n    def __init__(self, name: str):\n        self.server = FastMCP(name)\n        for fn in _registry:\n            self.server.tool()(fn)\n\n    def run(self, transport: str = \"stdio\") -> None:\n        self.server.run(transport=transport)\n".into()));
            f.push(("examples/echo.py".to_string(), format!("from {pkg} import App, tool\n\n\n@tool\ndef echo(text: str) -> str:\n    return text\n\n\nApp(\"echo\").run()\n")));
            f.push(("pyproject.toml".into(), format!("[project]\nname = \"{name}\"\nversion = \"0.4.0\"\ndescription = \"Framework for building MCP servers\"\ndependencies = [\"mcp>=1.10.0\", \"pydantic>=2\"]\n\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n")));
            "Python"
        }
        1 => {
            f.push(("src/index.ts".into(), "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\n\nexport interface ToolDef {\n  name: string;\n  description: string;\n  handler: (args: Record<string, unknown>) => Promise<string>;\n}\n\n/** A thin builder over the official SDK. */\nexport class ServerBuilder {\n  private tools: ToolDef[] = [];\n  constructor(private name: string) {}\n  tool(def: ToolDef) {\n    this.tools.push(def);\n    return this;\n  }\n  build(): McpServer {\n    const server = new McpServer({ name: this.name, version: \"1.0.0\" });\n    return server;\n  }\n}\n".into()));
            f.push(("examples/echo.ts".into(), "import { ServerBuilder } from \"../src/index.js\";\n\nnew ServerBuilder(\"echo\").tool({ name: \"echo\", description: \"Echo\", handler: async (a) => String(a.text) }).build();\n".into()));
            f.push(("package.json".into(), format!("{{\n  \"name\": \"{name}\",\n  \"version\": \"0.4.0\",\n  \"main\": \"dist/index.js\",\n  \"types\": \"dist/index.d.ts\",\n  \"peerDependencies\": {{\n    \"@modelcontextprotocol/sdk\": \"^1.17.0\"\n  }}\n}}\n")));
            "TypeScript"
        }
        _ => {
            f.push(("server.go".into(), format!("// Package {pkg} builds MCP servers on top of mcp-go.\npackage {pkg}\n\nimport \"github.com/mark3labs/mcp-go/server\"\n\n// New returns an MCP server with sensible defaults.\nfunc New(name string) *server.MCPServer {{\n\treturn server.NewMCPServer(name, \"1.0.0\", server.WithToolCapabilities(true))\n}}\n")));
            f.push(("go.mod".into(), format!("module github.com/example/{name}\n\ngo 1.23\n\nrequire github.com/mark3labs/mcp-go v0.32.0\n")));
            "Go"
        }
    };
    Negative {
        kind: Kind::Sdk,
        name,
        description: Some(desc),
        topics: vec![
            "mcp".into(),
            "model-context-protocol".into(),
            "sdk".into(),
            "framework".into(),
        ],
        language: Some(language),
        files: files(f),
        evidence:
            "README and manifest present a library to depend on; the only server is a toy example"
                .into(),
    }
}

pub fn list(rng: &mut Rng, others: &[String]) -> Negative {
    let name = match rng.below(4) {
        0 => "awesome-mcp-servers".to_string(),
        1 => format!(
            "awesome-mcp-{}",
            rng.pick(&["tools", "list", "clients", "resources"])
        ),
        2 => "mcp-servers-directory".to_string(),
        _ => format!("{}-mcp-collection", rng.pick(ADJECTIVES)),
    };
    let mut readme = format!("# {}\n\nA curated list of Model Context Protocol (MCP) servers, clients and resources.\n\n## Servers\n\n", camel(&name).replace('-', " "));
    let n = 10 + rng.below(30) as usize;
    for i in 0..n.min(others.len().max(1)) {
        let target = others
            .get(rng.below(others.len().max(1) as u64) as usize)
            .cloned()
            .unwrap_or_else(|| format!("example/server-{i}"));
        readme.push_str(&format!(
            "- [{target}](https://github.com/{target}) - MCP server\n"
        ));
    }
    readme.push_str("\n## Contributing\n\nPull requests welcome.\n");
    Negative {
        kind: Kind::List,
        name,
        description: Some("A curated list of awesome MCP servers".into()),
        topics: vec!["awesome-list".into(), "mcp".into(), "mcp-servers".into()],
        language: None,
        files: files(vec![("README.md".into(), readme)]),
        evidence: "README is a list of links; no code".into(),
    }
}

pub fn minecraft(rng: &mut Rng) -> Negative {
    let m = *rng.pick(MOD_NAMES);
    let (ver, mappings) = *rng.pick(MC_VERSIONS);
    let name = match rng.below(4) {
        0 => format!("{m}-mcp"),
        1 => format!("mcp-{ver}-{m}"),
        2 => format!("MCP-Reborn-{m}"),
        _ => format!("{m}-forge-mcp-{ver}"),
    };
    let class = camel(m);
    let desc =
        format!("Minecraft {ver} mod ({m}) — decompiled and built with MCP (Mod Coder Pack)");
    let f = vec![
        ("README.md".to_string(), format!("# {name}\n\n{desc}.\n\n## Building\n\n1. Run `./gradlew setupDecompWorkspace` to decompile Minecraft with MCP mappings `{mappings}`.\n2. Run `./gradlew build`.\n\nThe MCP (Mod Coder Pack) mappings translate obfuscated names such as `func_71410_x` into readable ones.\n")),
        ("build.gradle".to_string(), format!("buildscript {{\n    repositories {{ maven {{ url = 'https://maven.minecraftforge.net' }} }}\n    dependencies {{ classpath 'net.minecraftforge.gradle:ForgeGradle:2.3-SNAPSHOT' }}\n}}\napply plugin: 'net.minecraftforge.gradle.forge'\n\nminecraft {{\n    version = \"{ver}-14.23.5.2847\"\n    runDir = \"run\"\n    mappings = \"{mappings}\"\n}}\n")),
        (format!("src/main/java/net/{}/{}/{class}.java", m.replace('-', ""), m.replace('-', "")), format!("package net.{p}.{p};\n\nimport net.minecraftforge.fml.common.Mod;\nimport net.minecraftforge.fml.common.event.FMLInitializationEvent;\n\n@Mod(modid = \"{p}\", name = \"{class}\", version = \"1.0\")\npublic class {class} {{\n    @Mod.EventHandler\n    public void init(FMLInitializationEvent event) {{\n        // register blocks and items\n    }}\n}}\n", p = m.replace('-', ""))),
        ("src/main/resources/mcmod.info".to_string(), format!("[{{\"modid\": \"{}\", \"name\": \"{class}\", \"mcversion\": \"{ver}\"}}]\n", m.replace('-', ""))),
    ];
    Negative {
        kind: Kind::Other,
        name,
        description: Some(desc),
        topics: vec![
            "minecraft".into(),
            "forge".into(),
            "mcp".into(),
            "minecraft-mod".into(),
        ],
        language: Some("Java"),
        files: files(f),
        evidence: "A Minecraft Forge mod; MCP here means Mod Coder Pack".into(),
    }
}

pub fn chip(rng: &mut Rng) -> Negative {
    let py = rng.chance(0.4);
    let name = match rng.below(4) {
        0 => "MCP23017".to_string(),
        1 => format!("mcp23017-{}", if py { "python" } else { "arduino" }),
        2 => format!("{}-mcp23017", rng.pick(&["esp32", "rpi", "stm32", "pico"])),
        _ => "MCP23017-GPIO-Expander".to_string(),
    };
    let desc = "Driver for the Microchip MCP23017 16-bit I/O expander over I2C".to_string();
    let mut f = vec![("README.md".to_string(), format!("# {name}\n\n{desc}.\n\nWire SDA/SCL, set the address pins (default 0x20) and toggle the 16 GPIO pins.\n"))];
    if py {
        f.push(("mcp23017.py".into(), "from smbus2 import SMBus\n\nIODIRA = 0x00\nGPIOA = 0x12\n\n\nclass MCP23017:\n    def __init__(self, bus: int = 1, address: int = 0x20):\n        self.bus = SMBus(bus)\n        self.address = address\n\n    def pin_mode(self, pin: int, output: bool) -> None:\n        reg = self.bus.read_byte_data(self.address, IODIRA)\n        reg = reg & ~(1 << pin) if output else reg | (1 << pin)\n        self.bus.write_byte_data(self.address, IODIRA, reg)\n".into()));
    } else {
        f.push(("src/MCP23017.h".into(), "#pragma once\n#include <Wire.h>\n\nclass MCP23017 {\npublic:\n  explicit MCP23017(uint8_t address = 0x20);\n  void begin();\n  void pinMode(uint8_t pin, uint8_t mode);\n  void digitalWrite(uint8_t pin, uint8_t value);\nprivate:\n  uint8_t _address;\n};\n".into()));
        f.push(("src/MCP23017.cpp".into(), "#include \"MCP23017.h\"\n\nMCP23017::MCP23017(uint8_t address) : _address(address) {}\n\nvoid MCP23017::begin() { Wire.begin(); }\n\nvoid MCP23017::pinMode(uint8_t pin, uint8_t mode) {\n  Wire.beginTransmission(_address);\n  Wire.write(0x00);\n  Wire.write(mode == OUTPUT ? 0x00 : 0xFF);\n  Wire.endTransmission();\n}\n\nvoid MCP23017::digitalWrite(uint8_t pin, uint8_t value) {\n  Wire.beginTransmission(_address);\n  Wire.write(0x12);\n  Wire.write(value << pin);\n  Wire.endTransmission();\n}\n".into()));
        f.push(("library.properties".into(), format!("name={name}\nversion=1.2.0\nsentence={desc}\ncategory=Signal Input/Output\narchitectures=*\n")));
    }
    Negative {
        kind: Kind::Other,
        name,
        description: Some(desc),
        topics: vec![
            "mcp23017".into(),
            "i2c".into(),
            "gpio".into(),
            if py {
                "raspberry-pi".into()
            } else {
                "arduino".into()
            },
        ],
        language: Some(if py { "Python" } else { "C++" }),
        files: files(f),
        evidence: "A hardware driver for the MCP23017 chip".into(),
    }
}

pub fn other_meaning(rng: &mut Rng) -> Negative {
    match rng.below(3) {
        0 => Negative {
            kind: Kind::Other,
            name: format!("mcp-exam-{}", rng.pick(&["notes", "prep", "study-guide"])),
            description: Some("Study notes for the Microsoft Certified Professional (MCP) exams".into()),
            topics: vec!["certification".into(), "microsoft".into()],
            language: None,
            files: files(vec![("README.md".into(), "# MCP exam notes\n\nMy notes for the Microsoft Certified Professional (MCP) exams 70-410 and 70-411.\n".into())]),
            evidence: "MCP means Microsoft Certified Professional; notes only".into(),
        },
        1 => Negative {
            kind: Kind::Other,
            name: format!("mcp-{}", rng.pick(&["tron-game", "master-control", "grid"])),
            description: Some("A Tron-inspired game: defeat the Master Control Program (MCP)".into()),
            topics: vec!["game".into(), "javascript".into()],
            language: Some("JavaScript"),
            files: files(vec![
                ("README.md".into(), "# MCP\n\nA light-cycle game where you fight the Master Control Program.\n".into()),
                ("game.js".into(), "const canvas = document.getElementById(\"grid\");\nconst ctx = canvas.getContext(\"2d\");\nlet mcpHealth = 100;\nfunction tick() {\n  ctx.clearRect(0, 0, canvas.width, canvas.height);\n  requestAnimationFrame(tick);\n}\ntick();\n".into()),
            ]),
            evidence: "A game; MCP is the Master Control Program".into(),
        },
        _ => Negative {
            kind: Kind::Other,
            name: "minimum-cost-path-mcp".into(),
            description: Some("Minimum cost path (MCP) algorithms on grids with dynamic programming".into()),
            topics: vec!["algorithms".into(), "dynamic-programming".into()],
            language: Some("Python"),
            files: files(vec![
                ("README.md".into(), "# MCP\n\nMinimum cost path through a weighted grid.\n".into()),
                ("mcp.py".into(), "def min_cost_path(grid):\n    rows, cols = len(grid), len(grid[0])\n    dp = [[0] * cols for _ in range(rows)]\n    for r in range(rows):\n        for c in range(cols):\n            best = min(dp[r - 1][c] if r else float(\"inf\"), dp[r][c - 1] if c else float(\"inf\"))\n            dp[r][c] = grid[r][c] + (0 if r == c == 0 else best)\n    return dp[-1][-1]\n".into()),
            ]),
            evidence: "An algorithms exercise; MCP means minimum cost path".into(),
        },
    }
}

pub fn unrelated(rng: &mut Rng) -> Negative {
    let name = format!("{}-{}", rng.pick(ADJECTIVES), rng.pick(NOUNS));
    let (lang, file, body): (&'static str, &str, String) = match rng.below(5) {
        0 => ("JavaScript", "index.js", "const express = require(\"express\");\nconst app = express();\napp.get(\"/\", (req, res) => res.send(\"hello\"));\napp.listen(3000);\n".into()),
        1 => ("Python", "main.py", "import sys\n\n\ndef main() -> None:\n    print(\"hello\", sys.argv[1:])\n\n\nif __name__ == \"__main__\":\n    main()\n".into()),
        2 => ("Go", "main.go", "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hello\")\n}\n".into()),
        3 => ("Rust", "src/main.rs", "fn main() {\n    println!(\"hello\");\n}\n".into()),
        _ => ("TypeScript", "src/app.ts", "export function greet(name: string): string {\n  return `Hello, ${name}`;\n}\n".into()),
    };
    let desc = format!(
        "A {} {} project",
        rng.pick(ADJECTIVES),
        name.split('-').nth(1).unwrap_or("side")
    );
    Negative {
        kind: Kind::Other,
        name: name.clone(),
        description: Some(desc.clone()),
        topics: vec![],
        language: Some(lang),
        files: files(vec![
            ("README.md".into(), format!("# {name}\n\n{desc}.\n")),
            (file.into(), body),
        ]),
        evidence: "Unrelated to MCP".into(),
    }
}
