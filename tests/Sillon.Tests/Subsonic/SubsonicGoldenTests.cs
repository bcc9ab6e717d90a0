using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Sillon.Tests.Subsonic;

/// <summary>
/// Snapshot tests: the main responses in XML and JSON, committed under golden/, so that an accidental
/// change of shape (a renamed field, an attribute turned element, a missing array) fails a test.
/// Volatile values (times, sizes, the server version) are normalised, and ids are renumbered in
/// order of appearance. A missing golden file is written on the first run; SILLON_UPDATE_GOLDEN=1
/// rewrites them after an intended change.
/// </summary>
public sealed partial class SubsonicGoldenTests(SubsonicFixture fx) : IClassFixture<SubsonicFixture>
{
    private static readonly HashSet<string> Volatile =
        ["created", "changed", "starred", "played", "lastModified", "serverVersion", "size", "bitRate", "minutesAgo", "expires", "lastVisited", "url"];

    public static TheoryData<string, string, string> Cases => new()
    {
        { "ping", "", "ping" },
        { "getAlbum", "id={album:Ágætis byrjun}", "getAlbum" },
        { "getSong", "id={track:Crazy in Love}", "getSong" },
        { "getArtists", "", "getArtists" },
        { "getArtist", "id={artist:Beyoncé}", "getArtist" },
        { "getIndexes", "", "getIndexes" },
        { "getMusicDirectory", "id={album:Summer Hits}", "getMusicDirectory-album" },
        { "getAlbumList2", "type=alphabeticalByName", "getAlbumList2" },
        { "getAlbumList", "type=alphabeticalByName&size=2", "getAlbumList" },
        { "search3", "query=sigur", "search3" },
        { "search2", "query=love", "search2" },
        { "getGenres", "", "getGenres" },
        { "getLyricsBySongId", "id={track:Crazy in Love}", "getLyricsBySongId" },
        { "getOpenSubsonicExtensions", "", "getOpenSubsonicExtensions" },
        { "getMusicFolders", "", "getMusicFolders" },
        { "getUser", "username=alice", "getUser" },
        { "getAlbum", "id=al-999999", "error-not-found" },
        { "getAlbum", "", "error-missing" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Responses_match_their_golden_files(string endpoint, string query, string name)
    {
        query = await FillAsync(query);
        using var json = await fx.GetAsync(endpoint, query);
        var jsonText = NormaliseJson(await json.Content.ReadAsStringAsync());
        using var xml = await fx.GetAsync(endpoint, query, format: "xml");
        var xmlText = NormaliseXml(await xml.Content.ReadAsStringAsync());
        Check(name + ".json", jsonText);
        Check(name + ".xml", xmlText);
    }

    private async Task<string> FillAsync(string query)
    {
        var m = Placeholder().Match(query);
        if (!m.Success) return query;
        var id = m.Groups[1].Value switch
        {
            "album" => await fx.AlbumIdAsync(m.Groups[2].Value),
            "track" => await fx.TrackIdAsync(m.Groups[2].Value),
            _ => await fx.ArtistIdAsync(m.Groups[2].Value),
        };
        return query.Replace(m.Value, id);
    }

    private static string GoldenDir([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "golden");

    private static void Check(string file, string actual)
    {
        var path = Path.Combine(GoldenDir(), file);
        if (!File.Exists(path) || Environment.GetEnvironmentVariable("SILLON_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(GoldenDir());
            File.WriteAllText(path, actual);
            return;
        }
        var expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        Assert.True(expected == actual, $"{file} changed (SILLON_UPDATE_GOLDEN=1 accepts the new shape).\n--- expected\n{expected}\n--- actual\n{actual}");
    }

    private sealed class Ids
    {
        private readonly Dictionary<string, string> _map = [];
        private readonly Dictionary<string, int> _next = [];

        public string Map(string value)
        {
            var m = IdPattern().Match(value);
            if (!m.Success) return value;
            if (_map.TryGetValue(value, out var mapped)) return mapped;
            var prefix = m.Groups[1].Value;
            _next[prefix] = _next.GetValueOrDefault(prefix) + 1;
            return _map[value] = $"{prefix}-#{_next[prefix]}";
        }
    }

    private static string NormaliseJson(string text)
    {
        var node = JsonNode.Parse(text)!;
        var ids = new Ids();
        Walk(node);
        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";

        void Walk(JsonNode? n)
        {
            switch (n)
            {
                case JsonObject o:
                    foreach (var key in o.Select(p => p.Key).ToList())
                    {
                        if (Volatile.Contains(key)) o[key] = "<volatile>";
                        else if (o[key] is JsonValue v && v.TryGetValue<string>(out var s)) o[key] = ids.Map(s);
                        else Walk(o[key]);
                    }
                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++)
                        if (a[i] is JsonValue v && v.TryGetValue<string>(out var s)) a[i] = ids.Map(s);
                        else Walk(a[i]);
                    break;
            }
        }
    }

    private static string NormaliseXml(string text)
    {
        var doc = XDocument.Parse(text);
        var ids = new Ids();
        foreach (var element in doc.Descendants())
            foreach (var attribute in element.Attributes().Where(a => !a.IsNamespaceDeclaration))
                attribute.Value = Volatile.Contains(attribute.Name.LocalName) ? "<volatile>" : ids.Map(attribute.Value);
        return doc.ToString() + "\n";
    }

    [GeneratedRegex(@"^(tr|al|ar|fo|pl|sh|ra)-\d+$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"\{(album|track|artist):([^}]+)\}")]
    private static partial Regex Placeholder();
}
