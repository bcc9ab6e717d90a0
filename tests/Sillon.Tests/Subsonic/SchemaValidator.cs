using System.Text.Json;
using Json.Schema;

namespace Sillon.Tests.Subsonic;

/// <summary>
/// Validates a response against the OpenSubsonic schemas in opensubsonic-spec/ (a vendored copy; found by
/// walking up from the test binaries, or SILLON_OPENSUBSONIC_SPEC). Schemas reference each other by
/// relative file path; each file is registered under its file:// URI so those references resolve.
/// </summary>
public static class SchemaValidator
{
    private static readonly Lazy<(string Root, BuildOptions Options)> Spec = new(Load);

    public static string? SpecRoot()
    {
        var env = Environment.GetEnvironmentVariable("SILLON_OPENSUBSONIC_SPEC");
        if (env is not null && Directory.Exists(env)) return env;
        // The copy kept in this repository (tests/Sillon.Tests/Subsonic/opensubsonic-spec), found from the test binaries.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Sillon.Tests", "Subsonic", "opensubsonic-spec");
            if (File.Exists(Path.Combine(candidate, "openapi.json"))) return candidate;
        }
        return null;
    }

    private static (string, BuildOptions) Load()
    {
        var root = SpecRoot() ?? throw new InvalidOperationException("OpenSubsonic spec not found: set SILLON_OPENSUBSONIC_SPEC to .../opensubsonic/openapi");
        var registry = new SchemaRegistry();
        // The spec carries OpenAPI keywords (externalDocs) beside JSON Schema ones: allow them.
        var options = new BuildOptions { SchemaRegistry = registry, Dialect = Dialect.Draft202012.With([], new Uri("https://sillon.invalid/opensubsonic-dialect"), allowUnknownKeywords: true) };
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "schemas"), "*.json", SearchOption.AllDirectories)
                     .Concat(Directory.EnumerateFiles(Path.Combine(root, "endpoints"), "*.json", SearchOption.AllDirectories)))
        {
            if (Path.GetDirectoryName(file) == Path.Combine(root, "endpoints")) continue; // OpenAPI path items, not schemas
            registry.Register(new Uri(file), JsonSchema.FromFile(file, options));
        }
        return (root, options);
    }

    /// <summary>The schema file of an endpoint's 200 answer, from its OpenAPI path item; the generic envelope for empty answers.</summary>
    public static string ResponseSchemaFile(string root, string endpoint)
    {
        var endpoints = Path.Combine(root, "endpoints");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(endpoints, endpoint + ".json")));
        var reference = doc.RootElement.GetProperty("get").GetProperty("responses").GetProperty("200");
        if (reference.TryGetProperty("content", out var content)) reference = content.GetProperty("application/json").GetProperty("schema");
        var target = reference.GetProperty("$ref").GetString()!;
        return target.Contains("/responses/", StringComparison.Ordinal)
            ? Path.Combine(root, "schemas", "SubsonicResponse.json")
            : Path.GetFullPath(Path.Combine(endpoints, target));
    }

    /// <summary>Null when valid; otherwise the errors, one per line.</summary>
    public static string? Validate(string endpoint, JsonElement document)
    {
        var (root, options) = Spec.Value;
        var file = ResponseSchemaFile(root, endpoint);
        var schema = options.SchemaRegistry.Get(new Uri(file)) as JsonSchema ?? throw new InvalidOperationException($"schema {file} not registered");
        var result = schema.Evaluate(document, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return null;
        var errors = (result.Details ?? []).Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Key} {e.Value}"));
        return string.Join("\n", errors.Take(30));
    }
}
