using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Sillon.Lyrics;
using Sillon.Tests.Fixtures;
using Sillon.Tests.Subsonic;

namespace Sillon.Tests.Lyrics;

/// <summary>
/// Lyrics from every place they live, written by tools we did not write: eyeD3 (ID3 USLT in two
/// languages), mutagen (ID3 SYLT), metaflac (FLAC LYRICS), vorbiscomment (Ogg UNSYNCEDLYRICS), and
/// sidecar .lrc files; served by getLyricsBySongId (checked against the OpenSubsonic schema) and the REST API.
/// </summary>
public sealed class LyricsTests : IAsyncLifetime
{
    private const string Password = "s3cret-pass";
    private readonly TestLibrary _lib = new();
    private SillonServer _server = null!;
    private HttpClient _api = null!;

    public async Task InitializeAsync()
    {
        var multi = await _lib.AddAsync("A/Multi.mp3", "mp3", new TagSet { Title = "Multi", Artists = ["A"], Album = "L" });
        var english = Temp("Hello\nWorld");
        var french = Temp("Bonjour\nLe monde");
        await AudioFiles.RunAsync("eyeD3", ["--add-lyrics", $"{english}:main:eng", "--add-lyrics", $"{french}:main:fra", multi]);

        var synced = await _lib.AddAsync("A/Synced.mp3", "mp3", new TagSet { Title = "Synced", Artists = ["A"], Album = "L" });
        await AudioFiles.RunAsync("/usr/bin/python3", ["-c", """
            import sys
            from mutagen.id3 import ID3, SYLT, Encoding
            tags = ID3(sys.argv[1])
            tags.add(SYLT(encoding=Encoding.UTF8, lang='deu', format=2, type=1, desc='', text=[('Eins', 1000), ('Zwei', 2500), ('Drei', 4200)]))
            tags.save()
            """, synced]);

        await _lib.AddAsync("A/Flac.flac", "flac", new TagSet { Title = "Flac", Artists = ["A"], Album = "L", Lyrics = "[offset:+300]\n[00:01.00]One\n[00:02.50]Two" });

        var ogg = await _lib.AddAsync("A/Vorbis.ogg", "ogg", new TagSet { Title = "Vorbis", Artists = ["A"], Album = "L" });
        await AudioFiles.RunAsync("vorbiscomment", ["-a", "-R", "-e", "-t", "UNSYNCEDLYRICS=Plain one\\nPlain two", ogg]);

        await _lib.AddAsync("A/Sidecar.mp3", "mp3", new TagSet { Title = "Sidecar", Artists = ["A"], Album = "L" });
        await File.WriteAllTextAsync(_lib.PathOf("A/Sidecar.lrc"), "[ti:Sidecar]\n[00:03.00]Third\n[00:01.00][00:05.00]First\n", new UTF8Encoding(true));
        await File.WriteAllTextAsync(_lib.PathOf("A/Sidecar.fr.lrc"), "[offset:-250]\n[00:01.00]Premier\n");
        await File.WriteAllTextAsync(_lib.PathOf("A/Sidecar (live).lrc"), "[00:01.00]Another track's lyrics\n");
        await _lib.AddAsync("A/None.mp3", "mp3", new TagSet { Title = "None", Artists = ["A"], Album = "L" });

        _server = await SillonServer.StartAsync(_lib);
        await _server.WaitForScanAsync(TimeSpan.FromSeconds(60));
        _api = await _server.LoginAsync("alice", Password);
    }

    private static string Temp(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), "sillon-lyrics-" + Guid.NewGuid().ToString("N") + ".txt");
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    private async Task<string> IdAsync(string title) => "tr-" + await Sql.ScalarAsync<long>(_lib.Data, "SELECT id FROM tracks WHERE title = @title", new { title });

    /// <summary>getLyricsBySongId's structuredLyrics, after checking the answer against the OpenSubsonic schema.</summary>
    private async Task<List<JsonElement>> SubsonicAsync(string title)
    {
        var body = await _server.Client().GetStringAsync($"/rest/getLyricsBySongId?u=alice&p={Password}&v=1.16.1&c=tests&f=json&id={await IdAsync(title)}");
        using var doc = JsonDocument.Parse(body);
        var errors = SchemaValidator.Validate("getLyricsBySongId", doc.RootElement);
        Assert.True(errors is null, $"{body}\n{errors}");
        return [.. doc.RootElement.GetProperty("subsonic-response").GetProperty("lyricsList").GetProperty("structuredLyrics").EnumerateArray().Select(e => e.Clone())];
    }

    private static string[] Values(JsonElement set) => [.. set.GetProperty("line").EnumerateArray().Select(l => l.GetProperty("value").GetString()!)];
    private static long[] Starts(JsonElement set) => [.. set.GetProperty("line").EnumerateArray().Select(l => l.GetProperty("start").GetInt64())];

    [Fact]
    public async Task Every_USLT_language_is_served_with_its_language()
    {
        var sets = await SubsonicAsync("Multi");
        Assert.Equal(["eng", "fra"], sets.Select(s => s.GetProperty("lang").GetString()).Order());
        Assert.All(sets, s => Assert.False(s.GetProperty("synced").GetBoolean()));
        Assert.Equal(["Bonjour", "Le monde"], Values(sets.Single(s => s.GetProperty("lang").GetString() == "fra")));
        Assert.Equal(["Hello", "World"], Values(sets.Single(s => s.GetProperty("lang").GetString() == "eng")));
    }

    [Fact]
    public async Task SYLT_frames_are_synced_lyrics()
    {
        var set = Assert.Single(await SubsonicAsync("Synced"));
        Assert.True(set.GetProperty("synced").GetBoolean());
        Assert.Equal("deu", set.GetProperty("lang").GetString());
        Assert.Equal([1000L, 2500L, 4200L], Starts(set));
        Assert.Equal(["Eins", "Zwei", "Drei"], Values(set));
    }

    [Fact]
    public async Task Vorbis_LYRICS_keeps_its_offset_and_UNSYNCEDLYRICS_is_plain()
    {
        var flac = Assert.Single(await SubsonicAsync("Flac"));
        Assert.True(flac.GetProperty("synced").GetBoolean());
        Assert.Equal(300, flac.GetProperty("offset").GetInt64());
        Assert.Equal([1000L, 2500L], Starts(flac));
        var ogg = Assert.Single(await SubsonicAsync("Vorbis"));
        Assert.False(ogg.GetProperty("synced").GetBoolean());
        Assert.Equal("xxx", ogg.GetProperty("lang").GetString());
        Assert.Equal(["Plain one", "Plain two"], Values(ogg));
    }

    [Fact]
    public async Task Sidecar_lrc_files_give_one_set_per_language_and_are_seen_without_a_rescan()
    {
        var sets = await SubsonicAsync("Sidecar");
        Assert.Equal(2, sets.Count); // "Sidecar (live).lrc" belongs to another track
        var plain = sets.Single(s => s.GetProperty("lang").GetString() == "xxx");
        Assert.Equal([1000L, 3000L, 5000L], Starts(plain)); // a BOM, a tag line, and a line with two times
        Assert.Equal(["First", "Third", "First"], Values(plain));
        var french = sets.Single(s => s.GetProperty("lang").GetString() == "fr");
        Assert.Equal(-250, french.GetProperty("offset").GetInt64());

        await File.WriteAllTextAsync(_lib.PathOf("A/Sidecar.de.lrc"), "[00:02.00]Zweite\n");
        Assert.Contains(await SubsonicAsync("Sidecar"), s => s.GetProperty("lang").GetString() == "de");
    }

    [Fact]
    public async Task The_REST_API_serves_the_same_sets_and_refuses_bad_ids()
    {
        var id = await IdAsync("Flac");
        var body = await _api.GetFromJsonAsync<JsonElement>($"/api/v1/tracks/{id}/lyrics");
        Assert.Equal(id, body.GetProperty("trackId").GetString());
        var set = Assert.Single(body.GetProperty("lyrics").EnumerateArray());
        Assert.True(set.GetProperty("synced").GetBoolean());
        Assert.Equal(300, set.GetProperty("offset").GetInt64());
        Assert.Equal("embedded", set.GetProperty("source").GetString());
        Assert.Equal("Two", set.GetProperty("lines")[1].GetProperty("value").GetString());

        var none = await _api.GetFromJsonAsync<JsonElement>($"/api/v1/tracks/{await IdAsync("None")}/lyrics");
        Assert.Equal(0, none.GetProperty("lyrics").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await _api.GetAsync("/api/v1/tracks/tr-999999/lyrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.GetAsync("/api/v1/tracks/al-1/lyrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _server.Client().GetAsync($"/api/v1/tracks/{id}/lyrics")).StatusCode);
    }

    [Theory]
    [InlineData("[00:01.00]a\n[00:00.50]b", true, "b|a")]
    [InlineData("[01:02.5]x", true, "x")]
    [InlineData("[ar:Someone]\nJust words\n\n", false, "Just words")]
    [InlineData("[00:01]no fraction", true, "no fraction")]
    public void LRC_text_is_parsed_into_ordered_lines(string text, bool synced, string lines)
    {
        var parsed = LrcParser.Parse(text);
        Assert.Equal(synced, parsed.Synced);
        Assert.Equal(lines, string.Join('|', parsed.Lines.Select(l => l.Value)));
    }

    public async Task DisposeAsync()
    {
        _api.Dispose();
        await _server.DisposeAsync();
        await _lib.DisposeAsync();
    }
}
