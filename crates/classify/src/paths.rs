//! Which files the classifier reads, and what part each plays in a repository.

/// Directories that hold dependencies, build output or tool state: never the
/// author's server code, and often huge.
const SKIP_DIRS: &[&str] = &[
    "node_modules",
    "vendor",
    ".git",
    "dist",
    "build",
    "target",
    "out",
    ".next",
    ".nuxt",
    ".svelte-kit",
    "__pycache__",
    ".venv",
    "venv",
    "site-packages",
    "coverage",
    "bower_components",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "pods",
    "obj",
    ".gradle",
    ".idea",
    ".github",
    ".yarn",
    ".pnpm-store",
    ".turbo",
    ".cache",
    "third_party",
    "third-party",
    "generated",
    "__generated__",
    "storybook-static",
    "public",
    "static",
    "assets",
];

/// Source extensions and the GitHub spelling of their language.
const SOURCE_EXT: &[(&str, &str)] = &[
    ("ts", "TypeScript"),
    ("tsx", "TypeScript"),
    ("mts", "TypeScript"),
    ("cts", "TypeScript"),
    ("js", "JavaScript"),
    ("mjs", "JavaScript"),
    ("cjs", "JavaScript"),
    ("jsx", "JavaScript"),
    ("py", "Python"),
    ("go", "Go"),
    ("rs", "Rust"),
    ("java", "Java"),
    ("kt", "Kotlin"),
    ("kts", "Kotlin"),
    ("cs", "C#"),
    ("fs", "F#"),
    ("php", "PHP"),
    ("rb", "Ruby"),
    ("swift", "Swift"),
    ("c", "C"),
    ("h", "C"),
    ("cc", "C++"),
    ("cpp", "C++"),
    ("cxx", "C++"),
    ("hpp", "C++"),
    ("hh", "C++"),
    ("ino", "C++"),
    ("dart", "Dart"),
    ("pas", "Pascal"),
    ("pp", "Pascal"),
    ("lpr", "Pascal"),
    ("dpr", "Pascal"),
    ("scala", "Scala"),
    ("clj", "Clojure"),
    ("ex", "Elixir"),
    ("exs", "Elixir"),
    ("lua", "Lua"),
    ("zig", "Zig"),
    ("nim", "Nim"),
    ("cr", "Crystal"),
    ("jl", "Julia"),
    ("hs", "Haskell"),
    ("ml", "OCaml"),
    ("vue", "Vue"),
    ("svelte", "Svelte"),
];

const MANIFEST_NAMES: &[&str] = &[
    "package.json",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "pipfile",
    "go.mod",
    "cargo.toml",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "settings.gradle",
    "settings.gradle.kts",
    "composer.json",
    "gemfile",
    "package.swift",
    "deno.json",
    "deno.jsonc",
    "import_map.json",
    "pubspec.yaml",
    "directory.packages.props",
    "directory.build.props",
    "mix.exs",
];

/// File names (lower-case) that describe how a server is configured.
const CONFIG_NAMES: &[&str] = &[
    "dockerfile",
    "smithery.yaml",
    "smithery.yml",
    "server.json",
    "manifest.json",
    "mcp.json",
    ".mcp.json",
    "claude_desktop_config.json",
    "app.json",
    "wrangler.toml",
    "wrangler.jsonc",
    "wrangler.json",
    "launchsettings.json",
    "gemini-extension.json",
    "makefile",
];

fn ext_of(name: &str) -> &str {
    match name.rfind('.') {
        Some(i) if i > 0 => &name[i + 1..],
        _ => "",
    }
}

/// GitHub language of a source file, by extension.
pub fn source_language(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = ext_of(name).to_ascii_lowercase();
    SOURCE_EXT
        .iter()
        .find(|(e, _)| *e == ext)
        .map(|(_, lang)| *lang)
}

/// Does the classifier read this repository-relative path?
pub fn wants(path: &str) -> bool {
    if path.is_empty() || path.len() > 400 {
        return false;
    }
    let lower = path.to_ascii_lowercase();
    let mut parts = lower.split('/').peekable();
    let mut name = "";
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            name = part;
        } else if SKIP_DIRS.contains(&part) || part.ends_with(".egg-info") {
            return false;
        }
    }
    if name.is_empty() {
        return false;
    }
    if name.contains(".min.") || name.ends_with(".map") || name.ends_with(".d.ts") {
        return false;
    }
    if name.contains(".bundle.") || name.contains("-bundle.") || name.ends_with(".chunk.js") {
        return false;
    }
    if MANIFEST_NAMES.contains(&name) || CONFIG_NAMES.contains(&name) {
        return true;
    }
    if name.starts_with("readme")
        || name.starts_with("dockerfile")
        || name.starts_with("docker-compose")
    {
        return true;
    }
    if name.starts_with(".env")
        || name.ends_with(".env.example")
        || name == "env.example"
        || name == "env.sample"
    {
        // `.env` itself may hold real secrets; only the documented templates.
        return name != ".env" && !name.ends_with(".local");
    }
    if name.starts_with("requirements") && name.ends_with(".txt") {
        return true;
    }
    let ext = ext_of(name);
    match ext {
        "md" | "mdx" | "rst" => true,
        "csproj" | "fsproj" | "props" | "gemspec" => true,
        "toml" | "yaml" | "yml" | "properties" | "ini" | "cfg" => !name.ends_with("lock.yaml"),
        "json" | "jsonc" => {
            name.starts_with("appsettings")
                || name.starts_with("config")
                || name.starts_with("settings")
                || name.contains("mcp")
                || name.ends_with(".example.json")
                || name.contains("manifest")
        }
        "example" | "sample" | "template" | "dist" => {
            // config.toml.example, settings.json.sample ...
            let stem = &name[..name.len() - ext.len() - 1];
            matches!(
                ext_of(stem),
                "toml" | "yaml" | "yml" | "json" | "env" | "ini" | "properties"
            )
        }
        _ => source_language(name).is_some(),
    }
}

/// What part a file plays: decides which files may make a repository a
/// server and whose secrets count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Code the repository ships and runs.
    Core,
    /// Examples, samples, demos and scaffolding templates.
    Example,
    /// Tests and their fixtures.
    Test,
    /// Developer tooling: scripts, benchmarks, evaluation harnesses.
    Script,
    /// Prose.
    Doc,
}

const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "__tests__",
    "__test__",
    "spec",
    "specs",
    "testing",
    "testdata",
    "test-data",
    "test_data",
    "fixtures",
    "fixture",
    "__mocks__",
    "mocks",
    "e2e",
    "integration-tests",
    "integration_tests",
    "test-servers",
    "test_servers",
    "testutil",
    "testutils",
    "conformance",
    "evals",
    "eval",
];
const EXAMPLE_DIRS: &[&str] = &[
    "example",
    "examples",
    "sample",
    "samples",
    "demo",
    "demos",
    "templates",
    "template",
    "playground",
    "cookbook",
    "tutorial",
    "tutorials",
    "quickstart",
    "docs_src",
    "snippets",
    "showcase",
    "gallery",
];
const SCRIPT_DIRS: &[&str] = &[
    "scripts",
    "script",
    "bench",
    "benches",
    "benchmark",
    "benchmarks",
    "tools-dev",
    "hack",
    "ci",
    ".devcontainer",
    "docs",
    "doc",
    "website",
    "site",
    "i18n",
    "migrations",
];

/// A folder the author marks as not part of what ships: a draft, an archived
/// or deprecated copy ("mcp_draft_do_not_use", "deprecated", "archive").
fn is_abandoned_dir(d: &str) -> bool {
    const WHOLE: &[&str] = &[
        "deprecated",
        "archive",
        "archived",
        "obsolete",
        "attic",
        "unused",
    ];
    if WHOLE.contains(&d) {
        return true;
    }
    let norm = d.replace('-', "_");
    norm.contains("do_not_use")
        || norm.contains("dont_use")
        || norm.starts_with("draft_")
        || norm.ends_with("_draft")
        || norm.contains("_draft_")
        || norm.ends_with("_deprecated")
        || norm.starts_with("deprecated_")
}

/// A script named for running the tests.
fn is_test_runner(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name);
    let mut words = stem.split(['-', '_']);
    words.next() == Some("run") && words.any(|w| w == "test" || w == "tests")
}

pub fn role(path: &str) -> Role {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let ext = ext_of(name);
    if matches!(ext, "md" | "mdx" | "rst" | "txt") && !name.starts_with("requirements") {
        return Role::Doc;
    }
    let dirs: Vec<&str> = lower.split('/').collect();
    let dirs = &dirs[..dirs.len() - 1];
    // Test helpers beside the code: `test-utils.ts`, `test-constants.ts`.
    let is_test_name = name.starts_with("test_")
        || name.starts_with("test-")
        || name.ends_with("_test.go")
        || name.ends_with("_test.py")
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.ends_with("_spec.rb")
        || name == "conftest.py"
        // Rust's test modules split into their own files, Python's test
        // modules beside the code.
        || name == "tests.rs"
        || name.ends_with("_tests.rs")
        || name.ends_with("_test.rs")
        || name == "tests.py"
        || name.ends_with("_tests.py")
        || (name.ends_with("tests.cs") || name.ends_with("test.cs") || name.ends_with("test.java"))
        || name.ends_with("test.kt")
        // Test runners: `run-tests.sh`, `run_all_tests.py`,
        // `run-comprehensive-tests.mjs`.
        || is_test_runner(name);
    if is_test_name
        || dirs.iter().any(|d| {
            TEST_DIRS.contains(d)
                // A mock server or mock API stands in for a service in tests.
                || matches!(
                    d.split(['-', '_']).next(),
                    Some("mock" | "mocks" | "mockserver" | "mockapi")
                )
                || d.ends_with(".tests")
                || d.ends_with(".test")
                || d.ends_with("-tests")
                || d.ends_with("_tests")
                || d.ends_with(".unittests")
                || d.ends_with(".integrationtests")
        })
    {
        return Role::Test;
    }
    // JVM sources live in reverse-domain package folders, and
    // `com.example` is the package name Spring Initializr and Maven
    // archetypes give every new project: a package, not a sample.
    let jvm_package = |i: usize| {
        i > 0
            && (matches!(
                dirs[i - 1],
                "com" | "org" | "net" | "io" | "dev" | "me" | "ai" | "co" | "app"
            ) || dirs[..i]
                .windows(2)
                .any(|w| w[0] == "main" && matches!(w[1], "java" | "kotlin" | "scala" | "groovy")))
    };
    if dirs.iter().enumerate().any(|(i, d)| {
        // `ChatDemo/`, `weather-example/`, `server_samples/` name samples
        // too; `example.com`-style package folders are handled above.
        (EXAMPLE_DIRS.contains(d)
            || d.starts_with("example")
            || d.starts_with("sample")
            || d.ends_with("demo")
            || d.ends_with("demos")
            || [
                "-example",
                "_example",
                "-examples",
                "_examples",
                "-sample",
                "_sample",
                "-samples",
                "_samples",
            ]
            .iter()
            .any(|s| d.ends_with(s)))
            && !jvm_package(i)
    }) {
        return Role::Example;
    }
    // Hidden folders hold tools' state and settings (editor and agent
    // plugins, generated route types, doc-site themes), never what ships;
    // `.well-known` is the exception, a URL path routed to code (RFC 8615).
    let hidden = |d: &str| d.starts_with('.') && d != ".well-known";
    // An installer sets the server up on a machine (a database, a client's
    // configuration) and exits: its prompts and flags are not the server's.
    let stem = name.split('.').next().unwrap_or(name);
    let installer = matches!(
        stem,
        "install" | "installer" | "uninstall" | "preinstall" | "postinstall"
    );
    if installer
        || dirs
            .iter()
            .any(|d| SCRIPT_DIRS.contains(d) || is_abandoned_dir(d) || hidden(d))
    {
        return Role::Script;
    }
    Role::Core
}

pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

pub fn parent_dir(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    }
}

pub fn is_manifest(path: &str) -> bool {
    let name = file_name(path).to_ascii_lowercase();
    MANIFEST_NAMES.contains(&name.as_str())
        || name.ends_with(".csproj")
        || name.ends_with(".gemspec")
}

/// An environment template documented beside the code (`.env.example`,
/// `env.sample`), by its lower-case file name.
pub fn is_env_template_name(name: &str) -> bool {
    name.starts_with(".env") || name.ends_with(".env.example") || name.starts_with("env.")
}

pub fn is_readme(path: &str) -> bool {
    file_name(path).to_ascii_lowercase().starts_with("readme")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_sources_manifests_and_config_but_not_output() {
        for p in [
            "src/index.ts",
            "package.json",
            "pyproject.toml",
            "README.md",
            ".env.example",
            "smithery.yaml",
            "server.json",
            "Dockerfile",
            "src/app/main.py",
            "cmd/server/main.go",
            "src/Program.cs",
            "App/App.csproj",
            "config.toml.example",
            "src/main/resources/application.yml",
        ] {
            assert!(wants(p), "{p}");
        }
        for p in [
            "node_modules/x/index.js",
            "dist/index.js",
            "vendor/github.com/a/b.go",
            ".git/config",
            "static/app.min.js",
            "logo.png",
            "target/debug/x.rs",
            ".env",
            "package-lock.json",
            "src/types.d.ts",
            "data/servers/foo.json",
        ] {
            assert!(!wants(p), "{p}");
        }
    }

    #[test]
    fn roles() {
        assert_eq!(role("src/server.ts"), Role::Core);
        assert_eq!(role("tests/test_server.py"), Role::Test);
        assert_eq!(role("src/server.test.ts"), Role::Test);
        assert_eq!(role("run-comprehensive-tests.mjs"), Role::Test);
        assert_eq!(role("scripts/run_tests.py"), Role::Test);
        assert_eq!(role("src/runner.ts"), Role::Core, "no test runner");
        assert_eq!(role("src/run_latest.py"), Role::Core, "no test runner");
        assert_eq!(role("examples/echo/main.go"), Role::Example);
        assert_eq!(
            role("src/main/kotlin/com/example/Server.kt"),
            Role::Core,
            "a JVM package, not a sample"
        );
        assert_eq!(
            role("samples/weather/src/main/java/com/example/Server.java"),
            Role::Example
        );
        assert_eq!(role("scripts/eval.ts"), Role::Script);
        assert_eq!(role("src/test-constants.ts"), Role::Test);
        assert_eq!(role("MCPClientChatDemo/App/Main.swift"), Role::Example);
        assert_eq!(role("weather-example/server.py"), Role::Example);
        assert_eq!(role("README.md"), Role::Doc);
        assert_eq!(role("pkg/x_test.go"), Role::Test);
        assert_eq!(role("widget_draft_do_not_use/jira/client.py"), Role::Script);
        assert_eq!(role("deprecated/server.py"), Role::Script);
        assert_eq!(role("drafting/server.py"), Role::Core);
        assert_eq!(role("src/draftkit/server.py"), Role::Core);
        assert_eq!(role("src/credentials/aws_tests.rs"), Role::Test);
        assert_eq!(role("src/gateway/tests.rs"), Role::Test);
        assert_eq!(role("mock_server/src/config.py"), Role::Test);
        assert_eq!(role(".claude-plugin/install-binary.mjs"), Role::Script);
        assert_eq!(role("install.py"), Role::Script);
        assert_eq!(role("src/cli/postinstall.js"), Role::Script);
        assert_eq!(role("src/installation.py"), Role::Core);
        assert_eq!(role("web/.react-router/types/routes.ts"), Role::Script);
        assert_eq!(
            role("app/.well-known/oauth-protected-resource/route.ts"),
            Role::Core
        );
        assert_eq!(role("src/mockingbird/server.py"), Role::Core);
    }
}
